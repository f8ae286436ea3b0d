"""ApiServer: the Kubernetes REST API of a :class:`~pytest_simarena.live.LiveSession` over HTTPS.

    with ApiServer(session, port=0) as server:       # 127.0.0.1, a free port, TLS, a fresh token
        server.write_kubeconfig("kubeconfig")          # KUBECONFIG=kubeconfig kubectl get pods
        print(server.url)

Safety: it listens on loopback unless ``host`` says otherwise; every request but the health checks needs
the kubeconfig's bearer token (401 otherwise); bodies over ``body_limit`` bytes get 413; bad bodies,
content types and fields get a 400/415/422 Status and the server keeps serving; an unexpected error is a
500 Status, never a dropped connection.

Ordering: one lock orders requests. A request holds it from reading the session to producing its whole
answer, so concurrent requests act one after another, each on the state the previous left; a watch
holds it only while it reads changes or lets time run, never while it waits for its client.

Several sessions: :meth:`ApiServer.lease` serves one more session under a token of its own until the
lease ends, so one server (one socket, one certificate, one discovery for kubectl's cache) serves many
clusters, each reachable only with its own credential; :func:`shared_server` is the process's one such
server (command agents use it: a turn leases its session instead of starting a server).

Time: each request (discovery, health and clock endpoints excepted) first advances the simulated clock
by ``request_cost`` seconds (the ``request_cost`` setting, default 1), so a shell loop polling ``kubectl get
pods`` sees the cluster move and ends. Watches run time as api/watch.py says; ``POST
/simarena/v1/advance?seconds=N`` advances it explicitly.
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import os
import secrets
import select
import ssl
import sys
import tempfile
import threading
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from pytest_simarena.live import ApiError, LiveSession
from pytest_simarena.settings import ServeSettings

from .routes import Request, Response, Router, parse_target
from .tables import wants_table
from .tls import ServerCertificates, make_certificates
from .watch import Watch

_UNAUTHENTICATED = ("/healthz", "/livez", "/readyz")


@dataclass(frozen=True, slots=True)
class _Served:
    """A session the server answers for, and its router."""

    session: LiveSession
    router: Router


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    api: ApiServer


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body are separate writes: with Nagle's algorithm each answer waited for a delayed ACK.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.api.verbose:
            super().log_message(format, *args)

    # One method per verb, all alike: the router decides what each may do.
    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_HEAD(self) -> None:
        self._serve("HEAD")

    def do_OPTIONS(self) -> None:
        self._serve("OPTIONS")

    def _send(self, response: Response) -> None:
        self.send_response(response.code)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for warning in response.warnings:
            self.send_header("Warning", f'299 - "{warning}"')
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def _status(self, error: ApiError) -> None:
        self._send(Response.status(error))

    def _read_body(self) -> bytes | None:
        api = self.server.api
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            self.close_connection = True
            self._status(ApiError(411, "a Content-Length is required", reason="LengthRequired"))
            return None
        raw = self.headers.get("Content-Length") or "0"
        try:
            length = int(raw)
        except ValueError:
            self.close_connection = True
            self._status(ApiError(400, f"Content-Length {raw!r} is not a number"))
            return None
        if length < 0:
            self.close_connection = True
            self._status(ApiError(400, f"Content-Length {raw!r} is negative"))
            return None
        if length > api.body_limit:
            # The body is not read: the connection closes after the answer.
            self.close_connection = True
            self._status(
                ApiError(413, f"the request body is too large: {length} bytes, limit is {api.body_limit}")
            )
            return None
        return self.rfile.read(length) if length else b""

    def _serve(self, method: str) -> None:
        api = self.server.api
        try:
            body = self._read_body()
            if body is None:
                return
            path_only = self.path.split("?", 1)[0]
            served = api.served(self.headers.get("Authorization"))
            if served is None and path_only in _UNAUTHENTICATED:
                served = api.any_served()  # health checks need no token (their answer reads no session)
            if served is None:
                self._status(
                    ApiError(401, "Unauthorized: a valid bearer token is required (see the kubeconfig)")
                )
                return
            if method in ("HEAD", "OPTIONS"):
                self._status(
                    ApiError(405, f"{method} is not supported (supported: GET, POST, PUT, PATCH, DELETE)")
                )
                return
            req = Request.parse(method, self.path, body, self.headers)
            if req.watch:
                self._watch(req, served)
                return
            with api.lock:
                if not req.free:
                    served.session.advance(api.request_cost)
                response = served.router.handle(req)
            self._send(response)
        except (TimeoutError, BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True
        except Exception as exc:  # never drop a client without a Status; keep serving
            if api.verbose:
                traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self._status(ApiError(500, f"internal error: {type(exc).__name__}: {exc}"))

    def _client_gone(self, wait: float) -> bool:
        """Whether the client hung up (or sent anything: a streaming client only ever closes)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], wait)
        except (OSError, ValueError):
            return True
        return bool(readable)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _watch(self, req: Request, served: _Served) -> None:
        api = self.server.api
        target = parse_target(req.path)
        if target is None or target.name is not None or target.subresource is not None:
            # A single object is watched with fieldSelector=metadata.name=X (as client-go does).
            with api.lock:
                response = served.router.handle(req)
            self._send(response)
            return
        try:
            with api.lock:
                served.session.advance(api.request_cost)
                watch = Watch(
                    served.session,
                    target.res,
                    target.namespace,
                    req.query,
                    table=wants_table(req.accept),
                    default_timeout=api.watch_seconds,
                )
                first = watch.start()
        except ApiError as exc:
            self._status(exc)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        lines = first
        # Before time runs the first time, and after each batch of events, the client may hang up (it has
        # what it waited for): give it watch_grace wall seconds, so the clock never races a client.
        settle = True
        while True:
            if lines:
                self._chunk(b"".join(lines))
                settle = True
            if self._client_gone(api.settings.watch_grace if settle else 0):
                self.close_connection = True
                return
            settle = False
            with api.lock:
                lines = watch.poll()
                if not lines and not watch.step():
                    break
                if not lines:
                    lines = watch.poll()
        self._chunk(b"")  # the zero-length chunk ends the stream


