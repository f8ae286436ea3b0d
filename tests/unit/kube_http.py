"""A recording HTTP endpoint standing in for an API server's wire protocol in kube unit tests.

No API server can run here; this lets the real kubernetes client send real HTTP requests, so the tests
check what goes on the wire (methods, paths, query parameters, content types, bodies) and how our code
reads the API server's answers (Status bodies with ``message``, 404/409/401). Answers are set per
``(method, path)``; anything else is a 404 Status, as the API server answers an unknown path.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

Answer = tuple[int, Any]


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    content_type: str
    body: Any


@dataclass
class Endpoint:
    url: str
    answers: dict[tuple[str, str], Answer | Callable[[Recorded], Answer]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    fallback: Callable[[Recorded], Answer] | None = None  # answers what ``answers`` does not

    def on(self, method: str, path: str, answer: Answer | Callable[[Recorded], Answer]) -> None:
        self.answers[(method, path)] = answer


def status_body(code: int, reason: str, message: str) -> dict[str, Any]:
    """A ``Status`` object as the API server sends with an error."""
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


def closed_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def write_kubeconfig(path: Path, server: str, *, context: str = "test", token: str = "t0ken") -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\n"
        f"current-context: {context}\n"
        f"clusters: [{{name: k, cluster: {{server: '{server}', insecure-skip-tls-verify: true}}}}]\n"
        f"users: [{{name: u, user: {{token: {token}}}}}]\n"
        f"contexts: [{{name: {context}, context: {{cluster: k, user: u}}}}]\n",
        encoding="utf-8",
    )
    return path


@contextmanager
def endpoint() -> Iterator[Endpoint]:
    state = Endpoint(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            return

        def _handle(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body: Any = json.loads(raw) if raw else None
            except ValueError:
                body = raw.decode()
            rec = Recorded(
                self.command, parts.path, parse_qs(parts.query), self.headers.get("Content-Type", ""), body
            )
            state.requests.append(rec)
            answer = state.answers.get((self.command, parts.path)) or state.fallback
            if callable(answer):
                answer = answer(rec)
            code, payload = answer or (
                404,
                status_body(404, "NotFound", f"the server could not find {parts.path}"),
            )
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _handle

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class ObjectStore:
    """A minimal in-memory object store answering like the API server for create/apply/get/list/delete.

    Objects are kept under their REST path (``/apis/apps/v1/namespaces/ns/deployments/web``); a list of
    a collection without a namespace lists across namespaces; ``labelSelector`` (equality only) filters.
    Enough to walk the kube backend's direct-mode step through real HTTP; it models no controller.
    """

    def __init__(self, ep: Endpoint) -> None:
        self.objects: dict[str, dict[str, Any]] = {}
        self._uid = 0
        # Callbacks per collection path, run after a create or delete there (to play a controller's part).
        self.after_create: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.after_delete: dict[str, Callable[[str], None]] = {}
        ep.fallback = self.answer

    @staticmethod
    def collections(obj_path: str) -> set[str]:
        """The list paths that include the object at ``obj_path``: its namespace's and the cluster-wide."""
        collection = obj_path.rsplit("/", 1)[0]
        parts = collection.split("/")
        out = {collection}
        if "namespaces" in parts and parts.index("namespaces") + 2 < len(parts):
            i = parts.index("namespaces")
            out.add("/".join(parts[:i] + parts[i + 2 :]))
        return out

    def _store(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        self._uid += 1
        body.setdefault("metadata", {}).setdefault("uid", f"uid-{self._uid}")
        self.objects[path] = body
        return body

    def answer(self, req: Recorded) -> Answer:
        path = req.path
        if req.method == "PATCH":
            body = req.body if isinstance(req.body, dict) else json.loads(req.body)
            return 200, self._store(path, dict(body))
        if req.method == "POST":
            full = f"{path}/{req.body['metadata']['name']}"
            if full in self.objects:
                return 409, status_body(409, "AlreadyExists", f"{full} already exists")
            created = self._store(full, dict(req.body))
            if path in self.after_create:
                self.after_create[path](created)
            return 201, created
        if req.method == "DELETE":
            if self.objects.pop(path, None) is None:
                return 404, status_body(404, "NotFound", f"{path} not found")
            hook = self.after_delete.get(path.rsplit("/", 1)[0])
            if hook is not None:
                hook(path.rsplit("/", 1)[1])
            return 200, {"kind": "Status", "status": "Success"}
        if path in self.objects:
            return 200, self.objects[path]
        selector = req.query.get("labelSelector", [""])[0]
        wanted = dict(p.split("=", 1) for p in selector.split(",") if p)
        listed = [o for op, o in sorted(self.objects.items()) if path in self.collections(op)]
        if listed or path.endswith("s"):  # a collection (plural) path; an object path is a 404
            labelled = [
                o
                for o in listed
                if all((o["metadata"].get("labels") or {}).get(k) == v for k, v in wanted.items())
            ]
            return 200, {"items": labelled}
        return 404, status_body(404, "NotFound", f"{path} not found")
