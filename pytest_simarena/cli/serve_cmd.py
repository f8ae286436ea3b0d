"""``simarena serve TRACE``: the Kubernetes API over a live embedded cluster replaying TRACE.

Starts the cluster and the HTTPS API server (loopback, a token), writes the kubeconfig once the server
answers, prints the address, and runs until SIGINT/SIGTERM; then writes the session's run folder to
``--out`` if given (``simarena replay DIR`` reproduces it). Settings: ``--seed``, the cluster rows and the
``serve`` rows of the one settings table (docs/settings.md).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from .common import EXIT_OK, add_command
from .options import add_settings, cluster_settings, setting_values


def register(subparsers: Any) -> None:
    """Add ``simarena serve``."""
    p = add_command(
        subparsers,
        "serve",
        help="Serve a live embedded cluster replaying a trace through the Kubernetes API (kubectl, clients)",
        exit_codes="0 stopped by SIGINT/SIGTERM, 2 bad input (unreadable trace or cluster file, bad flag)",
        handler=cmd_serve,
        description="Serve the Kubernetes REST API over a live embedded cluster replaying TRACE: "
        "kubectl, the official clients and MCP servers work against it. Simulated time moves by a "
        "small cost per request, while watches wait, and on POST /simarena/v1/advance?seconds=N.",
    )
    p.add_argument("trace", metavar="TRACE", help="Trace file, or the name of a project or packaged trace")
    p.add_argument(
        "--kubeconfig",
        metavar="FILE",
        default="kubeconfig",
        help="Where to write the kubeconfig (server, CA, token) once the server answers "
        "(default ./kubeconfig)",
    )
    p.add_argument("--out", metavar="DIR", help="Write the session's run folder here when stopped")
    add_settings(p, "serve")


def cmd_serve(args: argparse.Namespace) -> int:
    from pytest_simarena.api import ApiServer
    from pytest_simarena.live import LiveSession
    from pytest_simarena.live.admission import NO_SAFEGUARDS
    from pytest_simarena.settings import ServeSettings
    from pytest_simarena.trace.catalog import find_trace

    values = setting_values(args)
    serve = ServeSettings.from_values(values)
    session = LiveSession.start(
        find_trace(args.trace),
        seed=values["seed"],
        cluster=cluster_settings(args),
        safeguards=None if serve.safeguards else NO_SAFEGUARDS,
    )
    session.label = args.trace
    stop = threading.Event()

    def on_signal(signum: int, _frame: Any) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with ApiServer(session, serve) as server:
            kubeconfig = server.write_kubeconfig(args.kubeconfig)
            print(f"serving {args.trace} at {server.url}", flush=True)
            print(f"kubeconfig: {kubeconfig}  (export KUBECONFIG={kubeconfig.resolve()})", flush=True)
            stop.wait()
            with server.lock:  # let a request in flight finish before the run folder is written
                if args.out:
                    folder = session.write_run(Path(args.out))
                    print(f"run folder: {folder} ({len(session.writes)} write(s))", flush=True)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("stopped", file=sys.stderr)
    return EXIT_OK