class ApiServer:
    """Serve ``session`` over HTTPS as ``settings`` say (a context manager).

    Args:
        session: the live session served under ``token``; None for a server that serves only the
            sessions :meth:`lease` gives it.
        settings: address, port (0: a free one), request cost, watch length and body limit; the rows of
            the ``serve`` group of the settings table. Keyword ``overrides`` replace fields of it
            (``ApiServer(session, port=0)``).
        token: the bearer token clients must send (default: a fresh random one, in the kubeconfig).
        tls: serve HTTPS (default). Plain HTTP exists for benchmarks: kubectl sends no token over it.
        verbose: log each request and unexpected errors to stderr.
    """

    def __init__(
        self,
        session: LiveSession | None,
        settings: ServeSettings | None = None,
        *,
        token: str | None = None,
        tls: bool = True,
        verbose: bool = False,
        **overrides: Any,
    ) -> None:
        chosen = settings or ServeSettings()
        self.settings = chosen.replace(**overrides) if overrides else chosen
        self.host = self.settings.address
        self.port = self.settings.port
        self.token = token or secrets.token_urlsafe(24)
        self.request_cost = self.settings.request_cost
        self.body_limit = self.settings.body_limit
        self.watch_seconds = self.settings.watch_seconds
        self.tls = tls
        self.verbose = verbose
        self.lock = threading.Lock()
        self.certificates: ServerCertificates | None = None
        # Token -> what it reaches: the server's own session (if any) and every leased one.
        self._served: dict[str, _Served] = {}
        if session is not None:
            self._served[self.token] = _Served(session, Router(session))
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None
        self._poll_interval = 0.05

    # -- life -----------------------------------------------------------------------------------------
    def start(self) -> ApiServer:
        """Bind and serve in a background thread; returns self once it answers."""
        httpd = _Server((self.host, self.port), _Handler)
        httpd.api = self
        if self.tls:
            self.certificates = make_certificates(self.host)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            with tempfile.TemporaryDirectory(prefix="simarena-tls-") as tmp:
                cert, key = Path(tmp) / "server.crt", Path(tmp) / "server.key"
                cert.write_bytes(self.certificates.cert_pem)
                key.write_bytes(self.certificates.key_pem)
                context.load_cert_chain(cert, key)
            context.set_alpn_protocols(["http/1.1"])
            httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
        self.port = int(httpd.server_address[1])
        for served in self._served.values():
            served.router.server_address = self.address
        self._httpd = httpd
        # stop() waits for the serving loop to notice (socketserver polls every 0.5 s by default): a
        # server started and stopped around each use would wait ~0.45 s more each time with the default.
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": self._poll_interval},
            name="simarena-apiserver",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> ApiServer:
        return self.start() if self._httpd is None else self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- clients --------------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        scheme = "https" if self.tls else "http"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{host}:{self.port}"

    @property
    def address(self) -> str:
        """``host:port``, as discovery's ``serverAddressByClientCIDRs`` gives it."""
        return f"{self.host}:{self.port}"

    @property
    def session(self) -> LiveSession | None:
        """The server's own session (None for a server of leases only)."""
        own = self._served.get(self.token)
        return own.session if own is not None else None

    def served(self, header: str | None) -> _Served | None:
        """What an ``Authorization`` header's bearer token reaches, or None (a 401)."""
        if not header or not header.startswith("Bearer "):
            return None
        sent = header[len("Bearer ") :].strip().encode()
        found = None
        for token, served in list(self._served.items()):
            # Every token is compared, in constant time: which one matched takes no longer to find.
            if hmac.compare_digest(sent, token.encode()):
                found = served
        return found

    def authorized(self, header: str | None) -> bool:
        return self.served(header) is not None

    def any_served(self) -> _Served | None:
        return next(iter(list(self._served.values())), None)

    @contextlib.contextmanager
    def lease(self, session: LiveSession) -> Iterator[str]:
        """Serve ``session`` too, under a fresh token (yielded), until the ``with`` block ends.

        Requests with that token reach only ``session``; once the lease ends they get 401.
        """
        token = secrets.token_urlsafe(24)
        with self.lock:
            self._served[token] = _Served(session, Router(session, server_address=self.address))
        try:
            yield token
        finally:
            with self.lock:
                del self._served[token]

    def kubeconfig(
        self, *, namespace: str = "default", name: str = "simarena", token: str | None = None
    ) -> dict[str, Any]:
        """A kubeconfig (as a dict) for this server: its URL, CA and token (``token``, default the
        server's own); context ``simarena``."""
        cluster: dict[str, Any] = {"server": self.url}
        if self.certificates is not None:
            cluster["certificate-authority-data"] = base64.b64encode(self.certificates.ca_pem).decode()
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": name, "cluster": cluster}],
            "users": [{"name": name, "user": {"token": token or self.token}}],
            "contexts": [{"name": name, "context": {"cluster": name, "user": name, "namespace": namespace}}],
            "current-context": name,
            "preferences": {},
        }

    def write_kubeconfig(self, path: str | Path, **options: Any) -> Path:
        """Write :meth:`kubeconfig` to ``path`` (mode 0600: it holds the token); returns the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # libyaml's emitter when PyYAML has it: the same text, ~7x less CPU (one per command-agent turn).
        dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
        text = yaml.dump(self.kubeconfig(**options), Dumper=dumper, sort_keys=False)
        target.touch(mode=0o600, exist_ok=True)
        target.chmod(0o600)
        target.write_text(text, encoding="utf-8")
        return target


_SHARED: dict[tuple[int, ServeSettings], ApiServer] = {}
_SHARED_LOCK = threading.Lock()


def shared_server(settings: ServeSettings | None = None) -> ApiServer:
    """This process's one server of leases for ``settings`` (started on first use, serving until exit).

    Callers serve their session with :meth:`ApiServer.lease`. One server instead of one per use saves
    making a certificate, a socket and a thread each time, and gives kubectl one address, so its discovery
    cache (keyed by address) is filled once per process. Keyed by process id too: a forked child starts
    its own (it has the socket but not the thread).
    """
    chosen = settings or ServeSettings()
    key = (os.getpid(), chosen)
    with _SHARED_LOCK:
        server = _SHARED.get(key)
        if server is None:
            server = ApiServer(None, chosen)
            # Never stopped before exit: no stop() waits on the poll, so poll at socketserver's default.
            server._poll_interval = 0.5
            _SHARED[key] = server.start()
    return server
