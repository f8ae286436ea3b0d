"""Trained agents as policies: ``rl:DIR`` (a ``simarena train`` output folder) and the shipped baselines.

A trained agent is exported as one ``policy.json``: what it observes, how its actions decode, and the
network's weights. Running it needs nothing beyond the core install: no torch, no gymnasium, no numpy
(the networks are small: a few thousand multiply-adds per step in plain Python). ``rl:ppo-baseline``,
``rl:dqn-baseline`` and ``rl:dqn-seed`` are folders shipped in the package
(``pytest_simarena/rl/baselines/``). The network is the actor of the trained model (PPO) or its Q-network
(DQN); the action is the arg-max (deterministic, so the same episode gives the same run).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError

from .action_spaces import action_space_spec
from .baselines import PREFIX as PREFIX
from .baselines import baselines_dir as baselines_dir
from .baselines import resolve_policy_dir as resolve_policy_dir
from .baselines import shipped_baselines as shipped_baselines
from .features import GROUPS, clipped_values, seed_values

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.episode.observation import Observation

FORMAT = "simarena-rl-policy/2"
ACTIVATIONS: dict[str, Callable[[float], float]] = {"tanh": math.tanh, "relu": lambda x: x if x > 0 else 0.0}
Layer = tuple[list[list[float]], list[float]]


def _layers(meta: dict[str, Any], where: Path) -> list[Layer]:
    layers: list[Layer] = []
    try:
        for i, layer in enumerate(meta["weights"]):
            w = [[float(v) for v in row] for row in layer["w"]]
            b = [float(v) for v in layer["b"]]
            if len(w) != len(b) or (layers and any(len(row) != len(layers[-1][1]) for row in w)):
                raise ValueError(f"layer {i}: {len(w)} x {len(w[0]) if w else 0} weights, {len(b)} biases")
            layers.append((w, b))
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise SimArenaError(f"{where}: weights: {exc}") from None
    if not layers:
        raise SimArenaError(f"{where}: weights: no layers")
    return layers


class RLPolicy:
    """A trained network acting through the env's action space; plain-Python inference."""

    def __init__(self, spec: str) -> None:
        folder = resolve_policy_dir(spec)
        self.name = spec if spec.startswith(PREFIX) else f"{PREFIX}{spec}"
        meta_path = folder / "policy.json"
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SimArenaError(f"{meta_path}: cannot read the policy description ({exc})") from None
        if not isinstance(meta, dict) or meta.get("format") != FORMAT:
            found = meta.get("format") if isinstance(meta, dict) else None
            raise SimArenaError(f"{meta_path}: format={found!r}, expected {FORMAT!r}")
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
        self._layers = _layers(meta, meta_path)

    def reset(self, *, seed: int | None = None) -> None:
        pass  # deterministic: arg-max of the network

    def features(self, observation: Observation) -> list[float]:
        """The network's input for ``observation`` (as the training env encoded it)."""
        if self.observation == "seed":
            return seed_values(observation)
        values = clipped_values(observation, max_steps=self.max_steps)
        if self.observation == "dict":
            # Stable-Baselines3 flattens a Dict observation key by key, in the space's (sorted) key order.
            return [v for key in sorted(GROUPS) for v in values[GROUPS[key][0] : GROUPS[key][1]]]
        return values

    def logits(self, observation: Observation) -> list[float]:
        """The network's output: action logits (PPO) or Q-values (DQN)."""
        x = self.features(observation)
        last = len(self._layers) - 1
        for i, (w, b) in enumerate(self._layers):
            x = [
                bias + math.fsum(wi * xi for wi, xi in zip(row, x, strict=True))
                for row, bias in zip(w, b, strict=True)
            ]
            if i < last:
                x = [self._act_fn(v) for v in x]
        return x

    def act(self, observation: Observation) -> Action:
        out = self.logits(observation)
        if self.spec.nvec is not None:
            choice: Any = []
            start = 0
            for n in self.spec.nvec:
                part = out[start : start + n]
                choice.append(part.index(max(part)))
                start += n
        else:
            choice = out.index(max(out))
        return self.spec.decode(choice, observation)


def export_policy(
    folder: str | Path,
    layers: Sequence[tuple[Any, Any]],
    *,
    activation: str,
    algo: str,
    action_space: str,
    observation: str,
    max_steps: int,
    extra: dict[str, Any] | None = None,
) -> Path:
    """Write ``policy.json`` (description and weights, float32 values) into ``folder``; returns it.

    ``layers`` are (weight, bias) pairs, weight shaped (out, in), as numpy arrays or nested lists.
    """
    import struct

    def f32(value: Any) -> float:
        # float32 precision, written with the 9 significant digits that round-trip it (a short file).
        return float(f"{struct.unpack('f', struct.pack('f', float(value)))[0]:.9g}")

    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    weights = [
        {"w": [[f32(v) for v in row] for row in w], "b": [f32(v) for v in b]}
        for w, b in (
            (getattr(w, "tolist", lambda w=w: w)(), getattr(b, "tolist", lambda b=b: b)()) for w, b in layers
        )
    ]
    meta = {
        "format": FORMAT,
        "algo": algo,
        "actionSpace": action_space,
        "observation": observation,
        "maxSteps": max_steps,
        "activation": activation,
        "sizes": [len(b) for _, b in layers],
        **(extra or {}),
        "weights": weights,
    }
    (out / "policy.json").write_text(json.dumps(meta, sort_keys=False) + "\n", encoding="utf-8")
    return out
