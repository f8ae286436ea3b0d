"""Shared test fixtures: where the real trace files beside the project live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_TRACES = ROOT.parent / "shared" / "traces"


@pytest.fixture(scope="session")
def shared_traces() -> Path:
    """``../shared/traces`` (SimKube's and the seed team's real traces); skips when it is absent."""
    if not SHARED_TRACES.is_dir():
        pytest.skip(f"{SHARED_TRACES} not found: the compatibility traces live beside the project")
    return SHARED_TRACES
