"""Ray: one real RLlib PPO iteration with 2 env runners on a local Ray instance, per-worker env configs,
and ``simarena batch --engine ray`` writing the same results.json as ``--jobs 1``.

Needs the ray extra (``pip install -e '.[ray]'``); CI installs it, so these run there for real.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason="needs the ray extra: pip install -e '.[ray]'")

from pytest_simarena.cli import main  # noqa: E402
from pytest_simarena.rl.rllib import ENV_NAME, env_from_config, register  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
GENERATED = ROOT / "traces" / "generated"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[Any]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


def test_env_config_picks_traces_and_seeds_per_worker() -> None:
    from ray.rllib.env.env_context import EnvContext

    config = {"traces_per_worker": [["family:oom-memory-limit"], ["family:replicas-under"]], "seed": 3}
    first = env_from_config(EnvContext(config, worker_index=1))
    second = env_from_config(EnvContext(config, worker_index=2))
    third = env_from_config(EnvContext(config, worker_index=3, vector_index=1))
    assert first.pool.families == third.pool.families == ["oom-memory-limit"]
    assert second.pool.families == ["replicas-under"]
    again = env_from_config(EnvContext(config, worker_index=1))
    assert again.reset()[1]["trace"] == first.reset()[1]["trace"]  # seeded per worker: reproducible


def test_one_rllib_ppo_iteration_with_two_env_runners(local_ray: Any) -> None:
    from ray.rllib.algorithms.ppo import PPOConfig

    assert register() == ENV_NAME
    config = (
        PPOConfig()
        .environment(ENV_NAME, env_config={"traces": ["family:oom-memory-limit"], "max_steps": 5, "seed": 1})
        .env_runners(num_env_runners=2, rollout_fragment_length=32, num_cpus_per_env_runner=0.5)
        .training(train_batch_size_per_learner=64, minibatch_size=32, num_epochs=1)
        .learners(num_learners=0)
        .debugging(seed=0)
    )
    algo = config.build_algo()
    try:
        result = algo.train()
    finally:
        algo.stop()
    assert result["training_iteration"] == 1
    assert result["env_runners"]["num_env_steps_sampled"] >= 64
    assert result["learners"]  # the learner updated the policy from the sampled steps


def test_batch_on_ray_writes_the_same_results_as_one_job(local_ray: Any, tmp_path: Path) -> None:
    traces = [
        str(GENERATED / name) for name in ("oom-memory-limit-007.sktrace", "replicas-under-006.sktrace")
    ]
    args = [*traces, "--policy", "heuristic", "random", "--seed", "5", "--json"]
    assert main(["batch", *args, "--out", str(tmp_path / "one")]) == 0
    assert main(["batch", *args, "--engine", "ray", "--jobs", "2", "--out", str(tmp_path / "ray")]) == 0
    one = (tmp_path / "one" / "results.json").read_bytes()
    assert one == (tmp_path / "ray" / "results.json").read_bytes()
    assert one.count(b'"policy": "random"') >= 2
