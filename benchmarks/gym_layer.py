"""The gym env step split in two: the whole step, and the env layer alone (what ``rl/env.py``,
``rl/features.py`` and ``gym.py`` add over the episode step underneath).

    .venv/bin/python benchmarks/gym_layer.py                 # this checkout, reused and isolated
    .venv/bin/python benchmarks/gym_layer.py --base c49b116  # and a base commit, same process, alternating

``SimArenaEnv`` on the canonical trace with seeded random actions, as ``speed.py``'s gym rows. A first run
records what the step underneath answers (``apply_step_action``, ``note_scaled``, ``observe_trace``); the
same actions are then run again with those calls answered from the recording, so only the env's own work
(decoding, restamping, reward, history, features, info, resets) is timed. "cold" empties the feature
memos first (as ``speed.py`` does before each figure); "warm" repeats the run. The share is the cold layer
over the whole step, and the layer's own figure is set against CartPole's step and the 1/7 budget.
Rates are per CPU second; each figure is the median of ``--rounds``.
"""

from __future__ import annotations

import argparse
import importlib
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import side_by_side  # noqa: E402  (extracts a base commit under another package name)
import speed  # noqa: E402  (the CartPole anchor and the trace)

UNDERNEATH = ("apply_step_action", "note_scaled", "observe_trace")
STEPS = 3000


def run(env: Any, seed: int, steps: int) -> float:
    """CPU seconds of ``steps`` seeded random actions (resetting when an episode ends)."""
    env.reset(seed=0)
    rng = random.Random(seed)
    actions = [rng.randrange(7) for _ in range(steps)]
    step, reset = env.step, env.reset
    start = time.process_time()
    for action in actions:
        _, _, terminated, truncated, _ = step(action)
        if terminated or truncated:
            reset()
    return time.process_time() - start


class Split:
    """One package's gym env: the whole step (recorded), then the env layer alone (replayed)."""

    def __init__(self, pkg: str, isolated: bool, steps: int) -> None:
        self.env_module = importlib.import_module(f"{pkg}.rl.env")
        self.features = importlib.import_module(f"{pkg}.rl.features")
        self.loop = importlib.import_module(f"{pkg}.episode.loop")
        self.real = {name: getattr(self.env_module, name) for name in UNDERNEATH}
        self.recorded: dict[str, list[Any]] = {name: [] for name in UNDERNEATH}
        self.at = dict.fromkeys(UNDERNEATH, 0)
        make = importlib.import_module(f"{pkg}.backends.registry").make_backend
        backend = make("embedded", seed=0, **({"isolated": True} if isolated else {}))
        gym = importlib.import_module(f"{pkg}.gym")
        self.env = gym.SimArenaEnv(str(speed.TRACE), max_steps=50, backend=backend)
        self.steps = steps
        self._patch(self._recorder)
        self.loop.clear_step_memos()
        self.features.clear_memo()
        self.whole = run(self.env, 1, steps) / steps
        self._patch(self._player)

    def _patch(self, wrap: Callable[[str], Callable[..., Any]]) -> None:
        for name in UNDERNEATH:
            setattr(self.env_module, name, wrap(name))

    def _recorder(self, name: str) -> Callable[..., Any]:
        real, out = self.real[name], self.recorded[name]

        def call(*args: Any, **kwargs: Any) -> Any:
            answer = real(*args, **kwargs)
            out.append(answer)
            return answer

        return call

    def _player(self, name: str) -> Callable[..., Any]:
        answers, at = self.recorded[name], self.at

        def call(*args: Any, **kwargs: Any) -> Any:
            i = at[name]
            at[name] = i + 1
            return answers[i]

        return call

    def layer(self, cold: bool) -> float:
        """CPU seconds per step of the env layer alone (feature memos emptied first when ``cold``)."""
        self.at.update(dict.fromkeys(UNDERNEATH, 0))
        if cold:
            self.features.clear_memo()
        return run(self.env, 1, self.steps) / self.steps

    def restore(self) -> None:
        self._patch(lambda name: self.real[name])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base", help="A base commit measured alongside, in this process")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=STEPS)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="simarena-base-") as tmp:
        packages = ["pytest_simarena"]
        if args.base:
            side_by_side.extract(args.base, Path(tmp))
            sys.path.insert(0, tmp)
            packages.insert(0, side_by_side.BASE_NAME)
        report(packages, args.base, args.rounds, args.steps)
    return 0


def report(packages: list[str], base: str | None, rounds: int, steps: int) -> None:
    """Print the split of each package's gym step (module docstring)."""
    cartpole = speed.cartpole(1.0)
    budget = 1e6 / (cartpole / 7)
    print(
        f"# CartPole-v1 {cartpole:,.0f} /s = {1e6 / cartpole:.1f} us/step; "
        f"the 1/7 goal leaves {budget:.1f} us"
    )
    print(f"# {steps} steps, median of {rounds} rounds (range); us per step, CPU time")
    for isolated in (False, True):
        splits = {pkg: Split(pkg, isolated, steps) for pkg in packages}
        figures: dict[tuple[str, bool], list[float]] = {(p, c): [] for p in packages for c in (True, False)}
        for n in range(rounds):
            for pkg in packages if n % 2 == 0 else packages[::-1]:
                for cold in (True, False):
                    figures[(pkg, cold)].append(splits[pkg].layer(cold) * 1e6)
        mode = "isolated" if isolated else "reused cluster"
        for pkg in packages:
            label = "this checkout" if pkg == "pytest_simarena" else f"base {base}"
            whole = splits[pkg].whole * 1e6
            cold, warm = (statistics.median(figures[(pkg, c)]) for c in (True, False))
            spread = "; ".join(
                f"{min(figures[(pkg, c)]):.1f}-{max(figures[(pkg, c)]):.1f}" for c in (True, False)
            )
            print(
                f"gym env step ({mode}), {label}: whole {whole:.1f} us (recorded run); env layer alone "
                f"cold {cold:.1f} us, warm {warm:.1f} us [{spread}]; layer / whole {cold / whole:.0%}; "
                f"layer = {cold / budget:.0%} of the 1/7 budget"
            )
            splits[pkg].restore()


if __name__ == "__main__":
    raise SystemExit(main())
