"""The CLI's fit and finish: --version, a description per command, one help style, errors that point to
the right --help."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from importlib.metadata import version

import pytest

import pytest_simarena
from pytest_simarena.cli import build_parser, main


def _commands(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in dict.fromkeys(action.choices.values()):
                yield sub
                yield from _commands(sub)


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"simarena {pytest_simarena.__version__}"
    assert pytest_simarena.__version__ == version("pytest-simarena")


def test_every_command_has_a_one_line_description_and_help_in_one_style() -> None:
    top = build_parser()
    commands = list(_commands(top))
    assert len(commands) >= 12
    for command in commands:
        assert command.description, command.prog  # its --help says what it does (one line or more)
    for parser in [top, *commands]:
        for action in parser._actions:
            text = action.help
            if not text or text == argparse.SUPPRESS:
                continue
            assert text[0].isupper() or text[0] in "-`'\"", f"{parser.prog} {action.dest}: {text!r}"
            one_phrase = ". " not in text and not text.endswith("...")
            assert not (text.endswith(".") and one_phrase), f"{parser.prog} {action.dest}: {text!r}"
        subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        for group in subcommands:
            for choice in group._choices_actions:
                assert choice.help and choice.help[0].isupper(), (
                    f"{parser.prog} {choice.dest}: {choice.help!r}"
                )


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (
            ["run", "x", "--bogus"],
            "simarena run: error: unrecognized arguments: --bogus (see simarena run --help)",
        ),
        (
            ["trace", "inspect", "x", "--bogus"],
            "simarena trace inspect: error: unrecognized arguments: --bogus "
            "(see simarena trace inspect --help)",
        ),
        (["--bogus"], "simarena: error: unrecognized arguments: --bogus (see simarena --help)"),
    ],
)
def test_an_unknown_option_points_to_its_commands_help(
    capsys: pytest.CaptureFixture[str], argv: list[str], expected: str
) -> None:
    with pytest.raises(SystemExit) as info:
        main(argv)
    assert info.value.code == 2
    assert capsys.readouterr().err.strip() == expected


def test_the_same_setting_has_the_same_flag_on_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    def help_of(*command: str) -> str:
        with pytest.raises(SystemExit):
            main([*command, "--help"])
        return capsys.readouterr().out

    for command in (("simulate",), ("parity",)):
        text = help_of(*command)
        assert "--duration SECONDS" in text and "--seconds" not in text
    for command in (("run",), ("batch",), ("preflight",), ("parity",)):
        assert "--kube-mode MODE" in help_of(*command)
    for command in (("preflight",), ("parity",)):
        assert "--mode" not in help_of(*command)  # --mode is the agents' replay/live mode (run, plugin)
    for command in (("run",), ("batch",), ("simulate",)):
        text = help_of(*command)
        assert "--node-cpu Q" in text and "--seed N" in text
