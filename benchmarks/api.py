"""Benchmarks of the Kubernetes API over the embedded cluster (issue 12 "Speed"); prints figures only.

    .venv/bin/python benchmarks/api.py                 # every benchmark
    .venv/bin/python benchmarks/api.py --only kubectl  # one of: kubectl, client, agent

1. kubectl: ``kubectl get pods`` (discovery cache warm) against ``simarena serve``'s server, and the same
   command against a minimal server that answers the very same requests with canned bytes recorded from
   ours (same TLS, same token check): the ratio shows what our server adds to kubectl's own cost.
   Goal: within 1.5x.
2. client: requests/s through the official Python client (``list_namespaced_pod`` and
   ``read_namespaced_deployment`` over one keep-alive connection), server and client in this process
   (one core).
3. agent: a bash agent (get, describe, set resources, wait --for=condition=Available) repairing the
   canonical slightly-bad-cpu trace end to end, from starting the server to the workload healthy, in
   wall seconds.
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

from pytest_simarena.api import ApiServer
from pytest_simarena.live import LiveSession

ROOT = Path(__file__).resolve().parent.parent
TRACE = ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"
FIX_SCRIPT = r"""
set -eu
kubectl get pods >/dev/null
pod=$(kubectl get pods -o jsonpath='{.items[0].metadata.name}')
kubectl describe pod "$pod" | grep -q FailedScheduling
kubectl set resources deployment/web -c web --requests=cpu=2 >/dev/null
kubectl wait --for=condition=Available deployment/web --timeout=60s >/dev/null
"""


def _env(kubeconfig: Path, home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "HOME": str(home), "KUBECONFIG": str(kubeconfig)}


def _kubectl_seconds(kubeconfig: Path, home: Path, runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [KUBECTL, "get", "pods"], env=_env(kubeconfig, home), check=True, capture_output=True, timeout=60
        )
        times.append(time.perf_counter() - start)
    return times


class _Canned(BaseHTTPRequestHandler):
    """Answers each recorded (method, path) with the recorded bytes; nothing else."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    answers: ClassVar[dict[tuple[str, str], tuple[int, str, bytes]]] = {}
    token = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.headers.get("Authorization") != f"Bearer {self.token}":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        code, ctype, body = self.answers.get(("GET", self.path), (404, "application/json", b"{}"))
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def _canned_server(server: ApiServer, paths: list[str]) -> Iterator[int]:
    """A minimal HTTPS server with our certificate, answering ``paths`` as ``server`` did."""
    import http.client

    assert server.certificates is not None
    context = ssl.create_default_context(cadata=server.certificates.ca_pem.decode())
    answers = {}
    accept = (
        "application/json;as=Table;v=v1;g=meta.k8s.io,"
        "application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
    )
    for path in paths:
        conn = http.client.HTTPSConnection("127.0.0.1", server.port, context=context)
        conn.request("GET", path, headers={"Authorization": f"Bearer {server.token}", "Accept": accept})
        response = conn.getresponse()
        answers[("GET", path)] = (response.status, response.getheader("Content-Type", ""), response.read())
        conn.close()
    handler = type("Canned", (_Canned,), {"answers": answers, "token": server.token})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "c.pem").write_bytes(server.certificates.cert_pem)
        (Path(tmp) / "k.pem").write_bytes(server.certificates.key_pem)
        tls.load_cert_chain(Path(tmp) / "c.pem", Path(tmp) / "k.pem")
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(httpd.server_address[1])
    finally:
        httpd.shutdown()
        httpd.server_close()


