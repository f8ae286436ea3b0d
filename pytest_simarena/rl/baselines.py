"""Trained policies by name, without numpy: ``rl:NAME`` (a shipped baseline) or ``rl:DIR`` (a folder).

The policy registry lists and checks these names for every run, including plain installs without the
``gym``/``rl`` extras, so this module imports nothing beyond the standard library (the network itself is
loaded by :mod:`pytest_simarena.rl.policy`, plain Python too).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pytest_simarena.errors import SimArenaError

PREFIX = "rl:"


def baselines_dir() -> Path:
    """The folder of the shipped baselines (package data)."""
    return Path(str(resources.files("pytest_simarena.rl") / "baselines"))


def shipped_baselines() -> list[str]:
    """Names of the shipped baselines (``ppo-baseline``, ...), sorted."""
    root = baselines_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "policy.json").is_file())


def resolve_policy_dir(spec: str) -> Path:
    """The folder behind ``rl:NAME`` (a shipped baseline) or ``rl:DIR`` (a path)."""
    target = spec[len(PREFIX) :] if spec.startswith(PREFIX) else spec
    shipped = baselines_dir() / target
    if "/" not in target and (shipped / "policy.json").is_file():
        return shipped
    path = Path(target)
    if (path / "policy.json").is_file():
        return path
    known = ", ".join(f"rl:{n}" for n in shipped_baselines()) or "none"
    raise SimArenaError(
        f"policy {spec!r}: {target!r} is neither a shipped baseline ({known}) nor a folder with policy.json "
        "(the --out folder of `simarena train`)"
    )
