"""LiveSession: the running embedded cluster read and written like a Kubernetes API (pytest_simarena.live)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.actions import Action
from pytest_simarena.errors import SimArenaError
from pytest_simarena.live import ApiError, LiveSession, is_live_run, replay_live
from pytest_simarena.live.patch import merge_patch, strategic_merge
from pytest_simarena.live.selectors import field_matcher, label_matcher

ROOT = Path(__file__).resolve().parents[2]
SLIGHTLY_BAD_CPU = ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"

CPU_FIX = {
    "spec": {"template": {"spec": {"containers": [{"name": "web", "resources": {"requests": {"cpu": "2"}}}]}}}
}


def started(seed: int = 1) -> LiveSession:
    session = LiveSession.start(SLIGHTLY_BAD_CPU, seed=seed)
    session.advance(30)
    return session


def phases(session: LiveSession) -> list[str]:
    return sorted(p["status"]["phase"] for p in session.list("pods", "default"))


def test_objects_live_in_the_traces_own_namespace_with_real_status() -> None:
    session = started()
    assert session.now == 30.0
    assert phases(session) == ["Pending"] * 3
    deploy = session.get("deployments", "default", "web")
    assert deploy["metadata"]["namespace"] == "default"
    assert int(deploy["metadata"]["resourceVersion"]) > 0
    assert {"default", "kube-system"} <= set(session.namespaces())
    with pytest.raises(ApiError) as info:
        session.get("pods", "default", "nope")
    assert info.value.code == 404
    assert info.value.status["message"] == 'pods "nope" not found'


def test_events_answer_describe_field_selectors() -> None:
    session = started()
    pod = session.list("pods", "default")[0]
    meta = pod["metadata"]
    selector = (
        f"involvedObject.name={meta['name']},involvedObject.namespace=default,"
        f"involvedObject.kind=Pod,involvedObject.uid={meta['uid']}"
    )
    events = session.events("default", field_selector=selector)
    assert [e["reason"] for e in events] == ["FailedScheduling"]
    assert "Insufficient cpu" in events[0]["message"]
    with pytest.raises(ApiError) as info:
        session.events("default", field_selector="spec.bogus=1")
    assert info.value.code == 400
    assert "field label not supported: spec.bogus" in info.value.message


def test_scale_over_the_cap_is_forbidden_with_the_safeguards_message() -> None:
    session = started()
    with pytest.raises(ApiError) as info:
        session.scale("deployments", "default", "web", 200)
    status = info.value.status
    assert status["code"] == 403
    assert status["reason"] == "Forbidden"
    assert status["message"] == (
        'admission webhook "safeguards.simarena.io" denied the request: '
        "scale blocked: default/web replicas would be 200, cap is 100"
    )
    assert session.writes == []
    assert session.get("deployments", "default", "web")["spec"]["replicas"] == 3


def test_cpu_over_the_cap_is_forbidden_and_invalid_objects_are_422_with_the_field() -> None:
    session = started()
    over = json.loads(json.dumps(CPU_FIX).replace('"2"', '"40"'))
    with pytest.raises(ApiError) as info:
        session.patch("deployments", "default", "web", over)
    assert info.value.code == 403
    assert "container web cpu would be 40, cap is 16" in info.value.message
    bad = {
        "spec": {
            "template": {"spec": {"containers": [{"name": "web", "resources": {"limits": {"cpu": "1"}}}]}}
        }
    }
    with pytest.raises(ApiError) as info:
        session.patch("deployments", "default", "web", bad)
    status = info.value.status
    assert status["code"] == 422 and status["reason"] == "Invalid"
    assert status["details"]["causes"][0]["field"] == "spec.template.spec.containers[0].resources.requests"
    # A refused request changes nothing and leaves no trace in the event log.
    assert not any("FailedApply" in line or "error" in line for line in session.cluster.event_log)


def test_an_allowed_write_rolls_out_and_is_recorded_as_an_action() -> None:
    session = started()
    session.patch("deployments", "default", "web", CPU_FIX)
    assert session.advance_until(lambda s: s.observation().healthy, timeout=300)
    assert phases(session) == ["Running"] * 3
    replicasets = session.list("replicasets", "default")
    assert len(replicasets) == 2  # the old ReplicaSet scaled to 0 and the new one
    assert [a.to_dict() for a in session.actions()] == [
        {
            "type": "set_resources",
            "workload": "web",
            "namespace": "default",
            "kind": "Deployment",
            "container": "web",
            "requests": {"cpu": "2"},
        }
    ]
    exported = session.export_trace()
    container = exported.events[-1]["applied_objs"][0]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"]["cpu"] == "2"


def test_patch_types_and_replace_conflicts() -> None:
    session = started()
    session.patch("deployments", "default", "web", {"metadata": {"labels": {"tier": "front"}}}, "merge")
    session.patch(
        "deployments", "default", "web", [{"op": "replace", "path": "/spec/replicas", "value": 2}], "json"
    )
    deploy = session.get("deployments", "default", "web")
    assert deploy["metadata"]["labels"]["tier"] == "front"
    assert deploy["spec"]["replicas"] == 2
    assert session.list("deployments", "default", label_selector="tier in (front,back),app=web")
    stale = dict(deploy, metadata=dict(deploy["metadata"], resourceVersion="1"))
    with pytest.raises(ApiError) as info:
        session.replace("deployments", "default", "web", stale)
    assert info.value.code == 409


def test_pods_are_immutable_and_a_deleted_pod_is_replaced_by_its_controller() -> None:
    session = started()
    session.patch("deployments", "default", "web", CPU_FIX)
    session.advance(5)
    pod = session.list("pods", "default")[0]
    name = pod["metadata"]["name"]
    with pytest.raises(ApiError) as info:
        session.patch("pods", "default", name, {"spec": {"nodeName": "elsewhere"}}, "merge")
    assert info.value.code == 422
    session.patch("pods", "default", name, {"metadata": {"labels": {"debug": "1"}}}, "merge")
    session.delete("pods", "default", name)
    session.advance(1)
    names = [p["metadata"]["name"] for p in session.list("pods", "default")]
    assert name not in names and len(names) == 3


def test_read_only_resources_and_unknown_namespaces() -> None:
    session = started()
    node = session.list("nodes")[0]
    with pytest.raises(ApiError) as info:
        session.patch("nodes", None, node["metadata"]["name"], {"spec": {"unschedulable": True}}, "merge")
    assert info.value.code == 405
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]},
    }
    with pytest.raises(ApiError) as info:
        session.create("pods", "nowhere", pod)
    assert info.value.code == 404 and info.value.message == 'namespaces "nowhere" not found'
    session.create("namespaces", None, {"metadata": {"name": "nowhere"}})
    created = session.create("pods", "nowhere", pod)
    assert created["metadata"]["namespace"] == "nowhere"
    with pytest.raises(ApiError) as info:
        session.create("pods", "nowhere", pod)
    assert info.value.reason == "AlreadyExists"


def test_logs_and_metrics_of_running_pods() -> None:
    session = started()
    pending = session.list("pods", "default")[0]["metadata"]["name"]
    with pytest.raises(ApiError) as info:
        session.logs("default", pending)
    assert info.value.code == 400
    session.patch("deployments", "default", "web", CPU_FIX)
    session.advance(10)
    running = session.list("pods", "default", field_selector="status.phase=Running")
    log = session.logs("default", running[0]["metadata"]["name"])
    assert 'simarena: container "web" started (image ghcr.io/example/web:1.0)' in log
    metrics = session.pod_metrics("default")
    assert len(metrics) == 3
    assert metrics[0]["containers"] == [{"name": "web", "usage": {"cpu": "500m", "memory": "400Mi"}}]
    assert sum(1 for m in session.node_metrics() if m["usage"]["cpu"] != "0") >= 1


def test_watch_changes_carry_increasing_resource_versions() -> None:
    session = started()
    session.list("pods", "default")  # as a client lists before it watches
    since = int(session.resource_version)
    session.scale("deployments", "default", "web", 1)
    changes = session.changes_since(since, "pods", "default")
    assert {kind for kind, _ in changes} == {"DELETED"}
    versions = [int(obj["metadata"]["resourceVersion"]) for _, obj in changes]
    assert versions == sorted(versions) and versions[0] > since
    assert session.changes_since(int(session.resource_version), "pods", "default") == []


def _script(session: LiveSession) -> None:
    session.advance(12.5)
    session.list("events", "default")  # reads between writes: a replay, which does none, still matches
    session.patch("deployments", "default", "web", CPU_FIX)
    session.advance(3)
    session.list("pods")
    session.create("namespaces", None, {"metadata": {"name": "extra"}})
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"generateName": "tool-"},
        "spec": {"containers": [{"name": "c"}]},
    }
    session.create("pods", "extra", pod)
    session.apply_action(Action("scale_down", "web", namespace="default"))
    session.delete("pods", "default", session.list("pods", "default")[0]["metadata"]["name"])
    session.advance(7)


def test_same_seed_same_calls_give_identical_objects_and_events(tmp_path: Path) -> None:
    runs: list[Any] = []
    for _ in range(2):
        session = LiveSession.start(SLIGHTLY_BAD_CPU, seed=7)
        _script(session)
        runs.append((session.snapshot_objects(), session.cluster.event_log))
    assert runs[0] == runs[1]


def test_the_run_folder_replays_exactly(tmp_path: Path) -> None:
    session = LiveSession.start(SLIGHTLY_BAD_CPU, seed=3)
    _script(session)
    with pytest.raises(ApiError):
        session.scale("deployments", "default", "web", 500)  # refused: not recorded, not replayed
    run = session.write_run(tmp_path / "run")
    assert is_live_run(run)
    assert [w.verb for w in session.writes] == ["patch", "create", "create", "scale_down", "delete"]
    report = replay_live(run)
    assert report.reproduced, report.difference
    # Tampering with the record is caught.
    events = (run / "events.log").read_text().splitlines()
    (run / "events.log").write_text("\n".join(events[:-1]) + "\n")
    report = replay_live(run)
    assert not report.reproduced and report.difference and "events.log" in report.difference


def test_apply_action_goes_through_the_safeguards() -> None:
    session = started()
    with pytest.raises(ApiError) as info:
        session.apply_action(Action("bump_cpu", "web", namespace="default"))
    assert info.value.code == 403 and "cap is 16" in info.value.message
    result = session.apply_action(Action("set_resources", "web", namespace="default", requests={"cpu": "3"}))
    assert result.status == "applied"
    assert (
        session.get("deployments", "default", "web")["spec"]["template"]["spec"]["containers"][0][
            "resources"
        ]["requests"]["cpu"]
        == "3"
    )
    with pytest.raises(ApiError) as info:
        session.apply_action(Action("scale_up", "nothere", namespace="default"))
    assert info.value.code == 404


def test_selectors_and_patch_helpers() -> None:
    obj = {"metadata": {"name": "a", "labels": {"app": "web", "tier": "x"}}, "status": {"phase": "Running"}}
    assert label_matcher("app=web,!missing,tier notin (y)")(obj)
    assert not label_matcher("app!=web")(obj)
    assert field_matcher("pods", "status.phase=Running,metadata.name!=b")(obj)
    with pytest.raises(ApiError):
        label_matcher("app in web")
    assert merge_patch({"a": {"b": 1, "c": 2}}, {"a": {"b": None, "d": 3}}) == {"a": {"c": 2, "d": 3}}
    target = {"containers": [{"name": "a", "image": "1"}, {"name": "b", "image": "2"}]}
    patch = {
        "$setElementOrder/containers": [{"name": "b"}, {"name": "a"}],
        "containers": [{"name": "a", "image": "3"}, {"name": "c", "$patch": "delete"}],
    }
    assert strategic_merge(target, patch) == {
        "containers": [{"name": "b", "image": "2"}, {"name": "a", "image": "3"}]
    }


def test_dry_runs_check_everything_and_store_nothing() -> None:
    session = started()
    everything = session.snapshot_objects()
    before = session.resource_version
    deploy = session.get("deployments", "default", "web")
    changed = dict(deploy, spec=dict(deploy["spec"], replicas=5))
    assert session.replace("deployments", "default", "web", changed, dry_run=True)["spec"]["replicas"] == 5
    with pytest.raises(ApiError) as info:
        session.replace(
            "deployments",
            "default",
            "web",
            dict(changed, spec=dict(changed["spec"], replicas=500)),
            dry_run=True,
        )
    assert info.value.code == 403
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p"},
        "spec": {"containers": [{"name": "c"}]},
    }
    assert session.create("pods", "default", pod, dry_run=True)["metadata"]["name"] == "p"
    session.delete("deployments", "default", "web", dry_run=True)
    assert session.snapshot_objects() == everything and session.resource_version == before
    assert session.writes == []
    assert session.get("deployments", "default", "web")["spec"]["replicas"] == 3


def test_delete_preconditions_and_labelled_namespaces() -> None:
    session = started()
    uid = session.get("deployments", "default", "web")["metadata"]["uid"]
    with pytest.raises(ApiError) as info:
        session.delete("deployments", "default", "web", preconditions={"uid": "other"})
    assert info.value.code == 409 and "Precondition failed: UID in precondition: other" in info.value.message
    session.create("namespaces", None, {"metadata": {"name": "run-1", "labels": {"owner": "simarena"}}})
    assert [n["metadata"]["name"] for n in session.list("namespaces", label_selector="owner=simarena")] == [
        "run-1"
    ]
    session.delete("deployments", "default", "web", preconditions={"uid": uid})
    session.advance(1)
    assert session.list("pods", "default") == []


def test_inert_kinds_are_stored_listed_and_deleted_with_their_namespace() -> None:
    session = started()
    session.create("namespaces", None, {"metadata": {"name": "cfg"}})
    quota = {"metadata": {"name": "fence"}, "spec": {"hard": {"count/pods": "0"}}}
    created = session.create("resourcequotas", "cfg", quota)
    assert created["metadata"]["uid"] and created["spec"] == quota["spec"]
    session.create("configmaps", "cfg", {"metadata": {"name": "settings"}, "data": {"a": "1"}})
    assert [c["metadata"]["name"] for c in session.list("configmaps", "cfg")] == ["settings"]
    assert session.list("daemonsets") == []
    with pytest.raises(ApiError) as info:
        session.create("daemonsets", "cfg", {"metadata": {"name": "d"}})
    assert info.value.code == 405
    session.delete("namespaces", None, "cfg")
    assert session.list("configmaps", "cfg") == [] and session.list("resourcequotas") == []


DIGEST_SCRIPT = """
import hashlib, json, sys
sys.path.insert(0, {tests!r})
from test_live_session import SLIGHTLY_BAD_CPU, _script
from pytest_simarena.live import LiveSession
session = LiveSession.start(SLIGHTLY_BAD_CPU, seed=11)
_script(session)
data = json.dumps([session.snapshot_objects(), session.cluster.event_log], sort_keys=True)
print(hashlib.sha256(data.encode()).hexdigest())
"""


def test_runs_are_identical_in_any_pythonhashseed() -> None:
    import os
    import subprocess
    import sys

    script = DIGEST_SCRIPT.format(tests=str(Path(__file__).parent))
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        ).stdout.strip()
        for seed in ("0", "1", "4242")
    }
    assert len(digests) == 1 and len(next(iter(digests))) == 64


def test_a_trace_name_starts_a_session_from_any_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # From a user's project (no traces/ of its own) a name resolves to the packaged trace, as on the CLI.
    monkeypatch.chdir(tmp_path)
    by_name = LiveSession.start("slightly-bad-cpu", seed=1)
    by_name.advance(30)
    assert phases(by_name) == phases(started())
    with pytest.raises(SimArenaError, match="did you mean 'slightly-bad-cpu'"):
        LiveSession.start("slightly-bad-cp", seed=1)


def test_a_live_episode_from_python_runs_as_long_as_the_settings_say() -> None:
    from pytest_simarena.agents.live_episode import PolicyAgent, run_live_episode
    from pytest_simarena.policies import make_policy
    from pytest_simarena.settings import EpisodeSettings
    from pytest_simarena.trace.io import load_trace

    result = run_live_episode(load_trace(SLIGHTLY_BAD_CPU), PolicyAgent(make_policy("noop")))
    assert len(result.steps) == EpisodeSettings().max_steps
