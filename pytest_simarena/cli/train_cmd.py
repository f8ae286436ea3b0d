"""``simarena train``: train an agent on the learning env with Stable-Baselines3 (the ``rl`` extra).

Exit codes: 0 trained (the folder is written), 2 bad input or the rl extra missing (one line on stderr).
"""

from __future__ import annotations

import argparse

from .common import EXIT_OK, add_command, whole_number

_positive_int = whole_number(1)
_non_negative_int = whole_number(0)


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
    p.add_argument("--algo", choices=("ppo", "dqn"), default="ppo", help="Algorithm (default ppo)")
    p.add_argument("--steps", type=_positive_int, default=20_000, help="Env steps to train (default 20000)")
    p.add_argument("--envs", type=_positive_int, default=1, help="Env copies in subprocesses (default 1)")
    p.add_argument("--seed", type=int, default=0, help="Seed of the model and the envs (default 0)")
    p.add_argument(
        "--profile", choices=("default", "seed"), default="default", help="Env shape (default ours)"
    )
    p.add_argument(
        "--action-space",
        choices=("discrete", "seed", "proportional", "parametric"),
        help="Action space (default: the profile's, proportional or seed)",
    )
    p.add_argument(
        "--observation", choices=("vector", "dict", "seed"), help="Observation (default: profile's)"
    )
    p.add_argument("--reward", help="Reward name (default: the profile's, fit or scale)")
    p.add_argument("--max-steps", type=_positive_int, default=10, help="Steps per episode (default 10)")
    p.add_argument(
        "--holdout",
        nargs="+",
        default=[],
        metavar="FAMILY",
        help="Trace families kept out of training (for results on families never seen)",
    )
    p.add_argument("--obs-noise", type=float, default=0.0, help="Seed observation noise std (default 0)")
    p.add_argument("--net", type=_positive_int, nargs="+", help="Hidden layer sizes (default 64 64)")
    p.add_argument("--checkpoints", type=_non_negative_int, default=4, help="Checkpoints to save (default 4)")
    p.add_argument("--out", metavar="DIR", required=True, help="Output folder (a policy: --policy rl:DIR)")
    p.add_argument("--no-progress", action="store_true", help="No progress bar")


def cmd_train(args: argparse.Namespace) -> int:
    from pytest_simarena.rl.train import TrainSettings, train

    settings = TrainSettings(
        traces=tuple(args.traces),
        algo=args.algo,
        steps=args.steps,
        envs=args.envs,
        seed=args.seed,
        profile=args.profile,
        action_space=args.action_space,
        observation=args.observation,
        reward=args.reward,
        max_steps=args.max_steps,
        holdout=tuple(args.holdout),
        obs_noise=args.obs_noise,
        net=tuple(args.net or ()),
        out=args.out,
        progress=not args.no_progress,
        checkpoints=args.checkpoints,
    )
    result = train(settings)
    print(
        f"trained {args.algo} for {result.steps} env steps in {result.seconds:.1f}s "
        f"({result.steps_per_second:,.0f} env steps/s, {result.episodes} episodes, "
        f"last 100 solved {result.recent_solve_rate:.0%}); policy: --policy rl:{result.out}"
    )
    return EXIT_OK
