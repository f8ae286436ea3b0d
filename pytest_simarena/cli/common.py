"""What every ``simarena`` command shares: exit codes, one-line errors, argument types, the handler guard.

Every error a user can cause is one line on stderr, never a traceback: usage mistakes through
:class:`OneLineErrors` (the parser class of the whole command tree), a :class:`SimArenaError` or an OS error
(missing file, unwritable output) through :func:`run_handler`. A bug of ours is one line too, with exit code
70 (``SIMARENA_DEBUG=1`` shows the traceback).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, NoReturn

from pytest_simarena.errors import SimArenaError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug, reported in one line

Handler = Callable[[argparse.Namespace], int]


def err(message: str) -> None:
    """Print ``simarena: error: <message>`` on stderr."""
    print(f"simarena: error: {message}", file=sys.stderr)


def house_style(text: str | None) -> str | None:
    """Help text in the house style (xdist's rule): starts with a capital; a single phrase has no period."""
    if not text or text == argparse.SUPPRESS:
        return text
    first = text.split(" ", 1)[0].rstrip(":,;")
    if first.isalpha():  # never capitalise a name the user types (bump_cpu, --flag, module:name)
        text = text[0].upper() + text[1:]
    if text.endswith(".") and not text.endswith("...") and ". " not in text:
        text = text[:-1]
    return text


class _Commands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """Sub-commands whose one-line help is also their --help description, both in the house style."""

    def add_parser(self, name: str, **kwargs: Any) -> Any:
        kwargs["help"] = house_style(kwargs.get("help"))
        kwargs.setdefault("description", kwargs["help"])
        parser = super().add_parser(name, **kwargs)
        # The innermost command's parser wins: main() reports unknown options with that command's help.
        parser.set_defaults(_command_parser=parser)
        return parser


class OneLineErrors(argparse.ArgumentParser):
    """Usage mistakes (a missing argument, a bad --max-steps) in one stderr line, like every other error.

    ``add_subparsers`` makes sub-parsers of the parser's own class, so the whole command tree inherits it,
    and with it the house style of help texts (checked by a test over every command).
    """

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")

    def add_subparsers(self, **kwargs: Any) -> Any:
        kwargs.setdefault("action", _Commands)
        return super().add_subparsers(**kwargs)

    def add_argument(self, *args: Any, **kwargs: Any) -> Any:
        if "help" in kwargs:
            kwargs["help"] = house_style(kwargs["help"])
        return super().add_argument(*args, **kwargs)

    def add_argument_group(self, *args: Any, **kwargs: Any) -> Any:
        group = super().add_argument_group(*args, **kwargs)
        plain = group.add_argument

        def add_argument(*a: Any, **kw: Any) -> Any:
            if "help" in kw:
                kw["help"] = house_style(kw["help"])
            return plain(*a, **kw)

        group.add_argument = add_argument  # type: ignore[method-assign]
        return group


def add_command(
    subparsers: Any, name: str, *, help: str, exit_codes: str, handler: Handler, **kwargs: Any
) -> argparse.ArgumentParser:
    """Add command ``name`` running ``handler``; its --help ends with ``exit codes: <exit_codes>``."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help, epilog=f"exit codes: {exit_codes}", **kwargs
    )
    parser.set_defaults(handler=handler)
    return parser


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse ``type=``: a whole number of at least ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be >= {minimum}, got {value}")
        return value

    parse.__name__ = f"whole number >= {minimum}"  # argparse names the type in some messages
    return parse


def seconds(text: str) -> float:
    """An argparse ``type=``: a positive number of seconds, with or without a trailing ``s``."""
    try:
        value = float(text.rstrip("s"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds (e.g. 120 or 120s)") from None
    if not value > 0:  # also rejects nan
        raise argparse.ArgumentTypeError(f"{text!r} must be more than 0 seconds")
    return value


def run_handler(handler: Handler, args: argparse.Namespace) -> int:
    """Run a command's handler; every failure becomes one stderr line and an exit code."""
    try:
        return int(handler(args))
    except SimArenaError as exc:
        err(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("simarena: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # the reader (e.g. `| head`) went away: stop quietly, and keep the exit-time flush from failing
        with contextlib.suppress(OSError, ValueError):  # stdout not a real file (captured): nothing to flush
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        err(f"{where}{exc.strerror or exc}")
        return EXIT_USAGE
    except Exception as exc:
        # a bug of ours, not the user's mistake: still one line (SIMARENA_DEBUG=1 shows the traceback)
        if os.environ.get("SIMARENA_DEBUG"):
            raise
        inputs = _input_files(args)
        where = f"{', '.join(inputs)}: " if inputs else ""
        err(f"{where}internal error: {type(exc).__name__}: {exc} (set SIMARENA_DEBUG=1 for details)")
        return EXIT_INTERNAL
    finally:
        _current_input.set(None)


_current_input: ContextVar[str | None] = ContextVar("simarena_current_input", default=None)


def note_input(path: str) -> None:
    """Record the file a command is working on, for the last-resort error line (a bug of ours)."""
    _current_input.set(path)


def _input_files(args: argparse.Namespace) -> list[str]:
    """The file named by :func:`note_input`, else every argument that names an existing file."""
    current = _current_input.get()
    if current is not None:
        return [current]
    found: list[str] = []
    for value in vars(args).values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and os.path.isfile(item) and item not in found:
                found.append(item)
    return found
