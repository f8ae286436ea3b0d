"""``simarena train``: train an agent on the learning env with Stable-Baselines3 (the ``rl`` extra).

Its flags are the ``train`` face of the settings table (docs/settings.md): the learn and train groups, the
reward, the step duration and the seed. Exit codes: 0 trained (the folder is written), 2 bad input or the
rl extra missing (one line on stderr).
"""

from __future__ import annotations

import argparse

from .common import EXIT_OK, add_command
from .options import add_settings, setting_values


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simarena train``."""
    p = add_command(
        subparsers,
        "train",
        help="Train a PPO or DQN agent on traces; the folder it writes is a policy (rl:DIR)",
        exit_codes="0 trained, 2 bad input or the rl extra missing (one line on stderr)",
        handler=cmd_train,
    )
    p.add_argument(
        "traces",
        metavar="TRACES",
        nargs="+",
        help="Trace files, folders, globs or family:NAME (family:* for every generated family)",
    )
    p.add_argument("--out", metavar="DIR", required=True, help="Output folder (a policy: --policy rl:DIR)")
    add_settings(p, "train")


def cmd_train(args: argparse.Namespace) -> int:
    from pytest_simarena.rl.env import PROFILES
    from pytest_simarena.rl.train import TrainRun, train
    from pytest_simarena.settings import EpisodeSettings, LearnSettings, TrainSettings

    values = setting_values(args)
    learn = LearnSettings.from_values(values)
    if args.reward is None:  # no --reward: the profile's (the episode default, binary, teaches nothing)
        values["reward"] = PROFILES[learn.profile]["reward"]
    episode = EpisodeSettings.from_values(values, prefix="learn")
    run = TrainRun(
        traces=tuple(args.traces),
        episode=episode,
        learn=learn,
        train=TrainSettings.from_values(values),
        out=args.out,
    )
    result = train(run)
    print(
        f"trained {run.train.algo} for {result.steps} env steps in {result.seconds:.1f}s, "
        f"{result.cpu_seconds / 60:.1f} CPU-minutes "
        f"({result.steps_per_second:,.0f} env steps/s, {result.episodes} episodes, "
        f"last 100 solved {result.recent_solve_rate:.0%}); policy: --policy rl:{result.out}"
    )
    return EXIT_OK