def bench_kubectl(runs: int = 21) -> None:
    print("1. kubectl get pods round trip (discovery cache warm), median of", runs)
    if not Path(KUBECTL).exists():
        print("   skipped: kubectl not found")
        return
    session = LiveSession.start(TRACE, seed=1)
    with tempfile.TemporaryDirectory() as tmp, ApiServer(session, request_cost=0.0) as server:
        home = Path(tmp)
        ours = server.write_kubeconfig(home / "ours")
        _kubectl_seconds(ours, home, 2)  # fills kubectl's discovery cache
        # kubectl get pods asks exactly this once discovery is cached (kube-api.md §1).
        with _canned_server(server, ["/api/v1/namespaces/default/pods?limit=500"]) as port:
            config = server.kubeconfig()
            config["clusters"][0]["cluster"]["server"] = f"https://127.0.0.1:{port}"
            canned = home / "canned"
            import yaml

            canned.write_text(yaml.safe_dump(config))
            # The canned server has no discovery: reuse ours, cached under its host:port directory.
            cache = home / ".kube" / "cache" / "discovery"
            src = cache / f"127.0.0.1_{server.port}"
            if src.is_dir():
                shutil.copytree(src, cache / f"127.0.0.1_{port}", dirs_exist_ok=True)
            _kubectl_seconds(canned, home, 2)
            ours_times, canned_times = [], []
            for _ in range(runs):  # interleaved: other load on the machine hits both alike
                ours_times += _kubectl_seconds(ours, home, 1)
                canned_times += _kubectl_seconds(canned, home, 1)
    a, b = statistics.median(ours_times), statistics.median(canned_times)
    print(f"   simarena serve: {a * 1000:7.1f} ms   canned JSON server: {b * 1000:7.1f} ms")
    print(f"   ratio {a / b:.2f}x (goal <= 1.5x)")


def bench_client(seconds: float = 3.0) -> None:
    from kubernetes import client, config

    print("2. official Python client, one keep-alive connection, server in this process (one core)")
    session = LiveSession.start(TRACE, seed=1)
    with tempfile.TemporaryDirectory() as tmp, ApiServer(session, request_cost=0.0) as server:
        api_client = config.new_client_from_config(str(server.write_kubeconfig(Path(tmp) / "kc")))
        core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
        for label, call in (
            ("list pods (3)", lambda: core.list_namespaced_pod("default")),
            ("read deployment", lambda: apps.read_namespaced_deployment("web", "default")),
            ("list pods, raw JSON", lambda: core.list_namespaced_pod("default", _preload_content=False).data),
        ):
            call()  # first-use costs (connection, TLS handshake, model classes)
            latencies = []
            start = time.perf_counter()
            while time.perf_counter() - start < seconds:
                t0 = time.perf_counter()
                call()
                latencies.append(time.perf_counter() - t0)
            rate = len(latencies) / (time.perf_counter() - start)
            q = statistics.quantiles(latencies, n=20)
            print(
                f"   {label:22s} {rate:8.0f} requests/s   latency p50 "
                f"{1000 * statistics.median(latencies):5.2f} ms  p95 {1000 * q[18]:5.2f} ms"
            )


def bench_agent(runs: int = 3) -> None:
    print("3. a bash agent repairing slightly-bad-cpu end to end (server start to healthy), wall seconds")
    if not Path(KUBECTL).exists():
        print("   skipped: kubectl not found")
        return
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        session = LiveSession.start(TRACE, seed=1)
        with tempfile.TemporaryDirectory() as tmp, ApiServer(session) as server:
            home = Path(tmp)
            kubeconfig = server.write_kubeconfig(home / "kc")
            subprocess.run(
                ["bash", "-c", FIX_SCRIPT],
                env=_env(kubeconfig, home),
                check=True,
                capture_output=True,
                timeout=120,
            )
            assert session.observation().healthy
        times.append(time.perf_counter() - start)
    print(f"   median {statistics.median(times):.2f} s over {runs} runs (cold kubectl discovery each time)")
    print(f"   simulated time at the end: {session.now:.0f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("kubectl", "client", "agent"))
    parser.add_argument("--quick", action="store_true", help="fewer runs (a smoke run)")
    args = parser.parse_args()
    print(f"cpus visible: {os.cpu_count()}, load average {os.getloadavg()[0]:.2f}")
    if args.only in (None, "kubectl"):
        bench_kubectl(5 if args.quick else 21)
    if args.only in (None, "client"):
        bench_client(1.0 if args.quick else 3.0)
    if args.only in (None, "agent"):
        bench_agent(1 if args.quick else 3)


if __name__ == "__main__":
    main()
