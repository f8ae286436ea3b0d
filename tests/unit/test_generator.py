"""The trace generator: valid SimKube v2 traces, deterministic, each family broken the way it says."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.quantities import parse_cpu, parse_memory
from pytest_simarena.trace.generator import (
    CANONICAL,
    DEFAULT_CLUSTER,
    EPOCH,
    FAMILIES,
    ClusterShape,
    canonical,
    canonical_traces,
    generate,
    generate_trace,
    generated_traces,
)
from pytest_simarena.trace.hashing import compute_index
from pytest_simarena.trace.io import dumps, load_trace, loads
from pytest_simarena.trace.model import Trace, WorkloadRef, containers, pod_template
from pytest_simarena.trace.usage import read_usage
from pytest_simarena.trace.validate import validate

ROOT = Path(__file__).resolve().parents[2]
COMMITTED_GENERATED = ROOT / "traces" / "generated"
COMMITTED_CANONICAL = ROOT / "traces" / "canonical"


@pytest.fixture(scope="module")
def generated() -> list[tuple[str, Trace]]:
    return generated_traces(0, 100)


def _errors(trace: Trace) -> list[str]:
    return [str(f) for f in validate(trace) if str(getattr(f, "severity", "error")).lower().startswith("e")]


def _meta(trace: Trace) -> dict[str, Any]:
    meta = trace.extra["metadata"]
    assert isinstance(meta, dict)
    return meta


def _cluster(trace: Trace) -> ClusterShape:
    c = _meta(trace)["cluster"]
    assert isinstance(c, dict)
    return ClusterShape(
        nodes=c["nodes"], cpu=parse_cpu(c["cpu"]), memory=parse_memory(c["memory"]), pods=c["pods"]
    )


def _pod_requests(obj: dict[str, Any], resource: str) -> int:
    parse = parse_cpu if resource == "cpu" else parse_memory
    return sum(parse(c["resources"]["requests"][resource]) for c in containers(obj))


def _primary(trace: Trace) -> dict[str, Any]:
    meta = _meta(trace)
    [ref] = trace.find(str(meta["workload"]), namespace=str(meta["namespace"]))
    obj = trace.latest(ref)
    assert obj is not None
    return obj


# --- determinism and the committed files --------------------------------------------------------------


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not() -> None:
    first = [dumps(t) for _, t in generated_traces(7, 20)]
    again = [dumps(t) for _, t in generated_traces(7, 20)]
    other = [dumps(t) for _, t in generated_traces(8, 20)]
    assert first == again
    assert sum(a != b for a, b in zip(first, other, strict=True)) >= 15


def test_trace_i_does_not_depend_on_count() -> None:
    assert dumps(generated_traces(3, 5)[4][1]) == dumps(generated_traces(3, 30)[4][1])


def test_regenerating_reproduces_the_committed_generated_traces(tmp_path: Path) -> None:
    written = generate(tmp_path, seed=0, count=100)
    committed = sorted(p.name for p in COMMITTED_GENERATED.glob("*.sktrace"))
    assert sorted(p.name for p in written) == committed, "traces/generated/ is out of date: regenerate it"
    for path in written:
        assert path.read_bytes() == (COMMITTED_GENERATED / path.name).read_bytes(), path.name


def test_regenerating_reproduces_the_committed_canonical_traces(tmp_path: Path) -> None:
    written = canonical(tmp_path)
    assert sorted(p.name for p in written) == sorted(p.name for p in COMMITTED_CANONICAL.glob("*.sktrace"))
    assert sorted(p.stem for p in written) == sorted(CANONICAL)
    for path in written:
        assert path.read_bytes() == (COMMITTED_CANONICAL / path.name).read_bytes(), path.name


# --- validity -----------------------------------------------------------------------------------------


def test_every_generated_and_canonical_trace_is_valid_and_round_trips(
    generated: list[tuple[str, Trace]],
) -> None:
    for name, trace in [*generated, *canonical_traces().items()]:
        assert _errors(trace) == [], name
        data = dumps(trace)
        assert dumps(loads(data)) == data, name  # written once, stable ever after


def test_written_files_load_as_version_2_without_normalization(tmp_path: Path) -> None:
    for path in canonical(tmp_path) + generate(tmp_path, seed=1, count=10):
        trace = load_trace(path)
        assert trace.version == 2
        assert trace.notes == []  # nothing for the loader to fix: it is what SimKube writes
        assert _errors(trace) == []


def test_objects_have_simkube_key_order_and_sanitized_shape(generated: list[tuple[str, Trace]]) -> None:
    # notes/simkube.md 1.3 and 1.9: apiVersion, kind, metadata, then sorted keys; nested maps sorted
    def sorted_everywhere(value: object) -> bool:
        if isinstance(value, dict):
            return list(value) == sorted(value) and all(sorted_everywhere(v) for v in value.values())
        if isinstance(value, list):
            return all(sorted_everywhere(v) for v in value)
        return True

    for name, trace in generated:
        assert list(trace.events[0]) == ["ts", "applied_objs", "deleted_objs"], name
        for _, _, obj in trace.applied():
            assert list(obj)[:3] == ["apiVersion", "kind", "metadata"], name
            assert list(obj)[3:] == sorted(list(obj)[3:]), name
            assert all(sorted_everywhere(obj[k]) for k in obj), name
            assert obj["metadata"]["annotations"] == {}  # sanitize_obj always leaves the map
            assert obj["metadata"]["namespace"] == "default"
            assert obj["spec"]["selector"] == {"matchLabels": {"app": obj["metadata"]["name"]}}
            template = pod_template(obj)
            assert template is not None and template["metadata"]["labels"] == {"app": obj["metadata"]["name"]}
            assert "creationTimestamp" in template["metadata"]


def test_ts_start_at_the_epoch_and_index_is_simkubes_hash(generated: list[tuple[str, Trace]]) -> None:
    for name, trace in generated:
        ts = [e["ts"] for e in trace.events]
        assert ts[0] == EPOCH and ts == sorted(ts) and all(isinstance(t, int) for t in ts), name
        assert trace.index == compute_index(trace), name
        assert trace.config == {
            "trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}}
        }


def test_requests_never_exceed_limits(generated: list[tuple[str, Trace]]) -> None:
    # the API server rejects request > limit (kubernetes notes 2.3), so no generated trace may contain one
    for name, trace in generated:
        for _, _, obj in trace.applied():
            for c in containers(obj):
                requests, limits = c["resources"]["requests"], c["resources"].get("limits", {})
                if "cpu" in limits:
                    assert parse_cpu(requests["cpu"]) <= parse_cpu(limits["cpu"]), name
                if "memory" in limits:
                    assert parse_memory(requests["memory"]) <= parse_memory(limits["memory"]), name


# --- metadata and families ----------------------------------------------------------------------------


def test_hundred_traces_cover_every_family_evenly(generated: list[tuple[str, Trace]]) -> None:
    counts = Counter(str(_meta(t)["family"]) for _, t in generated)
    assert counts == dict.fromkeys(FAMILIES, 10)
    for name, trace in generated:
        family = _meta(trace)["family"]
        assert re.fullmatch(rf"{family}-\d{{3}}\.sktrace", name)


def test_metadata_names_the_workload_target_cluster_and_fix(generated: list[tuple[str, Trace]]) -> None:
    for name, trace in [*generated, *canonical_traces().items()]:
        meta = _meta(trace)
        for key in ("description", "family", "breaks", "fix", "cluster", "workload", "namespace", "target"):
            assert meta.get(key) not in (None, ""), (name, key)
        assert isinstance(meta["target"], int) and meta["target"] > 0
        assert len(trace.find(str(meta["workload"]))) == 1, name
        workloads = meta["workloads"]
        assert isinstance(workloads, list)
        assert {w["name"] for w in workloads} == {r.name for r in trace.workloads()}, name


def _stated_bound(fix: str, resource: str) -> int:
    m = re.search(rf"{resource} request to at most (\S+) per pod", fix)
    assert m, fix
    return parse_cpu(m.group(1)) if resource == "cpu" else parse_memory(m.group(1))


@pytest.mark.parametrize("resource", ["cpu", "memory"])
def test_over_node_families_do_not_fit_and_the_stated_fix_does(
    generated: list[tuple[str, Trace]], resource: str
) -> None:
    # scheduler fit (kubernetes notes 1.1): a pod fits a node when its summed requests <= allocatable
    seen = 0
    for name, trace in generated:
        family = _meta(trace)["family"]
        if family not in (f"{resource}-far-over", f"{resource}-slightly-over", "cpu-memory-over"):
            continue
        seen += 1
        cluster, obj = _cluster(trace), _primary(trace)
        node = cluster.cpu if resource == "cpu" else cluster.memory
        request = _pod_requests(obj, resource)
        assert request > node, name
        if family.endswith("slightly-over"):
            assert request <= node * 1.13, name
        elif family.endswith("far-over"):
            assert request >= node * 1.25, name
        fix = str(_meta(trace)["fix"])
        after = {
            r: _stated_bound(fix, r) if f"{r} request to at most" in fix else _pod_requests(obj, r)
            for r in ("cpu", "memory")
        }
        assert after[resource] < request
        assert cluster.capacity(after["cpu"], after["memory"]) >= obj["spec"]["replicas"], name
    assert seen >= 20


def test_cpu_slightly_over_includes_an_8_cpu_cluster_noted_in_metadata() -> None:
    clusters = {_cluster(t).cpu for _, t in generated_traces(0, 200, ["cpu-slightly-over"])}
    assert clusters == {16000, 8000}


def test_replica_families_compare_replicas_with_target_and_capacity(
    generated: list[tuple[str, Trace]],
) -> None:
    for name, trace in generated:
        meta, obj = _meta(trace), _primary(trace)
        replicas, target = obj["spec"]["replicas"], meta["target"]
        capacity = _cluster(trace).capacity(_pod_requests(obj, "cpu"), _pod_requests(obj, "memory"))
        if meta["family"] == "replicas-over-capacity":
            assert replicas > capacity == target, name
        elif meta["family"] == "replicas-under":
            assert replicas < target <= capacity, name
        else:
            assert isinstance(target, int)


def _oom_containers(obj: dict[str, Any]) -> list[str]:
    usage = read_usage(pod_template(obj))
    return [
        c["name"]
        for c in containers(obj)
        if "memory" in c["resources"].get("limits", {})
        and usage.get(c["name"], {}).get("memory", 0) > parse_memory(c["resources"]["limits"]["memory"])
    ]


def test_oom_family_declares_usage_above_the_memory_limit(generated: list[tuple[str, Trace]]) -> None:
    # kubernetes notes 4.1: a container above its memory limit is OOMKilled
    for name, trace in generated:
        meta, obj = _meta(trace), _primary(trace)
        if meta["family"] == "oom-memory-limit":
            assert _oom_containers(obj) == [meta["workload"]] == [meta["container"]], name
        elif meta["family"] in ("cpu-far-over", "replicas-under", "memory-slightly-over"):
            assert _oom_containers(obj) == [], name  # usage is written everywhere but only OOMs on purpose


def test_multi_container_and_multi_deployment_families(generated: list[tuple[str, Trace]]) -> None:
    variants = set()
    for name, trace in [*generated, *generated_traces(5, 30, ["multi-container"])]:
        meta = _meta(trace)
        if meta["family"] == "multi-container":
            obj = _primary(trace)
            names = [c["name"] for c in containers(obj)]
            assert len(names) >= 2 and meta["container"] in names, name
            variants.add(meta["variant"])
            if meta["variant"] == "cpu":  # every container alone fits a node, together they do not
                cluster = _cluster(trace)
                assert all(
                    parse_cpu(c["resources"]["requests"]["cpu"]) <= cluster.cpu for c in containers(obj)
                )
                assert _pod_requests(obj, "cpu") > cluster.cpu
            if meta["variant"] == "oom":
                assert _oom_containers(obj) == [meta["container"]]
        if meta["family"] == "multi-deployment":
            refs = trace.workloads()
            assert 2 <= len(refs) <= 4, name
            assert len(trace.events) == len(refs)  # applied one after another
            broken = [w for w in meta["workloads"] if w["broken"]]
            assert [w["name"] for w in broken] == [meta["workload"]], name
    assert variants == {"cpu", "memory", "oom"}


def test_canonical_traces_hold_the_documented_values() -> None:
    traces = canonical_traces()
    assert list(traces) == list(CANONICAL)

    def web(name: str) -> tuple[int, dict[str, str]]:
        obj = traces[name].latest(WorkloadRef("apps/v1.Deployment", "default", "web"))
        assert obj is not None
        return obj["spec"]["replicas"], containers(obj)[0]["resources"]["requests"]

    assert web("very-bad-cpu") == (3, {"cpu": "20", "memory": "2Gi"})
    assert web("very-bad-memory") == (3, {"cpu": "500m", "memory": "40Gi"})
    assert web("slightly-bad-cpu") == (3, {"cpu": "17", "memory": "2Gi"})
    assert web("mixed") == (5, {"cpu": "17", "memory": "33Gi"})
    assert _meta(traces["mixed"])["target"] == 3
    assert all(_cluster(t) == DEFAULT_CLUSTER for t in traces.values())


def test_unknown_family_is_named_with_suggestions() -> None:
    from pytest_simarena.errors import UnknownNameError

    with pytest.raises(UnknownNameError, match="cpu-far-over"):
        generate_trace("cpu-far-ovr", seed=0)


# --- replayed on the embedded cluster: broken as described, repaired by the stated fix ----------------


def _replay(trace: Trace) -> dict[str, Any]:
    """Replay ``trace`` for 5 simulated minutes on the cluster its metadata names; summaries by name."""
    from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
    from pytest_simarena.kubeview import summarize

    c = _meta(trace)["cluster"]
    cluster = EmbeddedCluster(ClusterSpec.uniform(c["nodes"], c["cpu"], c["memory"], c["pods"]), seed=0)
    cluster.start(trace)
    cluster.run(300)
    return {s.name: s for s in summarize(cluster.observe())}


def _healthy(summary: Any, target: int) -> bool:
    return bool(
        summary.desired == summary.ready == target
        and summary.pending == summary.crash_looping == summary.oom_killed == 0
    )


def _apply_stated_fix(trace: Trace) -> Trace:
    """Turn each broken workload's ``fix`` sentence into actions, the way docs/traces.md words them."""
    from pytest_simarena.actions import Action, apply_action

    for w in _meta(trace)["workloads"]:
        if not w["broken"]:
            continue
        fix, name = w["fix"], w["name"]
        actions = []
        for resource, container, bound in re.findall(
            r"reduce the (cpu|memory) request(?: of container (\S+))? to at most (\S+)", fix
        ):
            actions.append(
                Action("set_resources", name, container=container or None, requests={resource: bound})
            )
        for container, usage in re.findall(
            r"raise the memory limit of container (\S+) to at least (\S+)", fix
        ):
            actions.append(Action("set_resources", name, container=container, limits={"memory": usage}))
        for count in re.findall(r"scale (?:up|down) to (\d+) replicas", fix):
            actions.append(Action("set_replicas", name, replicas=int(count)))
        assert actions, fix
        for action in actions:
            result = apply_action(trace, action)
            assert result.status == "applied", result.message
            trace = result.trace
    return trace


