"""Episodes on the embedded cluster: the canonical traces, determinism, replay, failures, hooks, hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.backends.registry import make_backend
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.episode.replay import replay_run
from pytest_simarena.episode.runlog import export_step_trace, read_step_traces, step_trace_bytes
from pytest_simarena.errors import BackendError
from pytest_simarena.quantities import parse_cpu
from pytest_simarena.trace.io import load_trace
from pytest_simarena.trace.model import containers

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = sorted((ROOT / "traces" / "canonical").glob("*.sktrace"))
CPU_CASES = [p for p in CANONICAL if "cpu" in p.stem]


def _cpu_request(trace_path: Path | str) -> int:
    trace = load_trace(trace_path)
    obj = trace.latest(trace.workloads()[0])
    assert obj is not None
    return parse_cpu(containers(obj)[0]["resources"]["requests"]["cpu"])


def test_canonical_traces_exist() -> None:
    assert [p.stem for p in CANONICAL] == ["mixed", "slightly-bad-cpu", "very-bad-cpu", "very-bad-memory"]


@pytest.mark.parametrize("policy", ["heuristic", "vpa"])
@pytest.mark.parametrize("path", CANONICAL, ids=lambda p: p.stem)
def test_heuristic_and_vpa_solve_every_canonical_trace_within_5_steps(path: Path, policy: str) -> None:
    result = run_episode(load_trace(path), policy)
    assert result.error is None
    assert result.solved, [s.to_json()["observation"] for s in result.steps]
    assert result.steps_to_solve is not None and result.steps_to_solve <= 5
    final = result.final
    assert final is not None and final.ready == final.target == final.total == 3 and final.pending == 0
    assert result.rewards[-1] == 1.0 and result.total_reward == 1.0


@pytest.mark.parametrize("path", CANONICAL, ids=lambda p: p.stem)
def test_noop_solves_no_canonical_trace(path: Path) -> None:
    result = run_episode(load_trace(path), "noop", max_steps=3)
    assert not result.solved and result.steps_to_solve is None
    assert len(result.steps) == 3 and result.total_reward == 0.0
    first = result.steps[0].observation
    assert first.pending > 0 and first.ready == 0
    assert first.failed_scheduling is not None and first.failed_scheduling.startswith(
        "0/3 nodes are available: "
    )


@pytest.mark.parametrize("path", CPU_CASES, ids=lambda p: p.stem)
def test_always_bump_cpu_is_blocked_by_the_16_cpu_cap_on_canonical_cpu_cases(path: Path) -> None:
    result = run_episode(load_trace(path), "always_bump_cpu", max_steps=3)
    assert not result.solved
    assert all(s.blocked for s in result.steps)
    assert "cap is 16" in (result.steps[0].block_reason or "")
    assert result.final is not None and result.final.pending == result.final.total


def test_always_bump_cpu_makes_a_cpu_case_worse_until_the_cap_blocks_it(tmp_path: Path) -> None:
    # A generated cpu-slightly-over trace: 3 x 9 cpu on 8-cpu nodes (the cluster noted in its metadata).
    path = ROOT / "traces" / "generated" / "cpu-slightly-over-061.sktrace"
    before = _cpu_request(path)
    result = run_episode(load_trace(path), "always_bump_cpu", max_steps=16, out_dir=tmp_path)
    assert not result.solved
    statuses = [s.status for s in result.steps]
    first_block = statuses.index("blocked")
    assert set(statuses[:first_block]) == {"applied"} and set(statuses[first_block:]) == {"blocked"}
    assert result.final_trace is not None
    final = tmp_path / "final.sktrace"
    assert export_step_trace(tmp_path, str(result.final_trace_file), final) == final
    # It grew 500m a step, then the cap blocked the next bump.
    assert before < 16000 and _cpu_request(final) == 16000
    assert all(s.observation.pending == s.observation.total for s in result.steps)  # never better


def test_same_seed_gives_byte_identical_logs_and_replay_confirms(tmp_path: Path) -> None:
    trace = CANONICAL[0]
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        run_episode(load_trace(trace), "random", seed=11, max_steps=6, out_dir=out, trace_label=str(trace))
    for name in ("steps.jsonl", "summary.json"):
        assert (a / name).read_bytes() == (b / name).read_bytes()
    assert (a / "traces.msgpack").read_bytes() == (b / "traces.msgpack").read_bytes()
    assert [t.name for t in read_step_traces(a)] == [f"step-{i:03d}.sktrace" for i in range(7)]
    assert sorted(p.name for p in a.iterdir()) == [
        "steps.jsonl",
        "summary.json",
        "timings.json",
        "traces.msgpack",
    ]
    report = replay_run(a)
    assert report.reproduced and report.difference is None


def test_a_run_on_a_caller_built_cluster_replays_on_that_cluster(tmp_path: Path) -> None:
    # The plugin hands run_episode a backend it built (e.g. a scenario's 2-node cluster): the summary
    # records that cluster's spec, and replay rebuilds it, so the run reproduces exactly.
    from pytest_simarena.backends.embedded import ClusterSpec

    small = ClusterSpec.uniform(2, "16", "32Gi")
    backend = EmbeddedCluster(small, seed=5)
    run_episode(load_trace(CANONICAL[0]), "heuristic", backend=backend, seed=5, out_dir=tmp_path)
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert ClusterSpec.from_dict(summary["options"]["clusterSpec"]) == small
    report = replay_run(tmp_path)
    assert report.reproduced, report.difference


def test_replay_reports_the_first_difference(tmp_path: Path) -> None:
    run_episode(load_trace(CANONICAL[1]), "heuristic", out_dir=tmp_path)
    lines = (tmp_path / "steps.jsonl").read_text().splitlines()
    record = json.loads(lines[0])
    record["observation"]["ready"] = 99
    lines[0] = json.dumps(record, separators=(",", ":"))
    (tmp_path / "steps.jsonl").write_text("\n".join(lines) + "\n")
    report = replay_run(tmp_path)
    assert not report.reproduced
    assert report.difference == "steps.jsonl line 1 (step 0): observation.ready: 99 -> 0"


def test_different_seeds_give_different_random_runs(tmp_path: Path) -> None:
    runs = [run_episode(load_trace(CANONICAL[0]), "random", seed=s, max_steps=8).actions for s in (1, 2)]
    assert runs[0] != runs[1]


def test_run_folder_contents(tmp_path: Path) -> None:
    result = run_episode(
        load_trace(CANONICAL[1]), "heuristic", out_dir=tmp_path, trace_label="slightly-bad-cpu"
    )
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["solved"] is True and summary["stepsToSolve"] == 1
    assert summary["policy"] == "heuristic" and summary["seed"] == 0 and summary["backend"] == "embedded"
    assert summary["rewards"] == [0.0, 1.0] and summary["trace"] == "slightly-bad-cpu"
    steps = [json.loads(line) for line in (tmp_path / "steps.jsonl").read_text().splitlines()]
    assert [s["verdict"]["status"] for s in steps] == ["applied", "solved"]
    assert steps[0]["action"]["type"] == "set_resources"
    assert steps[0]["observation"]["failedScheduling"].startswith(
        "0/3 nodes are available: 3 Insufficient cpu."
    )
    assert steps[0]["time"] == 120.0
    import hashlib

    for s in steps:
        name, data = step_trace_bytes(tmp_path, s["trace"]["file"])
        assert name == s["trace"]["file"] and hashlib.sha256(data).hexdigest() == s["trace"]["sha256"]
    assert "totalSeconds" in json.loads((tmp_path / "timings.json").read_text())
    assert "Seconds" not in (tmp_path / "steps.jsonl").read_text()
    assert result.final_trace_file == "step-001.sktrace"


def test_a_crashing_policy_ends_the_episode_with_a_clear_error(tmp_path: Path) -> None:
    result = run_episode(load_trace(CANONICAL[1]), "user_policies:ExplodingPolicy", out_dir=tmp_path)
    assert not result.solved
    assert result.error == "step 0: policy 'exploding' raised RuntimeError: agent crashed"
    assert [s.status for s in result.steps] == ["error"]
    assert [t.name for t in read_step_traces(tmp_path)] == ["step-000.sktrace"]  # the last good trace
    assert json.loads((tmp_path / "summary.json").read_text())["error"] == result.error


def test_a_rejected_object_is_observed_and_the_heuristic_repairs_it() -> None:
    trace = load_trace(CANONICAL[1])
    obj = trace.latest(trace.workloads()[0])
    assert obj is not None
    # A request above its limit: the API server (and the embedded cluster) rejects it (k8s notes §2.3).
    containers(obj)[0]["resources"] = {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}
    stuck = run_episode(trace, "noop", max_steps=2)
    first = stuck.steps[0].observation
    assert first.total == 0 and first.rejected is not None
    assert "must be less than or equal to cpu limit of 1" in first.rejected
    fixed = run_episode(trace, "heuristic")
    assert fixed.solved and fixed.steps_to_solve == 1
    assert fixed.steps[0].action is not None and fixed.steps[0].action.limits == {"cpu": "2"}


class _FailingCluster(EmbeddedCluster):
    """The embedded cluster with an API that times out on the second step (as a real cluster can)."""

    def __init__(self) -> None:
        super().__init__(seed=0)
        self.starts = 0

    def advance(self, seconds: float) -> None:
        self.starts += 1
        if self.starts == 2:
            raise BackendError("timed out after 30s waiting for pods of virtual-default/web")
        super().advance(seconds)


def test_a_backend_error_ends_the_episode_and_keeps_the_last_good_trace(tmp_path: Path) -> None:
    result = run_episode(load_trace(CANONICAL[0]), "heuristic", backend=_FailingCluster(), out_dir=tmp_path)
    assert result.error == (
        "step 1: embedded backend failed: timed out after 30s waiting for pods of virtual-default/web"
    )
    assert len(result.steps) == 1 and not result.solved
    # The trace step 1 was replaying stays.
    assert [t.name for t in read_step_traces(tmp_path)] == ["step-000.sktrace", "step-001.sktrace"]
    assert json.loads((tmp_path / "summary.json").read_text())["error"] == result.error


def test_hooks_run_at_every_stage_on_the_embedded_cluster() -> None:
    backend = make_backend("embedded", seed=0)
    seen: list[str] = []
    for stage in ("pre_start", "pre_run", "post_run", "post_stop"):
        backend.add_hook(stage, lambda _backend, stage: seen.append(stage))  # type: ignore[attr-defined]
    result = run_episode(load_trace(CANONICAL[1]), "heuristic", backend=backend)
    assert len(result.steps) == 2
    assert seen == ["pre_start", "pre_run", "post_run"] * 2 + ["post_stop"]


def test_hold_window_needs_consecutive_healthy_observations() -> None:
    once = run_episode(load_trace(CANONICAL[1]), "heuristic")
    held = run_episode(load_trace(CANONICAL[1]), "heuristic", hold=3)
    assert once.steps_to_solve == held.steps_to_solve == 1
    assert len(once.steps) == 2 and len(held.steps) == 4
    assert [s.status for s in held.steps] == ["applied", "unchanged", "unchanged", "solved"]


@pytest.mark.filterwarnings("ignore::pytest_simarena.errors.SimArenaWarning")
def test_seed_team_traces_workload_and_target_from_their_metadata(shared_traces: Path) -> None:
    over = run_episode(load_trace(shared_traces / "sim-arena" / "trace-replicas-over.msgpack"), "heuristic")
    assert over.target == 3  # from "target": "3 pods ready", while the trace runs 5 replicas
    assert over.solved and over.actions[0] == "set_replicas"
    slight = run_episode(load_trace(shared_traces / "sim-arena" / "trace-cpu-slight.msgpack"), "heuristic")
    assert slight.solved and slight.steps_to_solve == 1


def test_unknown_backend_and_an_unreachable_kube_cluster(tmp_path: Path) -> None:
    from pytest_simarena.errors import BackendUnavailable, UnknownNameError

    with pytest.raises(UnknownNameError, match="Did you mean 'embedded'"):
        make_backend("embeded")
    # The kube backend is imported lazily, and a cluster it cannot reach is "unavailable", not a crash.
    with pytest.raises(BackendUnavailable, match="does not exist"):
        make_backend("kube", kubeconfig=str(tmp_path / "no-kubeconfig"), seed=0)


def test_policy_from_an_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real installed distribution (a .dist-info folder on sys.path) declaring a simarena.policies entry.
    dist = tmp_path / "my_agents-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: my-agents\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[simarena.policies]\ncounting = user_policies:CountingPolicy\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    from pytest_simarena.policies import available_policies, make_policy

    assert "counting" in available_policies()
    policy = make_policy("counting", start=3)
    assert policy.name == "counting"
    result = run_episode(load_trace(CANONICAL[1]), policy, max_steps=1)
    assert result.actions == ("set_replicas",) and result.policy == "counting"


def test_node_views_count_sidecars_and_overhead_as_the_scheduler_does() -> None:
    # kubernetes notes 1.1: a sidecar (init container with restartPolicy Always) runs beside the app
    # containers and spec.overhead is added; ordinary init containers only raise the max.
    from pytest_simarena.backends.protocol import ClusterSnapshot
    from pytest_simarena.episode.observation import node_views

    node = {
        "metadata": {"name": "n1"},
        "status": {"allocatable": {"cpu": "16", "memory": "32Gi", "pods": "110"}},
    }

    def requests(cpu: str, memory: str) -> dict[str, object]:
        return {"resources": {"requests": {"cpu": cpu, "memory": memory}}}

    pod = {
        "metadata": {"name": "web-1", "namespace": "virtual-default"},
        "spec": {
            "nodeName": "n1",
            "containers": [{"name": "app", **requests("1", "1Gi")}],
            "initContainers": [
                {"name": "proxy", "restartPolicy": "Always", **requests("500m", "256Mi")},
                {"name": "setup", **requests("1200m", "64Mi")},
            ],
            "overhead": {"cpu": "100m", "memory": "10Mi"},
        },
        "status": {"phase": "Running"},
    }
    done = {
        **pod,
        "metadata": {"name": "job-1", "namespace": "virtual-default"},
        "status": {"phase": "Succeeded"},
    }
    snapshot = ClusterSnapshot(
        time=0.0, prefix="virtual", nodes=[node], pods=[pod, done], workloads=[], events=[]
    )
    (view,) = node_views(snapshot, [pod])
    # max(app 1000m + sidecar 500m, setup 1200m + sidecar 500m) + overhead 100m; the finished pod is freed
    assert view.cpu_requested == 1800
    assert view.memory_requested == (1024 + 256 + 10) * 2**20
    assert (view.cpu, view.pods, view.pods_placed, view.cpu_requested_by_others) == (16000, 110, 1, 0)


def test_settings_made_from_keywords_are_remembered_by_value_and_type() -> None:
    """run_episode's settings from plain keywords come from a memo keyed by each value and its type:
    1, 1.0 and True are equal keys to a dict but not equal settings (True is refused, 1 becomes 1.0)."""
    from pytest_simarena.episode import loop

    loop._SETTINGS.clear()
    calls = [
        {"step_seconds": 1.0},
        {"step_seconds": True},
        {"step_seconds": 1},
        {"max_steps": 3, "seed": 2},
        {"max_steps": True, "seed": 2},
        {"max_steps": 3.0, "seed": 2},
        {"seed": 2, "max_steps": 3},
        {"max_steps": 3, "seed": 2, "policy": "random"},
        # Another seed of a call remembered without its seed (loop._seeded), valid or not.
        {"max_steps": 3, "seed": 7},
        {"seed": -5, "max_steps": 3},
        {"max_steps": 3, "seed": 2**70},
        {"max_steps": 3, "seed": True},
        {"max_steps": 3, "seed": 2.0},
        {"max_steps": 3, "seed": 2.5},
        {"max_steps": 3, "seed": "3"},
        {"max_steps": 3, "seed": None},
    ]
    for _ in range(2):  # the second round is served by the memo
        for overrides in calls:
            for policy in ("noop", None):
                try:
                    memoized: object = loop._settings_for(
                        None, policy, None, None, None, None, None, overrides
                    )
                except Exception as exc:
                    memoized = repr(exc)
                try:
                    built: object = loop._settings_with(
                        None,
                        policy,
                        None,
                        None,
                        None,
                        {**overrides, **({"policy": policy} if policy else {})},
                    )
                except Exception as exc:
                    built = repr(exc)
                assert memoized == built, overrides
                if not isinstance(built, str):
                    assert repr(memoized) == repr(built)  # 1 vs 1.0: equal, but not the same settings
    # The valid kinds of call: 1.0, 1, (3, 2) each with and without "noop"; "random"; and the two with a
    # seed once more without it. Other seeds of (3, seed) are made from that one (_seeded), not stored.
    assert len(loop._SETTINGS) == 10
    with pytest.raises(TypeError, match="unexpected keyword arguments"):
        loop._settings_for(None, None, None, None, None, None, None, {"max_step": 3})
