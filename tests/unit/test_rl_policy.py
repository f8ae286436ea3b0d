"""Trained agents as policies, the bandit, and `simarena train` then `batch --policy rl:DIR`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from pytest_simarena.cli import main
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.errors import SimArenaError
from pytest_simarena.policies.registry import available_policies, make_policy
from pytest_simarena.rl.features import N_FEATURES
from pytest_simarena.rl.policy import RLPolicy, export_policy
from pytest_simarena.trace.io import load_trace

ROOT = Path(__file__).resolve().parents[2]
MEMORY = ROOT / "traces" / "canonical" / "very-bad-memory.sktrace"
OOM = ROOT / "traces" / "generated" / "oom-memory-limit-007.sktrace"


def _one_hot_policy(folder: Path, action: int, n: int = 14) -> Path:
    """A network whose output always prefers ``action``: zero weights, a bias on that action."""
    bias = np.zeros(n, dtype=np.float32)
    bias[action] = 1.0
    layers = [(np.zeros((8, N_FEATURES)), np.zeros(8)), (np.zeros((n, 8)), bias)]
    return export_policy(
        folder,
        layers,
        activation="tanh",
        algo="ppo",
        action_space="proportional",
        observation="vector",
        max_steps=10,
    )


def test_exported_network_decodes_through_the_action_space(tmp_path: Path) -> None:
    folder = _one_hot_policy(tmp_path / "agent", action=6)  # proportional index 6: memory x0.5
    policy = make_policy(f"rl:{folder}")
    assert isinstance(policy, RLPolicy) and policy.name == f"rl:{folder}"
    result = run_episode(load_trace(MEMORY), policy, seed=0)
    assert result.solved and result.steps_to_solve == 1
    first = result.steps[0].action
    assert first is not None and first.type == "set_resources" and first.requests == {"memory": "20Gi"}


def test_tanh_hidden_layer_matters(tmp_path: Path) -> None:
    w0 = np.zeros((2, N_FEATURES))
    w0[0, 1] = 5.0  # hidden 0 follows "pending"
    w1 = np.zeros((14, 2))
    w1[13, 0] = 3.0  # ... and votes for "replicas := target"
    folder = export_policy(
        tmp_path / "a", [(w0, np.zeros(2)), (w1, np.zeros(14))], activation="tanh", algo="ppo",
        action_space="proportional", observation="vector", max_steps=10,
    )  # fmt: skip
    policy = RLPolicy(f"rl:{folder}")
    x = policy.features(run_episode(load_trace(MEMORY), "noop", max_steps=1).steps[0].observation)
    assert policy.logits(run_episode(load_trace(MEMORY), "noop", max_steps=1).steps[0].observation)[13] == (
        pytest.approx(3.0 * np.tanh(5.0 * x[1]), rel=1e-6)
    )


def test_trained_policy_runs_without_numpy(tmp_path: Path, pytester: pytest.Pytester) -> None:
    folder = _one_hot_policy(tmp_path / "agent", action=6)
    script = tmp_path / "no_numpy.py"
    script.write_text(
        "import sys\n"
        "sys.modules['numpy'] = None  # any import of numpy now fails\n"
        "from pytest_simarena.episode.loop import run_episode\n"
        "from pytest_simarena.trace.io import load_trace\n"
        f"result = run_episode(load_trace({str(MEMORY)!r}), 'rl:{folder}', seed=0)\n"
        "assert result.solved and 'numpy' not in [m for m in sys.modules if sys.modules[m] is not None]\n"
        "print('solved without numpy')\n"
    )
    result = pytester.run(sys.executable, str(script))
    assert result.ret == 0, result.stderr.str()
    result.stdout.fnmatch_lines(["solved without numpy"])


def test_bad_rl_names_are_one_line(tmp_path: Path) -> None:
    with pytest.raises(SimArenaError, match="neither a shipped baseline"):
        make_policy(f"rl:{tmp_path / 'nothing'}")
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "policy.json").write_text('{"format": "other"}')
    with pytest.raises(SimArenaError, match=r"format='other', expected 'simarena-rl-policy/2'"):
        make_policy(f"rl:{tmp_path / 'bad'}")


def test_bandit_learns_from_the_rewards_that_follow_its_actions() -> None:
    policy = make_policy("bandit", epsilon=0.5)
    result = run_episode(load_trace(OOM), policy, seed=3, max_steps=10)
    assert len(result.steps) == 10 and sum(policy.counts) == 9  # type: ignore[attr-defined]
    again = run_episode(load_trace(OOM), make_policy("bandit", epsilon=0.5), seed=3, max_steps=10)
    assert [s.action.type for s in again.steps] == [s.action.type for s in result.steps]  # type: ignore[union-attr]
    assert "bandit" in available_policies()


def test_train_then_batch_on_held_out_traces(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("stable_baselines3")
    out = tmp_path / "ppo"
    code = main(
        ["train", "family:oom-memory-limit", "family:replicas-under", "--steps", "128", "--out", str(out),
         "--no-progress", "--checkpoints", "1"]
    )  # fmt: skip
    assert code == 0 and "env steps/s" in capsys.readouterr().out
    for name in ("policy.json", "model.zip", "curve.csv", "learning-curve.png", "train.json"):
        assert (out / name).is_file(), name
    record = json.loads((out / "train.json").read_text())
    assert record["envSteps"] >= 128 and record["resolved"]["actionSpace"] == "proportional"
    held = [str(ROOT / "traces" / "generated" / f"cpu-far-over-0{i}0.sktrace") for i in range(3)]
    code = main(
        ["batch", *held, "--policy", f"rl:{out}", "heuristic", "--out", str(tmp_path / "b"), "--json"]
    )
    rows = json.loads((tmp_path / "b" / "results.json").read_text())["results"]
    assert code == 0 and len(rows) == 6 and all(r["error"] is None for r in rows)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["family:nope"], "unknown trace family 'nope'"),
        (["family:*", "--action-space", "proportinal"], "did you mean 'proportional'"),
        (["family:*", "--holdout", "cpu-far"], "unknown trace family 'cpu-far'"),
    ],
)
def test_train_bad_input_is_one_line(
    argv: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    try:
        code = main(["train", *argv, "--out", str(tmp_path / "x")])
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    err = capsys.readouterr().err.strip()
    assert code == 2 and message in err and len(err.splitlines()) == 1, err


def test_shipped_baselines_by_name() -> None:
    from pytest_simarena.rl.policy import shipped_baselines

    assert {"ppo-baseline", "dqn-baseline", "dqn-seed"} <= set(shipped_baselines())
    assert {"rl:ppo-baseline", "rl:dqn-baseline", "rl:dqn-seed"} <= set(available_policies())
    held_out = load_trace(ROOT / "traces" / "generated" / "memory-far-over-012.sktrace")
    for name in ("rl:ppo-baseline", "rl:dqn-baseline"):
        result = run_episode(held_out, name, seed=0)
        assert result.solved and result.error is None, name
    seed_agent = run_episode(held_out, "rl:dqn-seed", seed=0)  # the seed's shape: 7 fixed steps, 5 features
    assert seed_agent.error is None and len(seed_agent.steps) >= 1
