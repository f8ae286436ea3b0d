"""The step figures of an earlier commit and of this checkout, side by side in one process.

    .venv/bin/python benchmarks/side_by_side.py 6069fb7            # base commit vs this checkout
    .venv/bin/python benchmarks/side_by_side.py 6069fb7 --seconds 2 --rounds 3
    .venv/bin/python benchmarks/side_by_side.py 6069fb7 --only gym    # only the gym env rows

The base commit's package is extracted (``git archive``) into a temporary folder under another name
(every ``pytest_simarena`` in its text files renamed), so both versions load in this one process and
share its CartPole anchor, its interpreter state and the machine's load at that moment. Each figure is
measured for both in alternating order, ``--rounds`` times; the median rate of each is printed with the
range (on a shared machine single runs move by 20-40 %). Figures as ``benchmarks/speed.py`` rows 1-2:
``run_episode`` on the canonical ``slightly-bad-cpu`` trace (``random`` and ``noop``, reused and isolated
clusters, cold memos) and the gym env with random actions. Rates are per CPU second.
"""

from __future__ import annotations

import argparse
import functools
import importlib
import io
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import speed  # noqa: E402  (the CartPole anchor, the rate loop and the trace)

BASE_NAME = "simarena_base_checkout"


def extract(commit: str, into: Path) -> None:
    """``pytest_simarena`` at ``commit`` as package ``BASE_NAME`` under ``into``."""
    data = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", commit, "pytest_simarena"],
        check=True,
        capture_output=True,
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    (into / "pytest_simarena").rename(into / BASE_NAME)
    for path in (into / BASE_NAME).rglob("*"):
        if path.is_file() and path.suffix in (".py", ".json", ".yaml", ".toml", ".txt", ".md"):
            text = path.read_text(encoding="utf-8")
            if "pytest_simarena" in text:
                path.write_text(text.replace("pytest_simarena", BASE_NAME), encoding="utf-8")


def _module(pkg: str, name: str) -> Any:
    return importlib.import_module(f"{pkg}.{name}")


def _backend(pkg: str, isolated: bool) -> Any:
    make = _module(pkg, "backends.registry").make_backend
    return make("embedded", seed=0, **({"isolated": True} if isolated else {}))


def _cold(pkg: str) -> None:
    _module(pkg, "episode.loop").clear_step_memos()
    clear = getattr(_module(pkg, "rl.features"), "clear_memo", None)
    if clear is not None:  # (a checkout without the feature memo has none)
        clear()


def episode_rate(pkg: str, policy: str, seconds: float, isolated: bool) -> float:
    run = _module(pkg, "episode.loop").run_episode
    trace = _module(pkg, "trace.io").load_trace(speed.TRACE)
    n = [0]

    def chunk() -> int:
        n[0] += 1
        backend = _backend(pkg, isolated)
        return len(run(trace, policy, backend=backend, max_steps=50, seed=n[0]).steps)

    chunk()  # imports and first-use costs
    n[0] = 0
    _cold(pkg)
    return speed.rate(chunk, seconds)


def gym_rate(pkg: str, seconds: float, isolated: bool) -> float:
    env = _module(pkg, "gym").SimArenaEnv(str(speed.TRACE), max_steps=50, backend=_backend(pkg, isolated))
    return speed.env_rate(env, seconds, lambda: _cold(pkg))


def _episode(policy: str, seconds: float, isolated: bool, pkg: str) -> float:
    return episode_rate(pkg, policy, seconds, isolated)


def _gym(seconds: float, isolated: bool, pkg: str) -> float:
    return gym_rate(pkg, seconds, isolated)


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("base", help="The base commit (any git revision)")
    parser.add_argument("--seconds", type=float, default=1.5, help="CPU seconds per measurement")
    parser.add_argument("--rounds", type=int, default=2, help="Measurements per figure and version")
    parser.add_argument("--only", default="", help="Only the figures whose name contains this text")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        extract(args.base, Path(tmp))
        sys.path.insert(0, tmp)
        versions = {"base": BASE_NAME, "this": "pytest_simarena"}
        secs = args.seconds
        figures: list[tuple[str, Callable[[str], float]]] = []
        for isolated in (False, True):
            mode = "isolated" if isolated else "reused cluster"
            for policy in ("random", "noop"):
                figures.append(
                    (
                        f"episode step ({policy}, {mode})",
                        functools.partial(_episode, policy, secs, isolated),
                    )
                )
        for isolated in (False, True):
            mode = "isolated" if isolated else "reused cluster"
            figures.append((f"gym env step (random, {mode})", functools.partial(_gym, secs, isolated)))
        figures = [f for f in figures if args.only in f[0]]
        anchors: list[float] = []
        rates: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            anchors.append(speed.cartpole(secs))
            for name, measure in figures:
                order = ("base", "this") if r % 2 == 0 else ("this", "base")
                for label in order:
                    rates.setdefault((name, label), []).append(measure(versions[label]))
        anchors.append(speed.cartpole(secs))
    cp = _median(anchors)
    print(
        f"# base {args.base} vs this checkout, one process; CartPole-v1 {cp:,.0f} /s (median of "
        f"{len(anchors)}), goal 1/7 = {cp / 7:,.0f} /s; median of {args.rounds} alternating rounds"
    )
    print(f"{'figure':<40}{'base':>22}{'this':>22}{'this/base':>11}  spread (base; this)")
    for name, _ in figures:
        base, this = _median(rates[(name, "base")]), _median(rates[(name, "this")])
        shown = [f"{v:,.0f}/s (1/{cp / v:.1f})" for v in (base, this)]
        spread = "; ".join(
            f"{min(rates[(name, k)]):,.0f}-{max(rates[(name, k)]):,.0f}" for k in ("base", "this")
        )
        print(f"{name:<40}{shown[0]:>22}{shown[1]:>22}{this / base:>10.2f}x  {spread}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
