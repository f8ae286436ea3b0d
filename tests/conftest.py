"""Shared test fixtures: where the real trace files beside the project live."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest
from hypothesis import settings

# numpy's C core cannot be initialised twice in one process, and pytester's in-process runs drop the
# modules first imported during a run; collection imports numpy (the policy registry lists the shipped
# rl baselines), so import it once here, before any pytester run, where it survives them all.
with contextlib.suppress(ImportError):
    import numpy  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent
SHARED_TRACES = ROOT.parent / "shared" / "traces"


@pytest.fixture(scope="session")
def shared_traces() -> Path:
    """``../shared/traces`` (SimKube's and the seed team's real traces); skips when it is absent."""
    if not SHARED_TRACES.is_dir():
        pytest.skip(f"{SHARED_TRACES} not found: the compatibility traces live beside the project")
    return SHARED_TRACES


# CI runs the property tests derandomized (the same examples every run, so a red CI is reproducible);
# locally hypothesis explores new examples each run and keeps failures in .hypothesis/.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
