"""The ``simarena`` command: a thin shell over the library; each command group lives in its own module.

Every command module exposes ``register(subparsers)``, which adds its sub-commands with ``set_defaults(
handler=...)``; a handler takes the parsed args and returns the exit code. A :class:`SimArenaError`
(a user's mistake) or an OS error becomes one line on stderr and exit code 2 unless the handler chose
otherwise; usage mistakes are one line too (exit 2), and a bug of ours one line with exit code 70
(see :mod:`pytest_simarena.cli.common`).
"""

from __future__ import annotations

import argparse
import importlib
import sys
import warnings
from collections.abc import Sequence

from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, OneLineErrors, run_handler

# Command modules, in the order their commands appear in --help. A module that does not exist yet
# (a capability still being built) is skipped, so the CLI always starts.
COMMAND_MODULES = (
    "pytest_simarena.cli.trace_cmd",
    "pytest_simarena.cli.simulate_cmd",
    "pytest_simarena.cli.run_cmd",
    "pytest_simarena.cli.kube_cmd",
    "pytest_simarena.cli.serve_cmd",
    "pytest_simarena.cli.mcp_cmd",
    "pytest_simarena.cli.train_cmd",
)

__all__ = ["COMMAND_MODULES", "EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``simarena`` parser with every command module's commands registered."""
    from pytest_simarena import __version__

    parser = OneLineErrors(
        prog="simarena",
        description="Test and train agents that repair Kubernetes workloads, on SimKube traces.",
        epilog="Every error is one line on stderr. Exit code 2: bad input; 70: a bug in simarena "
        "(SIMARENA_DEBUG=1 shows the traceback). Each command's --help lists its other codes.",
    )
    parser.add_argument(
        "--version", action="version", version=f"simarena {__version__}", help="Show the version and exit"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                continue
            raise
        module.register(subparsers)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *_args: object, **_kw: object) -> None:
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``simarena`` console script; returns the exit code."""
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        # Point at the help of the command that got the option (argparse would point at the top level).
        command_parser: argparse.ArgumentParser = getattr(args, "_command_parser", parser)
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return EXIT_USAGE
    warnings.showwarning = _show_warning
    return run_handler(handler, args)


if __name__ == "__main__":
    sys.exit(main())
