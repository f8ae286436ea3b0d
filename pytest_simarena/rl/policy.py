"""Trained agents as policies: ``rl:DIR`` (a ``simarena train`` output folder) and the shipped baselines.

A trained agent is exported as ``policy.json`` (what it observes and how its actions decode) and
``policy.npz`` (the network's weights), so running it needs only numpy: no torch, no gymnasium, no RL
library. ``rl:ppo-baseline`` and ``rl:dqn-baseline`` (and ``rl:dqn-seed``) are folders shipped in the
package (``pytest_simarena/rl/baselines/``). The network is the actor of the trained model (PPO) or its
Q-network (DQN); the action is the arg-max (deterministic, so the same episode gives the same run).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from pytest_simarena.errors import SimArenaError

from .action_spaces import action_space_spec
from .features import GROUPS, observation_vector, seed_vector

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.episode.observation import Observation

FORMAT = "simarena-rl-policy/1"
PREFIX = "rl:"
ACTIVATIONS: dict[str, Callable[[Any], Any]] = {
    "tanh": np.tanh,
    "relu": lambda x: np.maximum(x, 0.0),
}


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


class RLPolicy:
    """A trained network acting through the env's action space; numpy inference only."""

    def __init__(self, spec: str) -> None:
        folder = resolve_policy_dir(spec)
        self.name = spec if spec.startswith(PREFIX) else f"{PREFIX}{spec}"
        meta_path = folder / "policy.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SimArenaError(f"{meta_path}: cannot read the policy description ({exc})") from None
        if meta.get("format") != FORMAT:
            raise SimArenaError(f"{meta_path}: format={meta.get('format')!r}, expected {FORMAT!r}")
        self.meta: dict[str, Any] = meta
        self.spec = action_space_spec(str(meta["actionSpace"]))
        self.observation = str(meta["observation"])
        self.max_steps = int(meta.get("maxSteps", 10))
        activation = str(meta.get("activation", "tanh"))
        if activation not in ACTIVATIONS:
            raise SimArenaError(
                f"{meta_path}: activation={activation!r}, expected one of {sorted(ACTIVATIONS)}"
            )
        self._act_fn = ACTIVATIONS[activation]
        weights_path = folder / "policy.npz"
        try:
            with np.load(weights_path) as data:
                count = int(meta["layers"])
                self._layers = [(data[f"w{i}"], data[f"b{i}"]) for i in range(count)]
        except (OSError, KeyError, ValueError) as exc:
            raise SimArenaError(f"{weights_path}: cannot read the weights ({exc})") from None

    def reset(self, *, seed: int | None = None) -> None:
        pass  # deterministic: arg-max of the network

    def features(self, observation: Observation) -> np.ndarray[Any, np.dtype[np.float32]]:
        """The network's input for ``observation`` (as the training env encoded it)."""
        if self.observation == "seed":
            return seed_vector(observation)
        vector = observation_vector(observation, max_steps=self.max_steps)
        if self.observation == "dict":
            # SB3 flattens a Dict observation key by key, in the space's (sorted) key order.
            return np.concatenate([vector[GROUPS[k][0] : GROUPS[k][1]] for k in sorted(GROUPS)])
        return vector

    def logits(self, observation: Observation) -> np.ndarray[Any, np.dtype[np.float64]]:
        """The network's output: action logits (PPO) or Q-values (DQN)."""
        x = self.features(observation).astype(np.float64)
        last = len(self._layers) - 1
        for i, (w, b) in enumerate(self._layers):
            x = x @ w.T + b
            if i < last:
                x = self._act_fn(x)
        return x

    def act(self, observation: Observation) -> Action:
        out = self.logits(observation)
        if self.spec.nvec is not None:
            choice: Any = []
            start = 0
            for n in self.spec.nvec:
                choice.append(int(np.argmax(out[start : start + n])))
                start += n
        else:
            choice = int(np.argmax(out))
        return self.spec.decode(choice, observation)


def export_policy(
    folder: str | Path,
    layers: list[tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]],
    *,
    activation: str,
    algo: str,
    action_space: str,
    observation: str,
    max_steps: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``policy.json`` + ``policy.npz`` into ``folder`` (weights as float32); returns the folder."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    arrays: dict[str, Any] = {}
    for i, (w, b) in enumerate(layers):
        arrays[f"w{i}"] = np.asarray(w, dtype=np.float32)
        arrays[f"b{i}"] = np.asarray(b, dtype=np.float32)
    np.savez_compressed(out / "policy.npz", **arrays)
    meta = {
        "format": FORMAT,
        "algo": algo,
        "actionSpace": action_space,
        "observation": observation,
        "maxSteps": max_steps,
        "activation": activation,
        "layers": len(layers),
        "sizes": [int(np.asarray(w).shape[0]) for w, _ in layers],
        **(extra or {}),
    }
    (out / "policy.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return out
