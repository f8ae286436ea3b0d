"""Isolated clusters and the step memos: a memoized answer is the answer the simulation gives."""

from __future__ import annotations

import dataclasses
import json
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.actions import Action, _edit_copy, apply_action
from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.embedded.memo import LRU, REPLAYS, MemoSnapshot, ReplayMemo
from pytest_simarena.backends.protocol import ClusterSnapshot
from pytest_simarena.episode.loop import apply_step_action, run_episode
from pytest_simarena.episode.runlog import read_step_traces, trace_bytes
from pytest_simarena.policies.space import DISCRETE_ACTIONS
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.keys import is_token

ROOT = Path(__file__).resolve().parents[2]
CANONICAL = sorted((ROOT / "traces" / "canonical").glob("*.sktrace"))
OOM = ROOT / "traces" / "generated" / "oom-memory-limit-007.sktrace"


def _parts(snap: ClusterSnapshot) -> dict[str, Any]:
    return dataclasses.asdict(snap)


@pytest.mark.parametrize("path", [*CANONICAL, OOM], ids=lambda p: p.stem)
def test_an_isolated_replay_is_a_fresh_clusters_replay_cold_and_memoized(path: Path) -> None:
    trace = load_trace(path)
    fresh = EmbeddedCluster(seed=3)
    fresh.start(trace, "virtual")
    fresh.run(120)
    expected = _parts(fresh.observe("virtual"))
    REPLAYS.clear()
    isolated = EmbeddedCluster(seed=3, isolated=True)
    for _ in range(3):  # a miss, then hits; each run starts from the pristine cluster
        snap = isolated.run_trace(trace, "virtual", 120)
        assert _parts(snap) == expected
        assert isolated.event_log == fresh.event_log
    assert REPLAYS.hits >= 2


def test_a_memo_hit_hands_out_fresh_dicts() -> None:
    trace = load_trace(CANONICAL[0])
    cluster = EmbeddedCluster(seed=0, isolated=True)
    first = cluster.run_trace(trace, "virtual", 120)
    first.pods[0]["metadata"]["name"] = "mutated"
    again = cluster.run_trace(trace, "virtual", 120)
    assert again.pods[0]["metadata"]["name"] != "mutated"


def test_the_memo_key_holds_seed_spec_prefix_and_duration() -> None:
    trace = load_trace(CANONICAL[0])
    base = _parts(EmbeddedCluster(seed=0, isolated=True).run_trace(trace, "virtual", 120))
    other_seed = _parts(EmbeddedCluster(seed=1, isolated=True).run_trace(trace, "virtual", 120))
    spec = ClusterSpec.uniform(2, "64", "128Gi", 110)
    other_spec = _parts(EmbeddedCluster(spec, seed=0, isolated=True).run_trace(trace, "virtual", 120))
    shorter = _parts(EmbeddedCluster(seed=0, isolated=True).run_trace(trace, "virtual", 5))
    other_prefix = _parts(EmbeddedCluster(seed=0, isolated=True).run_trace(trace, "x", 120))
    for different in (other_seed, other_spec, shorter, other_prefix):
        assert different != base


def test_hooks_run_and_bypass_the_memo() -> None:
    trace = load_trace(CANONICAL[0])
    cluster = EmbeddedCluster(seed=0, isolated=True)
    cluster.run_trace(trace, "virtual", 120)
    seen: list[str] = []
    cluster.add_hook("pre_start", lambda c, stage: seen.append(stage))
    cluster.run_trace(trace, "virtual", 120)
    cluster.run_trace(trace, "virtual", 120)
    assert seen == ["pre_start", "pre_start"]


def test_a_reused_cluster_still_continues_its_clock() -> None:
    trace = load_trace(CANONICAL[0])
    cluster = EmbeddedCluster(seed=0)
    a = cluster.run_trace(trace, "virtual", 120)
    cluster.cleanup("virtual")
    b = cluster.run_trace(trace, "virtual", 120)
    assert not isinstance(a, MemoSnapshot)
    assert {p["metadata"]["name"] for p in a.pods} != {p["metadata"]["name"] for p in b.pods}


