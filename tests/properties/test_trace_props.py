"""Trace-layer properties (issue 3, "Hypothesis"):

- any generated trace survives dumps/loads unchanged, and a second dump is byte-identical (msgpack, JSON
  and through a file);
- ``bump`` then ``reduce`` by the same step (and ``scale_up`` then ``scale_down``) restores the trace;
- no sequence of actions ever produces a container beyond 16 cpu / 32Gi or more than 100 replicas (nor
  pushes an already-broken value further), and every edited object stays valid (requests <= limits);
- random byte mutations (flip / truncate / insert / delete / duplicate, seeded) of every real file in
  ../shared/traces raise only TraceError from ``loads``.
"""

from __future__ import annotations

import contextlib
import random
import tempfile
import warnings
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simarena.actions import STATUSES, Action, apply_action
from pytest_simarena.errors import SimArenaWarning, TraceError
from pytest_simarena.quantities import parse_cpu, parse_memory, parse_quantity
from pytest_simarena.strategies import (
    CPU_CAP,
    MEMORY_CAP,
    REPLICA_CAP,
    action_sequences,
    near_capacity_traces,
    traces,
)
from pytest_simarena.trace import dump_trace, dumps, load_trace, loads, validate
from pytest_simarena.trace.model import Trace

SETTINGS = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
PARSERS = {"cpu": parse_cpu, "memory": parse_memory}
CAPS = {"cpu": CPU_CAP, "memory": MEMORY_CAP}


def same_trace(a: Trace, b: Trace) -> None:
    assert a.events == b.events
    assert a.config == b.config
    assert a.index == b.index
    assert a.pod_lifecycles == b.pod_lifecycles
    assert a.version == b.version
    assert a.extra == b.extra


# -- write / read


@SETTINGS
@given(trace=st.one_of(traces(deletions=True), traces(notation="any", sparse=True, deletions=True)))
def test_generated_traces_survive_dumps_and_loads(trace: Trace) -> None:
    data = dumps(trace)
    back = loads(data)
    same_trace(back, trace)
    assert dumps(back) == data  # a loaded trace keeps its order: the second dump is byte-identical
    assert back.notes == []  # nothing needed normalizing


@SETTINGS
@given(trace=traces(lifecycles=False))
def test_generated_traces_survive_the_json_form(trace: Trace) -> None:
    data = dumps(trace, fmt="json")
    back = loads(data)
    same_trace(back, trace)
    assert dumps(back, fmt="json") == data


@settings(SETTINGS, max_examples=20)
@given(trace=traces(), suffix=st.sampled_from([".sktrace", ".json"]))
def test_generated_traces_survive_a_file_round_trip(trace: Trace, suffix: str) -> None:
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore", SimArenaWarning)  # JSON drops pod_lifecycles, with a warning
        path = Path(folder) / f"t{suffix}"
        dump_trace(trace, path)
        back = load_trace(path)
        assert back.events == trace.events
        assert back.index == trace.index
        dump_trace(back, path)
        assert load_trace(path).events == trace.events


# -- actions