def _replay_cases() -> list[Any]:
    """The canonical traces, all 100 committed generated ones, and variants seed 0 lacks in its first 100."""
    slight_8 = next(t for _, t in generated_traces(0, 80, ["cpu-slightly-over"]) if _cluster(t).cpu == 8000)
    variants = {_meta(t)["variant"]: t for _, t in generated_traces(0, 40, ["multi-container"])}
    cases = [
        *canonical_traces().items(),
        *generated_traces(0, 100),
        ("cpu-slightly-over-8-cpu-nodes", slight_8),
        *((f"multi-container-{v}", variants[v]) for v in sorted(variants)),
    ]
    return [pytest.param(name, trace, id=name.removesuffix(".sktrace")) for name, trace in cases]


@pytest.mark.parametrize(("name", "trace"), _replay_cases())
def test_replayed_trace_is_broken_and_the_stated_fix_repairs_it(name: str, trace: Trace) -> None:
    meta = _meta(trace)
    before = _replay(trace)
    primary = before[meta["workload"]]
    assert not _healthy(primary, meta["target"]), (name, primary)
    family = meta.get("variant", meta["family"]) if meta["family"] == "multi-container" else meta["family"]
    if family in (
        "cpu-far-over",
        "cpu-slightly-over",
        "memory-far-over",
        "memory-slightly-over",
        "cpu-memory-over",
        "cpu",
        "memory",
    ):
        assert primary.pending == primary.desired and primary.ready == 0, (name, primary)  # Insufficient ...
    elif family in ("oom-memory-limit", "oom"):
        assert primary.oom_killed + primary.crash_looping > 0 and primary.ready == 0, (name, primary)
    elif family == "replicas-over-capacity":
        assert primary.ready == meta["target"] and primary.pending == primary.desired - meta["target"]
    elif family == "replicas-under":
        assert primary.ready == primary.desired < meta["target"]
    for w in meta["workloads"]:
        if not w["broken"]:
            assert _healthy(before[w["name"]], w["target"]), (name, w["name"])

    after = _replay(_apply_stated_fix(trace))
    for w in meta["workloads"]:
        assert _healthy(after[w["name"]], w["target"]), (name, w["name"], after[w["name"]])