@pytest.mark.parametrize("policy", ["random", "heuristic", "always_bump_memory"])
def test_isolated_episodes_are_the_same_cold_and_warm(policy: str, tmp_path: Path) -> None:
    def episode(out: Path) -> str:
        backend = EmbeddedCluster(seed=5, isolated=True)
        result = run_episode(load_trace(OOM), policy, backend=backend, max_steps=6, seed=5, out_dir=out)
        return json.dumps(result.summary_json(), sort_keys=True) + (out / "steps.jsonl").read_text()

    REPLAYS.clear()
    cold = episode(tmp_path / "cold")
    warm = episode(tmp_path / "warm")
    assert cold == warm


def test_the_step_action_memo_answers_as_apply_action() -> None:
    trace = load_trace(CANONICAL[3])
    sha = trace_bytes(trace)[1]
    for kind in DISCRETE_ACTIONS:
        action = Action(kind, "web")
        direct = apply_action(trace, action, safeguards=DEFAULT_SAFEGUARDS)
        for _ in range(2):
            status, message, _, nxt, data, nsha = apply_step_action(trace, sha, action, DEFAULT_SAFEGUARDS)
            assert (status, message) == (direct.status, direct.message)
            assert trace_bytes(nxt) == trace_bytes(direct.trace)
            # A value edit of the direct route is named by a token (trace/keys.py): no bytes made.
            assert (nxt is trace) == (direct.trace is trace)
            assert data is None or data == trace_bytes(direct.trace)[0]
            assert nsha == trace_bytes(direct.trace)[1] or (is_token(nsha) and data is None)


def test_edit_copy_is_new_where_actions_write_and_shared_elsewhere() -> None:
    """actions._edit_copy: equal to the object; new along the paths an action writes (object, spec,
    template, its spec, container lists, containers, resources and their requests/limits), shared
    elsewhere; dict subclasses keep their class (so an edit never reaches the input)."""
    requests = OrderedDict(cpu="1")
    container = {"name": "app", "resources": {"requests": requests, "limits": {"cpu": "2"}}, "env": [1]}
    meta = {"name": "web", "labels": {"a": "b"}}
    obj: dict[str, Any] = {
        "metadata": meta,
        "spec": {"replicas": 2, "template": {"metadata": {}, "spec": {"containers": [container, "odd"]}}},
    }
    copied = _edit_copy(obj, "/spec/template")
    assert copied == obj and copied["metadata"] is meta
    spec, template = copied["spec"], copied["spec"]["template"]
    assert spec is not obj["spec"] and template is not obj["spec"]["template"]
    assert template["spec"] is not obj["spec"]["template"]["spec"]
    (got, odd) = template["spec"]["containers"]
    assert got is not container and odd == "odd" and got["env"] is container["env"]
    assert got["resources"] is not container["resources"]
    assert got["resources"]["requests"] is not requests and type(got["resources"]["requests"]) is OrderedDict
    assert got["resources"]["limits"] is not container["resources"]["limits"]
    pod = {"metadata": meta, "spec": {"containers": [container]}}
    copied_pod = _edit_copy(pod, "")
    assert copied_pod == pod and copied_pod["spec"]["containers"][0] is not container


def test_the_memos_are_bounded() -> None:
    memo = ReplayMemo(max_entries=3, max_bytes=10**9)
    snap = ClusterSnapshot(1.0, "p", [], [{"a": 1}], [], [])
    for n in range(10):
        memo.put(n, snap, ("line",))
    assert len(memo) == 3 and memo.get(0) is None and memo.get(9) is not None
    small = ReplayMemo(max_entries=100, max_bytes=400)
    for n in range(10):
        small.put(n, ClusterSnapshot(1.0, "p", [], [{"a": "x" * 50}], [], []), ())
    assert 0 < len(small) < 10
    lru: LRU[int] = LRU(2)
    for n in range(5):
        lru.put(n, n)
    assert len(lru) == 2 and lru.get(4) == 4 and lru.get(0) is None


def test_the_gym_env_on_an_isolated_cluster_repeats_itself() -> None:
    gym = pytest.importorskip("pytest_simarena.gym")

    def run() -> list[Any]:
        env = gym.SimArenaEnv(str(OOM), max_steps=5, backend=EmbeddedCluster(seed=2, isolated=True))
        out: list[Any] = [env.reset(seed=2)[0].tolist()]
        for a in [0, 1, 2, 3, 4, 5, 1, 1, 0]:
            obs, reward, terminated, truncated, info = env.step(a % len(env.action_names))
            out.append((obs.tolist(), reward, terminated, truncated, info["status"], info["message"]))
            if terminated or truncated:
                out.append(env.reset()[0].tolist())
        return out

    REPLAYS.clear()
    assert run() == run()