def scheduler_view(trace: Trace) -> list[Any]:
    """The events as Kubernetes counts them: quantities as millicores/bytes (``MilliValue``/``Value``),
    an absent ``resources`` as ``{}`` and an absent ``spec.replicas`` as 1 (kubernetes notes 3, 2.1, 6.1).
    """

    def walk(value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            out = {k: walk(v, k) for k, v in value.items()}
            if "image" in value and "name" in value:  # a container
                out.setdefault("resources", {})
            if "template" in value and "selector" in value:  # a Deployment spec
                out.setdefault("replicas", 1)
            return out
        if isinstance(value, list):
            return [walk(v) for v in value]
        if key in PARSERS and isinstance(value, str | int | float):
            return PARSERS[key](value)
        return value

    return [walk(e) for e in trace.events]


PAIRS = [("bump_cpu", "reduce_cpu"), ("bump_memory", "reduce_memory"), ("scale_up", "scale_down")]


@st.composite
def bump_then_reduce(draw: st.DrawFn, notation: str, sparse: bool = False) -> tuple[Trace, Action, Action]:
    trace = draw(traces(notation=notation, max_deployments=3, sparse=sparse))  # type: ignore[arg-type]
    up, down = draw(st.sampled_from(PAIRS))
    ref = draw(st.sampled_from(trace.workloads()))
    container = None
    if not up.startswith("scale") and draw(st.booleans()):
        names = [c["name"] for c in trace.latest(ref)["spec"]["template"]["spec"]["containers"]]  # type: ignore[index]
        container = draw(st.sampled_from(names))
    if up.startswith("scale"):
        amount: Any = draw(st.one_of(st.none(), st.integers(1, 30)))
    elif up.endswith("cpu"):
        amount = draw(st.one_of(st.none(), st.sampled_from(["1m", "100m", "0.5", "1", "2500m", "4"])))
    else:
        amount = draw(st.one_of(st.none(), st.sampled_from(["1Mi", "100M", "256Mi", "0.5Gi", "1Gi", "3Gi"])))
    return (
        trace,
        Action(up, ref.name, container=container, amount=amount),
        Action(down, ref.name, container=container, amount=amount),
    )


def check_bump_then_reduce(trace: Trace, up: Action, down: Action) -> Trace | None:
    before = dumps(trace)
    bumped = apply_action(trace, up)
    assert dumps(trace) == before  # the input is never mutated
    if bumped.status != "applied":
        assert bumped.status == "blocked", bumped.message  # the workload exists, so only a cap stops it
        assert bumped.trace is trace
        return None
    reduced = apply_action(bumped.trace, down)
    assert reduced.status == "applied", reduced.message
    return reduced.trace


@SETTINGS
@given(case=bump_then_reduce("canonical"))
def test_bump_then_reduce_restores_a_canonical_trace_byte_for_byte(
    case: tuple[Trace, Action, Action],
) -> None:
    trace, up, down = case
    restored = check_bump_then_reduce(trace, up, down)
    if restored is not None:
        same_trace(restored, trace)
        assert dumps(restored) == dumps(trace)


@SETTINGS
@given(case=bump_then_reduce("canonical", sparse=True))
def test_bump_then_reduce_restores_a_sparse_trace_byte_for_byte(case: tuple[Trace, Action, Action]) -> None:
    # Containers without resources and Deployments without spec.replicas: what the bump had to create,
    # the reduce removes again (Trace.action_added), so nothing is left behind.
    trace, up, down = case
    restored = check_bump_then_reduce(trace, up, down)
    if restored is not None:
        assert dumps(restored) == dumps(trace)


@SETTINGS
@given(case=bump_then_reduce("any", sparse=True))
def test_bump_then_reduce_restores_what_kubernetes_counts_in_any_notation(
    case: tuple[Trace, Action, Action],
) -> None:
    trace, up, down = case
    restored = check_bump_then_reduce(trace, up, down)
    if restored is not None:
        assert scheduler_view(restored) == scheduler_view(trace)


def one_container_trace(resources: Any) -> Trace:
    container = {"image": "nginx", "name": "web", "resources": resources}
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 2,
            "selector": {},
            "template": {"metadata": {}, "spec": {"containers": [container]}},
        },
    }
    return Trace(events=[{"ts": 0, "applied_objs": [obj], "deleted_objs": []}])


def test_bump_then_reduce_keeps_a_sub_millicore_request() -> None:
    trace = one_container_trace({"requests": {"cpu": "0.5m"}})
    up = apply_action(trace, Action("bump_cpu", "web"))
    restored = apply_action(up.trace, Action("reduce_cpu", "web")).trace
    container = restored.events[0]["applied_objs"][0]["spec"]["template"]["spec"]["containers"][0]
    assert parse_quantity(container["resources"]["requests"]["cpu"]) == parse_quantity("0.5m")


def field_values(trace: Trace) -> dict[tuple[str, str, str, str], list[int]]:
    """``(workload, container, requests|limits, resource) -> values``; replicas: ``(name, "", "", ...)``."""
    out: dict[tuple[str, str, str, str], list[int]] = {}
    for _, _, obj in trace.applied():
        name = obj["metadata"]["name"]
        out.setdefault((name, "", "", "replicas"), []).append(obj["spec"].get("replicas", 1))
        for c in obj["spec"]["template"]["spec"]["containers"]:
            resources = c.get("resources") or {}
            for which in ("requests", "limits"):
                for resource, raw in (resources.get(which) or {}).items():
                    out.setdefault((name, c["name"], which, resource), []).append(PARSERS[resource](raw))
    return out


def check_valid_and_capped(trace: Trace, start: dict[tuple[str, str, str, str], list[int]]) -> None:
    for key, values in field_values(trace).items():
        resource = key[3]
        cap = REPLICA_CAP if resource == "replicas" else CAPS[resource]
        # A value may sit above a cap only when the original trace already had it there.
        allowed = max(cap, *start.get(key, [0]))
        assert max(values) <= allowed, (key, values)
        assert min(values) >= 0, (key, values)
    for _, _, obj in trace.applied():
        for c in obj["spec"]["template"]["spec"]["containers"]:
            resources = c.get("resources") or {}
            for resource, raw_limit in (resources.get("limits") or {}).items():
                raw_request = (resources.get("requests") or {}).get(resource)
                if raw_request is not None:  # requests never exceed limits (kubernetes notes 2.3)
                    assert PARSERS[resource](raw_request) <= PARSERS[resource](raw_limit), c


@st.composite
def trace_and_actions(draw: st.DrawFn) -> tuple[Trace, list[Action]]:
    profile = draw(st.sampled_from(["normal", "near_capacity", "broken"]))
    sparse = draw(st.booleans())
    trace = draw(traces(profile=profile, max_deployments=3, sparse=sparse))  # type: ignore[arg-type]
    return trace, draw(action_sequences(trace, min_size=1, max_size=10))


