"""The FailedScheduling texts the README and docs/traces.md quote are what ``simarena simulate`` prints."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_simarena.cli import main

ROOT = Path(__file__).resolve().parents[2]


def _flat(text: str) -> str:
    return " ".join(text.split())


def _simulate(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    capsys.readouterr()
    assert main(["simulate", *args]) == 0
    return _flat(capsys.readouterr().out)


def _quoted_after(text: str, anchor: str) -> str:
    """The first backticked text after ``anchor`` (line breaks inside it read as spaces)."""
    flat = _flat(text)
    found = re.search(re.escape(anchor) + r".*?`([^`]+)`", flat)
    assert found is not None, f"{anchor!r} not followed by a quoted text"
    return found.group(1)


def test_the_readme_tour_shows_the_default_versions_text(capsys: pytest.CaptureFixture[str]) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "simarena simulate traces/canonical/slightly-bad-cpu.sktrace"
    block = readme.split(command, 1)[1].split("```\n\n```\n", 1)[1].split("```", 1)[0]
    lines = [_flat(line) for line in block.splitlines() if "FailedScheduling" in line]
    assert lines
    out = _simulate(capsys, "slightly-bad-cpu")
    for line in lines:
        assert line in out, line
    older = _quoted_after(readme, "`--kubernetes-version 1.33` prints 1.33's (")
    assert older in _simulate(capsys, "slightly-bad-cpu", "--kubernetes-version", "1.33")


def test_traces_md_quotes_the_preempted_pods_text(capsys: pytest.CaptureFixture[str]) -> None:
    docs = (ROOT / "docs" / "traces.md").read_text(encoding="utf-8")
    text = _quoted_after(docs, "the low ReplicaSet's replacements stay Pending with")
    assert text in _simulate(capsys, "priority-preemption-000")
