"""Helpers for the plugin's pytester tests: the repository's trace folders and small scenario files."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = ROOT / "traces" / "canonical"
GENERATED = ROOT / "traces" / "generated"


@pytest.fixture
def trace_dirs_arg() -> str:
    """The option that points a pytester run at the repository's traces."""
    return f"--simarena-trace-dirs={CANONICAL},{GENERATED}"


@pytest.fixture
def scenario_dir(pytester: pytest.Pytester) -> Path:
    """``scenarios/`` inside the pytester directory (the default collection pattern matches it)."""
    path = pytester.path / "scenarios"
    path.mkdir()
    return path


@pytest.fixture(autouse=True)
def _clean_simarena_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A developer's SIMARENA_* variables must not change what these tests see.
    import os

    for name in list(os.environ):
        if name.startswith("SIMARENA_"):
            monkeypatch.delenv(name)
