"""Helpers for the API server tests: a served canonical trace, kubectl with an isolated home, raw HTTPS."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import ssl
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.api import ApiServer
from pytest_simarena.live import LiveSession
from pytest_simarena.settings import ClusterSettings

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "traces" / "canonical"
KUBECTL = shutil.which("kubectl") or "/usr/bin/kubectl"

needs_kubectl = pytest.mark.skipif(
    not Path(KUBECTL).exists(),
    reason="kubectl not found: install kubectl (v1.32, e.g. apt-get install kubectl) to run this test",
)


@dataclass
class Served:
    """A running server, its kubeconfig and an isolated HOME for kubectl."""

    server: ApiServer
    session: LiveSession
    kubeconfig: Path
    home: Path
    context: ssl.SSLContext

    def kubectl(
        self, *args: str, check: bool = True, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "KUBECONFIG": str(self.kubeconfig),
            "KUBECACHEDIR": str(self.home / "cache"),
        }
        done = subprocess.run(
            [KUBECTL, "--cache-dir", str(self.home / "cache"), *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=timeout,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"kubectl {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
        return done

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        *,
        headers: dict[str, str] | None = None,
        token: str | None = "default",
    ) -> tuple[int, Any]:
        """A raw HTTPS request; returns (status, decoded JSON or text)."""
        conn = http.client.HTTPSConnection("127.0.0.1", self.server.port, context=self.context, timeout=30)
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {self.server.token if token == 'default' else token}"
        try:
            conn.request(method, path, body=body, headers=sent)
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        try:
            return response.status, json.loads(data)
        except ValueError:
            return response.status, data.decode(errors="replace")


@contextmanager
def served(
    trace: str = "slightly-bad-cpu", *, seed: int = 1, cluster: ClusterSettings | None = None, **options: Any
) -> Iterator[Served]:
    session = LiveSession.start(CANONICAL / f"{trace}.sktrace", seed=seed, cluster=cluster)
    with (
        tempfile.TemporaryDirectory(prefix="simarena-api-test-") as tmp,
        ApiServer(session, **options) as server,
    ):
        home = Path(tmp) / "home"
        home.mkdir()
        kubeconfig = server.write_kubeconfig(Path(tmp) / "kubeconfig")
        assert server.certificates is not None
        context = ssl.create_default_context(cadata=server.certificates.ca_pem.decode())
        yield Served(server, session, kubeconfig, home, context)