@SETTINGS
@given(case=trace_and_actions())
def test_no_action_sequence_crosses_the_caps(case: tuple[Trace, list[Action]]) -> None:
    trace, sequence = case
    start = field_values(trace)
    check_valid_and_capped(trace, start)
    for action in sequence:
        before = dumps(trace)
        result = apply_action(trace, action)
        assert result.status in STATUSES
        assert dumps(trace) == before  # never mutated
        if result.status != "applied":
            assert result.trace is trace, result.message
            assert not result.changes
            continue
        assert result.changes, result.message
        check_valid_and_capped(result.trace, start)
        # Every edited trace is still a trace SimKube's format (and this project's loader) accepts.
        loads(dumps(result.trace))
        trace = result.trace


@SETTINGS
@given(trace=near_capacity_traces(max_deployments=2))
def test_a_bump_at_the_cap_is_blocked_naming_the_cap(trace: Trace) -> None:
    ref = trace.workloads()[0]
    result = apply_action(trace, Action("bump_cpu", ref.name, amount="16"))
    # Any container with cpu set is at 15-16 cpu: 16 more always crosses the 16 cpu cap.
    if result.status == "blocked":
        assert "cap is 16" in result.message
        assert result.trace is trace
    else:
        containers = trace.latest(ref)["spec"]["template"]["spec"]["containers"]  # type: ignore[index]
        assert all(
            "cpu" not in {**c["resources"].get("requests", {}), **c["resources"].get("limits", {})}
            for c in containers
        ), result.message


# -- mutations of real files


# The same folder as the ``shared_traces`` fixture (tests/conftest.py); parametrizing needs it at import.
SHARED_TRACES = Path(__file__).resolve().parents[2].parent / "shared" / "traces"


def real_trace_files() -> list[Path]:
    if not SHARED_TRACES.is_dir():
        return []
    return sorted(p for p in SHARED_TRACES.rglob("*") if p.is_file() and p.suffix != ".md")


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One seeded corruption: flip, truncate, insert, delete, duplicate or nest deeply (1-3 times)."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        if not out:
            out = bytearray(rng.randbytes(rng.randint(1, 8)))
            continue
        at = rng.randrange(len(out))
        kind = rng.choice(["flip", "flip", "byte", "truncate", "insert", "delete", "duplicate", "nest"])
        if kind == "flip":
            out[at] ^= 1 << rng.randrange(8)
        elif kind == "byte":
            out[at] = rng.choice([0x00, 0xC1, 0xDC, 0xDE, 0xDF, 0xFF, 0x7F, 0x90, 0x80, ord('"'), ord("{")])
        elif kind == "truncate":
            del out[at:]
        elif kind == "insert":
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif kind == "delete":
            del out[at : at + rng.randint(1, 64)]
        elif kind == "duplicate":
            out[at:at] = out[max(0, at - rng.randint(1, 64)) : at]
        else:
            # Deep nesting hunts RecursionError: thousands of one-element msgpack arrays, or JSON "[".
            opener = b"[" if data[:1] in (b"{", b"[", b" ", b"\n") else b"\x91"
            out[at:at] = opener * rng.choice([100, 5_000, 200_000])
    return bytes(out)


MUTATIONS_PER_FILE = 150


@pytest.mark.parametrize("path", real_trace_files(), ids=lambda p: f"{p.parent.name}/{p.name}")
def test_mutated_real_traces_raise_only_trace_error(path: Path, shared_traces: Path) -> None:
    original = path.read_bytes()
    rng = random.Random(f"mutations:{path.name}")
    # Large files get fewer mutations: each decode of the 1.4 MB JSON trace costs tens of milliseconds.
    count = MUTATIONS_PER_FILE if len(original) < 200_000 else 25
    outcomes = {"loaded": 0, "TraceError": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimArenaWarning)
        for n in range(count):
            data = mutate(original, rng)
            try:
                trace = loads(data, path=str(path))
            except TraceError as exc:
                message = str(exc)
                assert "\n" not in message and message.startswith(str(path)), (n, message)
                outcomes["TraceError"] += 1
                continue
            except Exception as exc:  # anything else escaping is the bug this test hunts
                pytest.fail(f"mutation {n} of {path.name}: {type(exc).__name__} escaped loads: {exc}")
            outcomes["loaded"] += 1
            with contextlib.suppress(TraceError):
                dumps(trace)  # whatever loads accepted can be written back (or says why not)
    assert outcomes["TraceError"] > 0, outcomes  # the corruptions were real


@SETTINGS
@given(
    trace=st.one_of(
        traces(deletions=True),
        traces(notation="any", sparse=True),
        near_capacity_traces(usage_at_limit=True, max_containers=8),
        traces(profile="broken", replicas=st.just(0)),
    )
)
def test_generated_traces_are_valid_for_the_projects_validator(trace: Trace) -> None:
    # The strategies promise traces the Kubernetes API and SimKube would accept: no validation errors.
    errors = [str(p) for p in validate(trace) if p.severity == "error"]
    assert errors == []
