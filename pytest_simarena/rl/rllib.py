"""The learning env for Ray RLlib (the ``ray`` extra): registered by name, configured per worker.

>>> from pytest_simarena.rl.rllib import ENV_NAME, register  # doctest: +SKIP
>>> register()
>>> config = PPOConfig().environment(ENV_NAME, env_config={"traces": ["family:*"]})  # doctest: +SKIP

``env_config`` takes :class:`~pytest_simarena.rl.env.LearnEnv`'s options, plus ``traces_per_worker``: a list
of trace-source lists; env runner ``i`` (1-based) trains on entry ``(i - 1) % len``, so workers can split
the traces between them. ``seed`` offsets the env's generator seed per worker and vector index, so no two
env copies draw the same episodes. To use a multi-node cluster, ``ray.init(address="ray://HEAD:10001")``
(or ``RAY_ADDRESS``) before building the algorithm: docs/learning.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .env import LearnEnv

ENV_NAME = "SimArena-Learn-rllib"


def env_from_config(config: Mapping[str, Any]) -> LearnEnv:
    """A LearnEnv for one RLlib env copy; ``config`` is RLlib's EnvContext (a dict with worker_index...)."""
    options = dict(config)
    per_worker = options.pop("traces_per_worker", None)
    seed = int(options.pop("seed", 0))
    worker = int(getattr(config, "worker_index", 0))
    vector = int(getattr(config, "vector_index", 0))
    if per_worker:
        options["traces"] = list(per_worker[(max(worker, 1) - 1) % len(per_worker)])
    options.setdefault("generator_seed", seed)
    env = LearnEnv(**options)
    # Distinct, reproducible draws per env copy even before RLlib seeds reset().
    env.reset(seed=seed * 100_003 + worker * 1_009 + vector)
    return env


def register() -> str:
    """Register the env with Ray Tune's registry (idempotent); returns its name for ``.environment()``."""
    from ray.tune.registry import register_env

    register_env(ENV_NAME, env_from_config)
    return ENV_NAME
