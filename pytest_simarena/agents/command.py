"""The command agent: any program (a kubectl script, an existing agent CLI) acting on the served cluster.

Each turn runs the program once, in the scenario file's folder, with ``KUBECONFIG`` pointing at a
Kubernetes API server over the live session (:mod:`pytest_simarena.api`, on 127.0.0.1): the process's
shared server, which serves the session under a token of the turn's own for as long as the turn lasts
(xdist workers are processes: each has its own). When the episode has a run folder, the program's stdout
and stderr are kept in it (``agent/turn-NNN.stdout|stderr``) with ``agent/turn-NNN.json`` (argv, exit
code, simulated seconds and writes used, why it was stopped). The turn's budget is enforced by watching
the session while the program runs: past its simulated seconds, its writes or its wall seconds the
program is stopped (SIGTERM to its process group, then SIGKILL), and the turn says so.

A program that exits non-zero is not an episode error (a script may stop at a denied write, as ``set
-e`` scripts do); the exit code is recorded and the expectations judge the cluster.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pytest_simarena.errors import SimArenaError

from .turns import Budget, TurnContext, TurnResult

POLL_SECONDS = 0.02


class CommandAgent:
    """Runs ``argv`` once per turn against the served live cluster (see the module docstring)."""

    def __init__(self, argv: Sequence[str], *, cwd: str | Path | None = None, name: str = "command") -> None:
        if not argv:
            raise SimArenaError("command agent: empty command")
        self.argv = [str(a) for a in argv]
        self.cwd = Path(cwd) if cwd is not None else Path.cwd()
        self.name = name

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def turn(self, ctx: TurnContext) -> TurnResult:
        try:
            # Imported by name: the API server is another face, optional for every other agent kind.
            api: Any = importlib.import_module("pytest_simarena.api.server")
        except ImportError:
            return TurnResult(error="command agents need the API server (pytest_simarena.api), missing here")
        session = ctx.session
        server = api.shared_server()
        with _turn_dir(ctx.agent_dir) as out_dir, server.lease(session) as token:
            stem = out_dir / f"turn-{ctx.step:03d}"
            kubeconfig = out_dir / "kubeconfig"
            server.write_kubeconfig(kubeconfig, token=token)
            env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
            # kubectl caches discovery per server address under HOME: a cache of this process's own keeps
            # runs apart and is filled once for all the turns the shared server serves (discovery is the
            # same for every session of a Kubernetes version, and costs no simulated time).
            env.setdefault("KUBECACHEDIR", str(_kube_cache(session.cluster.spec.kubernetes_version)))
            started_at, writes_before = session.now, len(session.writes)
            with open(f"{stem}.stdout", "wb") as out, open(f"{stem}.stderr", "wb") as err:
                try:
                    proc = subprocess.Popen(
                        self.argv, cwd=self.cwd, env=env, stdout=out, stderr=err, start_new_session=True
                    )
                except OSError as exc:
                    return TurnResult(
                        error=f"command agent: cannot run {self.argv[0]!r}: {exc.strerror or exc}"
                    )
                stopped = _watch(proc, session, ctx.budget, started_at, writes_before)
            used_seconds = session.now - started_at
            used_writes = len(session.writes) - writes_before
            record: dict[str, Any] = {
                "argv": self.argv,
                "exitCode": proc.returncode,
                "simulatedSeconds": round(used_seconds, 3),
                "writes": used_writes,
                "stopped": stopped,
            }
            from pytest_simarena.episode.runlog import dumps_json

            Path(f"{stem}.json").write_text(dumps_json(record), encoding="utf-8")
            denied = _denials(Path(f"{stem}.stderr"))
        message = f"exit code {proc.returncode}" + (f", stopped: {stopped}" if stopped else "")
        return TurnResult(denied=denied, message=message)


@contextlib.contextmanager
def _turn_dir(agent_dir: Path | None) -> Iterator[Path]:
    """The run folder's ``agent/`` when the episode keeps one, else a temporary folder removed after the
    turn (it holds the kubeconfig with the turn's token and the program's output)."""
    if agent_dir is not None:
        agent_dir.mkdir(parents=True, exist_ok=True)
        yield agent_dir
        return
    with tempfile.TemporaryDirectory(prefix="simarena-agent-") as tmp:
        yield Path(tmp)


_KUBE_CACHE: dict[int, tempfile.TemporaryDirectory[str]] = {}


def _kube_cache(kubernetes_version: str) -> Path:
    """This process's kubectl cache folder for clusters of ``kubernetes_version`` (removed at exit)."""
    pid = os.getpid()
    root = _KUBE_CACHE.get(pid)
    if root is None:
        root = _KUBE_CACHE[pid] = tempfile.TemporaryDirectory(
            prefix="simarena-kube-cache-", ignore_cleanup_errors=True
        )
    return Path(root.name) / kubernetes_version


def _watch(proc: subprocess.Popen[bytes], session: Any, budget: Budget, t0: float, w0: int) -> str | None:
    """Wait for ``proc``; stop it when it outruns the budget. Returns why it was stopped, or None."""
    deadline = time.monotonic() + budget.wall_seconds
    stopped: str | None = None
    while proc.poll() is None:
        if budget.seconds is not None and session.now - t0 > budget.seconds:
            stopped = f"simulated-time budget of {budget.seconds:g} s spent"
        elif budget.writes is not None and len(session.writes) - w0 > budget.writes:
            stopped = f"write budget of {budget.writes} spent"
        elif time.monotonic() > deadline:
            stopped = f"wall-clock budget of {budget.wall_seconds:g} s spent"
        if stopped:
            _stop(proc)
            break
        threading.Event().wait(POLL_SECONDS)
    proc.wait()
    return stopped


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=2)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def _denials(stderr: Path) -> list[str]:
    """The admission denials the program was shown (kubectl prints them on stderr)."""
    text = stderr.read_text(encoding="utf-8", errors="replace")
    return [line.strip() for line in text.splitlines() if "denied the request" in line]
