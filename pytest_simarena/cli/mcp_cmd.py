"""``simarena mcp TRACE``: the agent tools over MCP (stdio) on a live embedded cluster replaying TRACE.

Point an MCP client at it as a stdio server (command ``simarena``, arguments ``mcp TRACE``). The
cluster's clock stands still until a tool moves it (advance_time, wait_available). When the client
closes the stream, the session's run folder is written to ``--out DIR`` if given (``simarena replay
DIR`` reproduces it). Nothing but MCP messages goes to stdout.
"""

from __future__ import annotations

import argparse
from typing import Any

from .common import EXIT_OK, add_command, whole_number


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
    p.add_argument("trace", metavar="TRACE", help="SimKube trace (.sktrace or JSON)")
    p.add_argument("--seed", type=whole_number(0), default=0, help="seed of every random choice (default 0)")
    p.add_argument("--out", metavar="DIR", help="write the session's run folder here when the client leaves")


def run_mcp(args: argparse.Namespace) -> int:
    from pytest_simarena.agents.host import LiveHost
    from pytest_simarena.agents.mcp_server import run_stdio
    from pytest_simarena.live import LiveSession

    session = LiveSession.start(args.trace, seed=args.seed)
    try:
        run_stdio(LiveHost(session))
        if args.out:
            session.write_run(args.out)
    finally:
        session.close()
    return EXIT_OK
