"""Training with an existing RL library (Stable-Baselines3 on CPU torch): PPO or DQN on the learning env.

``train(TrainSettings(...))`` writes into ``out``:

* ``policy.json``: the trained network and how to run it, with the core install only (``--policy rl:OUT``);
* ``model.zip``: the Stable-Baselines3 model (to continue training or inspect it);
* ``checkpoints/``: models saved along the way;
* ``curve.csv`` and ``learning-curve.png``: per finished episode, the step count, return and whether it
  solved; the picture shows the rolling solve rate and return;
* ``train.json``: the settings, the library versions and the measured throughput (env steps/s).

No algorithm is written here: the library does the learning; this module builds envs, wires callbacks and
exports weights. The ``seed`` profile's DQN uses the seed team's network and hyper-parameters
(agent/dqn.py: 24-48 ReLU, RMSprop lr 1e-3, gamma 0.97, buffer 2000, batch 32, target sync every 50 steps,
epsilon 1.0 -> 0.1 over 1000 steps).
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_simarena.errors import SimArenaError
from pytest_simarena.settings import EpisodeSettings, LearnSettings, TrainSettings

ALGOS = ("ppo", "dqn")


@dataclass(frozen=True, slots=True, kw_only=True)
class TrainRun:
    """What a training run depends on: the traces, the three settings objects, the output folder."""

    traces: tuple[str, ...] = ("family:*",)
    episode: EpisodeSettings | None = None
    learn: LearnSettings = field(default_factory=LearnSettings)
    train: TrainSettings = field(default_factory=TrainSettings)
    out: str = "runs/train"

    def env_options(self) -> dict[str, Any]:
        """The LearnEnv keyword options this run means (picklable: sent to env subprocesses)."""
        options: dict[str, Any] = {"traces": list(self.traces), "learn": self.learn}
        if self.episode is not None:
            options["settings"] = self.episode
        return options

    def to_json(self) -> dict[str, Any]:
        return {
            "traces": list(self.traces),
            "episode": self.episode.to_json() if self.episode is not None else None,
            "learn": self.learn.to_json(),
            "train": {k: v for k, v in self.train.to_json().items() if k != "progress"},
        }


@dataclass(frozen=True, slots=True)
class TrainResult:
    """What a run produced: where, how many env steps, how long, and the last episodes' solve rate."""

    out: Path
    steps: int
    seconds: float
    episodes: int
    recent_solve_rate: float
    cpu_seconds: float = 0.0

    @property
    def steps_per_second(self) -> float:
        return self.steps / self.seconds if self.seconds > 0 else 0.0


def _need_library() -> Any:
    try:
        import stable_baselines3
    except ImportError:
        raise SimArenaError(
            "simarena train needs the rl extra: pip install 'pytest-simarena[rl]' "
            "(CPU torch first where PyPI's default is a CUDA build: see docs/learning.md)"
        ) from None
    return stable_baselines3