def test_an_isolated_run_folder_replays_exactly(tmp_path: Path) -> None:
    from pytest_simarena.episode.replay import replay_run

    result = run_episode(load_trace(OOM), "heuristic", isolated=True, seed=4, out_dir=tmp_path / "run")
    assert result.options["isolated"] is True
    report = replay_run(tmp_path / "run")
    assert report.reproduced, report.difference


def test_a_reused_clusters_event_log_and_timestamp_cache_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    from pytest_simarena.backends.embedded import clock, events

    monkeypatch.setattr(events, "MAX_LOG_LINES", 50)
    monkeypatch.setattr(events, "PENDING_LIMIT", 10)
    monkeypatch.setattr(clock, "MAX_TIMESTAMPS", 8)
    trace = load_trace(CANONICAL[0])
    cluster = EmbeddedCluster(seed=0)
    for _ in range(20):
        cluster.prepare("virtual")
        cluster.start(trace, "virtual")
        cluster.run(120)
        cluster.observe("virtual")
        cluster.cleanup("virtual")
        assert len(cluster.clock._rfc_cache) <= 8
        # Unread entries are dropped (unformatted) as they pile up: kept lines + pending stay bounded.
        recorder = cluster.recorder
        assert len(recorder._lines) + len(recorder._pending) + recorder._batched <= 50 + 10
    log = cluster.event_log
    assert len(log) == 50 and cluster.recorder.dropped_lines > 0
    # The oldest lines went (the first run's were at 0.000), the newest stay.
    assert 0 < float(log[0].split()[0]) <= float(log[-1].split()[0]) <= cluster.now


def test_fast_steps_keep_the_event_log_bounded_in_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast step logs one entry of many lines (events.StepLines): unformatted lines, not entries, are
    what the bound counts, so a reused cluster running many-pod steps stays bounded too; the log is the
    engine's."""
    from pytest_simarena.backends.embedded import events

    monkeypatch.setattr(events, "MAX_LOG_LINES", 50)
    monkeypatch.setattr(events, "PENDING_LIMIT", 10)
    trace = apply_action(load_trace(CANONICAL[0]), Action("set_replicas", "web", replicas=7)).trace
    logs = []
    for fast in (True, False):
        cluster = EmbeddedCluster(seed=0)
        cluster.fast = fast
        for _ in range(12):
            snap = cluster.run_trace(trace, "virtual", 120, cleanup=True)
            assert hasattr(snap, "fast") == fast
            cluster.cleanup("virtual")
            recorder = cluster.recorder
            unread = sum(len(events.step_lines(e)) if len(e) == 9 else 1 for e in recorder._pending)
            assert len(recorder._lines) + unread <= 50 + 10
        logs.append((cluster.event_log[:], cluster.recorder.dropped_lines))
    assert logs[0] == logs[1] and len(logs[0][0]) == 50


def test_set_resources_actions_are_memoized_by_their_exact_repr() -> None:
    trace = load_trace(CANONICAL[0])
    sha = trace_bytes(trace)[1]
    a = Action("set_resources", "web", requests={"cpu": "2"})
    b = Action("set_resources", "web", requests={"cpu": "3"})
    first = apply_step_action(trace, sha, a, DEFAULT_SAFEGUARDS)
    other = apply_step_action(trace, sha, b, DEFAULT_SAFEGUARDS)
    again = apply_step_action(trace, sha, a, DEFAULT_SAFEGUARDS)
    assert first[5] != other[5] and again[5] == first[5] and again[3] is first[3]
    assert again[5] == trace_bytes(apply_action(trace, a).trace)[1]


def test_unchanged_step_traces_are_stored_once_and_read_the_same(tmp_path: Path) -> None:
    run_episode(load_trace(CANONICAL[0]), "noop", max_steps=3, out_dir=tmp_path)
    traces = read_step_traces(tmp_path)
    assert [t.step for t in traces] == [0, 1, 2, 3]
    assert len({t.data for t in traces}) == 1 and traces[0].data == CANONICAL[0].read_bytes()
    # Stored once: steps 1-3 are references to step 0, not copies.
    assert len(traces[0].data) < (tmp_path / "traces.msgpack").stat().st_size < len(traces[0].data) + 500
