"""docs/traces.md's walk-through, as written: deployment.yaml -> trace -> scenario -> pytest."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pytest_simarena.cli import main

DOCS = Path(__file__).resolve().parents[2] / "docs" / "traces.md"


def _block(text: str, first_line: str) -> str:
    """The fenced yaml block of docs/traces.md that starts with ``first_line``."""
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        if block.startswith(first_line):
            return str(block)
    raise AssertionError(f"no yaml block starting with {first_line!r} in {DOCS}")


def test_the_documented_walkthrough_passes(pytester: pytest.Pytester) -> None:
    docs = DOCS.read_text()
    (pytester.path / "deployment.yaml").write_text(_block(docs, "# deployment.yaml"))
    (pytester.path / "checkout.simarena.yaml").write_text(_block(docs, "# checkout.simarena.yaml"))
    out = pytester.path / "checkout.sktrace"
    assert main(["trace", "from-manifests", str(pytester.path / "deployment.yaml"), "--out", str(out)]) == 0
    result = pytester.runpytest("checkout.simarena.yaml", "-v", "-p", "no:xdist")
    result.stdout.fnmatch_lines(
        [
            "checkout.simarena.yaml::checkout-cpu[[]checkout-heuristic] PASSED*",
            "checkout.simarena.yaml::checkout-cpu[[]checkout-noop] PASSED*",
        ]
    )
    result.assert_outcomes(passed=2)