def _model(run: TrainRun, venv: Any, *, observation: str, seed: int) -> Any:
    import torch
    from stable_baselines3 import DQN, PPO

    settings = run.train
    seed_profile = run.learn.profile == "seed"
    policy = "MultiInputPolicy" if observation == "dict" else "MlpPolicy"
    if settings.algo == "ppo":
        net = list(settings.layers or (64, 64))
        n_steps = max(32, 512 // settings.envs)
        return PPO(
            policy,
            venv,
            n_steps=n_steps,
            batch_size=64,
            n_epochs=5,
            learning_rate=3e-4,
            gamma=0.95,
            ent_coef=0.01,
            policy_kwargs={"net_arch": {"pi": net, "vf": net}},
            seed=seed,
            device="cpu",
            verbose=0,
        )
    if settings.algo == "dqn":
        net = list(settings.layers or ((24, 48) if seed_profile else (64, 64)))
        policy_kwargs: dict[str, Any] = {"net_arch": net}
        if seed_profile:
            policy_kwargs["optimizer_class"] = torch.optim.RMSprop
        return DQN(
            policy,
            venv,
            learning_rate=1e-3,
            gamma=0.97 if seed_profile else 0.95,
            buffer_size=2000 if seed_profile else 20_000,
            batch_size=32,
            learning_starts=32 if seed_profile else 500,
            target_update_interval=50 if seed_profile else 250,
            exploration_initial_eps=1.0,
            exploration_final_eps=0.1 if seed_profile else 0.05,
            exploration_fraction=min(1.0, 1000 / settings.train_steps) if seed_profile else 0.3,
            train_freq=1 if seed_profile else 4,
            policy_kwargs=policy_kwargs,
            seed=seed,
            device="cpu",
            verbose=0,
        )
    raise SimArenaError(f"--algo {settings.algo!r}: expected one of {', '.join(ALGOS)}")


def _layers(model: Any, algo: str) -> tuple[list[tuple[Any, Any]], str]:
    """The inference network's (weight, bias) pairs (numpy arrays) and activation name."""
    import torch

    if algo == "ppo":
        modules = [*model.policy.mlp_extractor.policy_net, model.policy.action_net]
    else:
        modules = list(model.q_net.q_net)
    layers = [
        (m.weight.detach().cpu().numpy(), m.bias.detach().cpu().numpy())
        for m in modules
        if isinstance(m, torch.nn.Linear)
    ]
    activation = "tanh" if any(isinstance(m, torch.nn.Tanh) for m in modules) else "relu"
    return layers, activation


def _curve_callback(rows: list[dict[str, Any]]) -> Any:
    from stable_baselines3.common.callbacks import BaseCallback

    class Curve(BaseCallback):
        """Records every finished episode (Monitor's return and length, and whether it solved)."""

        def _on_step(self) -> bool:
            for done, info in zip(self.locals["dones"], self.locals["infos"], strict=True):
                if done and "episode" in info:
                    rows.append(
                        {
                            "timesteps": int(self.num_timesteps),
                            "return": round(float(info["episode"]["r"]), 6),
                            "length": int(info["episode"]["l"]),
                            "solved": bool(info.get("healthy", False)),
                        }
                    )
            return True

    return Curve()


def plot_curve(rows: Sequence[dict[str, Any]], path: Path, title: str, window: int = 50) -> None:
    """The rolling solve rate and mean return against env steps, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.6), dpi=100)
    if rows:
        xs = [r["timesteps"] for r in rows]
        solved = [1.0 if r["solved"] else 0.0 for r in rows]
        returns = [float(r["return"]) for r in rows]

        def rolling(values: list[float]) -> list[float]:
            out, total = [], 0.0
            for i, v in enumerate(values):
                total += v - (values[i - window] if i >= window else 0.0)
                out.append(total / min(i + 1, window))
            return out

        ax.plot(xs, rolling(solved), color="tab:green", label=f"solve rate (last {window} episodes)")
        ax.set_ylim(0, 1.05)
        ax2 = ax.twinx()
        ax2.plot(xs, rolling(returns), color="tab:blue", alpha=0.6, label="mean return")
        ax2.set_ylabel("return")
        ax.legend(loc="lower right", fontsize=8)
    ax.set_xlabel("env steps")
    ax.set_ylabel("solve rate")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)


def train(run: TrainRun) -> TrainResult:
    """Train ``run.train.algo`` on the learning env and write the output folder (module docstring)."""
    from .env import LearnEnv, make_env
    from .policy import export_policy

    settings = run.train
    options = run.env_options()
    probe = LearnEnv(**options)  # fail fast on bad options (before importing torch), learn the spaces
    sb3 = _need_library()
    import torch
    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    torch.set_num_threads(1)  # small networks: threads cost more than they give, and results stay exact
    seed = probe.settings.seed
    out = Path(run.out)
    out.mkdir(parents=True, exist_ok=True)
    venv = make_vec_env(
        make_env,
        n_envs=settings.envs,
        seed=seed,
        env_kwargs=options,
        vec_env_cls=SubprocVecEnv if settings.envs > 1 else DummyVecEnv,
        vec_env_kwargs={"start_method": "forkserver"} if settings.envs > 1 else None,
    )
    rows: list[dict[str, Any]] = []
    model = _model(run, venv, observation=probe.observation_kind, seed=seed)
    every = max(1, settings.train_steps // max(1, settings.checkpoints) // settings.envs)
    callbacks = [_curve_callback(rows)]
    if settings.checkpoints > 0:
        callbacks.append(CheckpointCallback(every, str(out / "checkpoints"), name_prefix=settings.algo))
    started = time.perf_counter()
    cpu_started = time.process_time()
    workers_before = sum(venv.env_method("process_seconds")) if settings.envs > 1 else 0.0
    try:
        model.learn(settings.train_steps, callback=CallbackList(callbacks), progress_bar=settings.progress)
        # Env subprocesses' CPU counts too: training's CPU time is the trainer's plus theirs.
        workers = sum(venv.env_method("process_seconds")) - workers_before if settings.envs > 1 else 0.0
    finally:
        venv.close()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started + workers
    steps = int(model.num_timesteps)
    model.save(out / "model.zip")
    layers, activation = _layers(model, settings.algo)
    export_policy(
        out,
        layers,
        activation=activation,
        algo=settings.algo,
        action_space=probe.action_space_name,
        observation=probe.observation_kind,
        max_steps=probe.max_steps,
        extra={"profile": probe.profile, "seed": seed, "steps": steps},
    )
    with open(out / "curve.csv", "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["timesteps", "return", "length", "solved"], lineterminator="\n"
        )
        writer.writeheader()
        writer.writerows(rows)
    title = (
        f"{settings.algo.upper()} on {len(probe.pool.families)} families ({probe.action_space_name} actions)"
    )
    plot_curve(rows, out / "learning-curve.png", title)
    recent = rows[-100:]
    rate = sum(r["solved"] for r in recent) / len(recent) if recent else 0.0
    result = TrainResult(out, steps, seconds, len(rows), rate, cpu_seconds)
    record = {
        "settings": run.to_json(),
        "resolved": {
            "actionSpace": probe.action_space_name,
            "observation": probe.observation_kind,
            "reward": probe.settings.reward,
            "families": probe.pool.families,
        },
        "versions": {"stable-baselines3": sb3.__version__, "torch": torch.__version__},
        "envSteps": steps,
        "episodes": len(rows),
        "recentSolveRate": rate,
        # wall-clock figures vary run to run; everything above is a function of the settings
        "seconds": round(seconds, 3),
        "cpuSeconds": round(cpu_seconds, 3),
        "stepsPerSecond": round(result.steps_per_second, 1),
    }
    (out / "train.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return result
