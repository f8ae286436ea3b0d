"""The shipped baselines' folder and names, without numpy: the policy registry lists ``rl:NAME`` while
collecting tests, and importing numpy there costs every process (every xdist worker) its import time
and breaks in-process pytester runs (numpy cannot be imported twice in one process)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path


def baselines_dir() -> Path:
    """The folder of the shipped baselines (package data)."""
    return Path(str(resources.files("pytest_simarena.rl") / "baselines"))


def shipped_baselines() -> list[str]:
    """Names of the shipped baselines (``ppo-baseline``, ...), sorted."""
    root = baselines_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "policy.json").is_file())
