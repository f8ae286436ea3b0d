"""``simarena mcp TRACE``: the agent tools over MCP (stdio) on a live embedded cluster replaying TRACE.

Point an MCP client at it as a stdio server (command ``simarena``, arguments ``mcp TRACE``). The
cluster's clock stands still until a tool moves it (advance_time, wait_available). When the client
closes the stream, the session's run folder is written to ``--out DIR`` if given (``simarena replay
DIR`` reproduces it). Nothing but MCP messages goes to stdout.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK, add_command
from .options import add_settings, cluster_settings, setting_values


def register(subparsers: Any) -> None:
    """Add ``simarena mcp``."""
    p = add_command(
        subparsers,
        "mcp",
        help="serve the agent tools over MCP (stdio) on a live embedded cluster replaying TRACE",
        description=(__doc__ or "").split("\n\n")[1],
        exit_codes="0 the client closed the stream, 2 bad input",
        handler=run_mcp,
    )
    p.add_argument("trace", metavar="TRACE", help="SimKube trace (.sktrace or JSON) or a trace name")
    p.add_argument("--out", metavar="DIR", help="write the session's run folder here when the client leaves")
    add_settings(p, "mcp")


def run_mcp(args: argparse.Namespace) -> int:
    from pytest_simarena.agents.host import LiveHost
    from pytest_simarena.agents.mcp_server import run_stdio
    from pytest_simarena.live import LiveSession
    from pytest_simarena.trace.catalog import find_trace

    from .simulate_cmd import build_spec

    cluster = cluster_settings(args)
    spec = None if cluster.is_default else build_spec(cluster)  # default: the trace's own cluster
    seed = setting_values(args)["seed"]
    session = LiveSession.start(find_trace(args.trace), seed=seed, spec=spec, cluster=cluster)
    try:
        run_stdio(LiveHost(session))
        if args.out:
            session.write_run(args.out)
    finally:
        session.close()
    return EXIT_OK
