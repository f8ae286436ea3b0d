"""Trace I/O: SimKube v2 byte-for-byte, JSON form, seed-project files, SimKube's hash, atomic writes."""

from __future__ import annotations

import copy
import json
import os
import warnings
from pathlib import Path
from typing import Any

import msgpack
import pytest

from pytest_simarena.errors import SimArenaWarning, TraceError, UnsupportedTraceVersion
from pytest_simarena.trace import Trace, dump_trace, dumps, load_trace, loads, validate
from pytest_simarena.trace.hashing import compute_index, lifecycle_hash, rebuild_index, siphash13, sk_hash
from pytest_simarena.trace.io import iter_msgpack
from pytest_simarena.trace.model import BUILTIN_TEMPLATE_PATHS

SIMKUBE_FILES = ["bare-pods.sktrace", "cronjob.sktrace", "dsb-scaling.sktrace"]
SEED_LEGACY = [
    "trace-0001.msgpack",
    "trace-cpu-heavy.msgpack",
    "trace-cpu-low-mem-high-replicas-over.msgpack",
    "trace-cpu-mem.msgpack",
    "trace-cpu-slight.msgpack",
    "trace-mem-heavy.msgpack",
    "trace-mem-slight.msgpack",
    "trace-normalized.msgpack",
    "trace-replicas-over.msgpack",
    "trace-scaling-v2.msgpack",
    "trace-scaling.msgpack",
    *[f"generated-trace-{n:04d}.msgpack" for n in range(1, 11)],
]


def _load_quietly(path: Path) -> Trace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimArenaWarning)
        return load_trace(path)


def _all_lists(value: Any, where: str = "") -> None:
    """Objects are edited by users: every array outside pod_lifecycles keys must be a list."""
    assert not isinstance(value, tuple), f"tuple at {where}"
    if isinstance(value, dict):
        for k, v in value.items():
            _all_lists(v, f"{where}.{k}")
    elif isinstance(value, list):
        for n, v in enumerate(value):
            _all_lists(v, f"{where}[{n}]")


# -- SimKube's own files (notes/simkube.md §1.9, §2)


@pytest.mark.parametrize("name", [*SIMKUBE_FILES, "../sim-arena/trace-v2.msgpack"])
def test_simkube_trace_round_trips_byte_for_byte(shared_traces: Path, name: str) -> None:
    path = shared_traces / "simkube" / name
    original = path.read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a real SimKube v2 file needs no normalization
        trace = load_trace(path)
    assert trace.notes == []
    assert dumps(trace) == original
    assert b"".join(iter_msgpack(trace)) == original  # streamed pieces are the same bytes


def test_every_simkube_sktrace_round_trips(shared_traces: Path) -> None:
    files = sorted((shared_traces / "simkube").glob("*.sktrace"))
    assert set(SIMKUBE_FILES) <= {p.name for p in files}  # and any file added there is covered too
    for path in files:
        assert dumps(load_trace(path)) == path.read_bytes(), path


def test_json_with_byte_order_mark_loads(shared_traces: Path) -> None:
    data = b"\xef\xbb\xbf" + (shared_traces / "simkube" / "trace.json").read_bytes()
    assert loads(data, path="bom.json").events[0]["ts"] == 1709241485


@pytest.mark.parametrize("name", SIMKUBE_FILES)
def test_simkube_trace_written_to_disk_is_identical(shared_traces: Path, tmp_path: Path, name: str) -> None:
    trace = load_trace(shared_traces / "simkube" / name)
    out = tmp_path / name
    dump_trace(trace, out)
    assert out.read_bytes() == (shared_traces / "simkube" / name).read_bytes()


def test_decoded_arrays_are_lists_and_lifecycle_keys_tuples(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "cronjob.sktrace")
    _all_lists(trace.events, "events")
    _all_lists(trace.config, "config")
    owner = ("batch/v1.CronJob", "default/hello-simkube")
    assert list(trace.pod_lifecycles) == [owner]
    runs = trace.pod_lifecycles[owner][10855072724872030168]
    assert runs == [{"Finished": [1743286861, 1743286891]}, {"Finished": [1743286921, 1743286951]},
                    {"Finished": [1743286981, 1743287011]}]  # fmt: skip
    _all_lists(runs, "runs")
    container = trace.events[1]["applied_objs"][0]["spec"]["jobTemplate"]["spec"]["template"]["spec"][
        "containers"
    ][0]
    assert container["command"] == ["sleep", "30"]


def test_edits_to_a_loaded_trace_are_written(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    obj = trace.events[1]["applied_objs"][0]
    obj["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] = "2"
    obj["spec"]["template"]["spec"]["containers"][0]["args"] = ["--fast"]
    again = loads(dumps(trace))
    container = again.events[1]["applied_objs"][0]["spec"]["template"]["spec"]["containers"][0]
    assert container["resources"]["requests"]["cpu"] == "2"
    assert container["args"] == ["--fast"]


def test_dsb_contents_as_the_notes_describe(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    assert len(trace.events) == 19
    assert trace.duration == 1134
    assert len({ref for ref in trace.workloads()}) == 27


# -- SimKube's JSON form


@pytest.mark.parametrize("name", ["trace.json", "validation_trace.json", "large_trace.json"])
def test_simkube_json_loads(shared_traces: Path, name: str) -> None:
    trace = load_trace(shared_traces / "simkube" / name)
    assert trace.version == 2
    assert trace.pod_lifecycles == {}
    assert trace.config["trackedObjects"] == {
        "apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}
    }
    _all_lists(trace.events, "events")


def test_json_and_msgpack_convert_both_ways_without_loss(shared_traces: Path, tmp_path: Path) -> None:
    original = (shared_traces / "simkube" / "dsb-scaling.sktrace").read_bytes()
    trace = loads(original)
    dump_trace(trace, tmp_path / "dsb.json")
    text = (tmp_path / "dsb.json").read_text()
    assert json.loads(text)["version"] == 2  # real JSON, chosen by the .json extension
    back = load_trace(tmp_path / "dsb.json")
    assert dumps(back) == original


def test_format_is_detected_by_content_not_only_extension(shared_traces: Path, tmp_path: Path) -> None:
    json_named_sktrace = tmp_path / "really-json.sktrace"
    json_named_sktrace.write_bytes((shared_traces / "simkube" / "trace.json").read_bytes())
    assert load_trace(json_named_sktrace).events[0]["ts"] == 1709241485
    msgpack_named_json = tmp_path / "really-msgpack.json"
    msgpack_named_json.write_bytes((shared_traces / "simkube" / "cronjob.sktrace").read_bytes())
    assert len(load_trace(msgpack_named_json).events) == 3


def test_json_cannot_carry_pod_lifecycles_so_writing_them_warns(shared_traces: Path, tmp_path: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "cronjob.sktrace")
    with pytest.warns(SimArenaWarning, match="pod_lifecycles .* dropped"):
        dump_trace(trace, tmp_path / "cronjob.json")
    assert load_trace(tmp_path / "cronjob.json").pod_lifecycles == {}
    assert trace.pod_lifecycles  # the trace in memory is untouched


# -- the seed project's files (legacy)


@pytest.mark.parametrize("name", SEED_LEGACY)
def test_seed_file_loads_with_one_warning_naming_what_changed(shared_traces: Path, name: str) -> None:
    path = shared_traces / "sim-arena" / name
    with pytest.warns(SimArenaWarning) as caught:
        trace = load_trace(path)
    assert len(caught) == 1
    message = str(caught[0].message)
    assert message.startswith(str(path))
    assert trace.notes and all(note in message for note in trace.notes)
    if name.startswith("generated"):
        assert "version 1 -> 2" in message
        assert "config built from the kinds present (apps/v1.Deployment)" in message
    else:
        assert "podSpecTemplatePath -> podSpecTemplatePaths" in message
    assert "index computed" in message
    assert trace.version == 2
    assert trace.config == {
        "trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}}
    }


@pytest.mark.parametrize("name", SEED_LEGACY)
def test_seed_file_writes_back_as_a_v2_trace_simkube_accepts(shared_traces: Path, name: str) -> None:
    trace = _load_quietly(shared_traces / "sim-arena" / name)
    data = dumps(trace)
    raw = msgpack.unpackb(data, raw=False, strict_map_key=False, use_list=False)
    # notes/simkube.md §7 checklist: five keys first, version 2, tracked configs with known keys only.
    assert list(raw)[:5] == ["version", "config", "events", "index", "pod_lifecycles"]
    assert raw["version"] == 2
    for gvk, cfg in raw["config"]["trackedObjects"].items():
        assert set(cfg) <= {"podSpecTemplatePaths", "trackLifecycle", "skipOwned"}
        assert list(cfg["podSpecTemplatePaths"]) == [BUILTIN_TEMPLATE_PATHS[gvk]]
    for event in raw["events"]:
        assert list(event) == ["ts", "applied_objs", "deleted_objs"]
        assert isinstance(event["ts"], int)
    web = trace.events[0]["applied_objs"][0]
    assert raw["index"] == {"apps/v1.Deployment": {"default/web": sk_hash(web["spec"])}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # written back, it no longer needs normalizing
        again = loads(data)
    assert again.notes == []
    assert [p for p in validate(again) if p.severity == "error"] == []
    assert again.extra == trace.extra  # the seed's description survives (SimKube ignores extra keys)


def test_seed_metadata_is_kept_in_extra(shared_traces: Path) -> None:
    trace = _load_quietly(shared_traces / "sim-arena" / "trace-cpu-slight.msgpack")
    assert trace.extra["metadata"]["scenario"]["failure_mode"] == "cpu_only"
    assert "extra top-level metadata kept" in "; ".join(trace.notes)


def test_loaded_objects_keep_their_key_order(shared_traces: Path) -> None:
    # The seed's scaling-v2 object has selector before replicas: loading never reorders objects.
    trace = _load_quietly(shared_traces / "sim-arena" / "trace-scaling-v2.msgpack")
    raw = msgpack.unpackb(dumps(trace), raw=False)
    assert list(raw["events"][0]["applied_objs"][0]["spec"]) == ["selector", "replicas", "template"]


def test_every_shared_file_loads(shared_traces: Path) -> None:
    files = sorted(p for p in shared_traces.rglob("*") if p.is_file() and p.suffix != ".md")
    assert len(files) >= 28
    for path in files:
        assert _load_quietly(path).version == 2, path


# -- new traces: SimKube's key order


def _new_trace() -> Trace:
    web = {
        "spec": {"template": {"spec": {"containers": [{"resources": {}, "name": "web", "image": "nginx"}]}},
                 "replicas": 1},
        "metadata": {"namespace": "default", "name": "web"},
        "kind": "Deployment",
        "apiVersion": "apps/v1",
        "status": {"replicas": 1},
    }  # fmt: skip
    events = [{"deleted_objs": [], "applied_objs": [web], "ts": 100}]
    return Trace(events=events, config={"trackedObjects": {"apps/v1.Deployment": {}}})


def test_new_trace_is_written_in_simkube_order() -> None:
    trace = _new_trace()
    raw = msgpack.unpackb(dumps(trace), raw=False)
    event = raw["events"][0]
    assert list(event) == ["ts", "applied_objs", "deleted_objs"]
    obj = event["applied_objs"][0]
    assert list(obj) == ["apiVersion", "kind", "metadata", "spec", "status"]
    assert list(obj["metadata"]) == ["name", "namespace"]
    assert list(obj["spec"]) == ["replicas", "template"]
    assert list(obj["spec"]["template"]["spec"]["containers"][0]) == ["image", "name", "resources"]
    assert list(trace.events[0]["applied_objs"][0]) == ["spec", "metadata", "kind", "apiVersion", "status"]


def test_rebuild_index_hashes_every_object() -> None:
    trace = rebuild_index(_new_trace())
    web = trace.events[0]["applied_objs"][0]
    assert trace.index == {"apps/v1.Deployment": {"default/web": sk_hash(web["spec"])}}
    assert loads(dumps(trace)).index == trace.index


# -- SimKube's hash (notes §1.8)


@pytest.mark.parametrize(("name", "count"), [("cronjob.sktrace", 1), ("dsb-scaling.sktrace", 27)])
def test_index_values_are_reproduced_exactly(shared_traces: Path, name: str, count: int) -> None:
    trace = load_trace(shared_traces / "simkube" / name)
    assert sum(len(v) for v in trace.index.values()) == count
    assert compute_index(trace) == trace.index


def test_bare_pods_index_matches_once_service_accounts_are_put_back(shared_traces: Path) -> None:
    # The stored pods lost serviceAccount/serviceAccountName after tracing (notes §1.6).
    trace = load_trace(shared_traces / "simkube" / "bare-pods.sktrace")
    for _, _, pod in trace.applied():
        spec = {**copy.deepcopy(pod["spec"]), "serviceAccount": "default", "serviceAccountName": "default"}
        assert sk_hash(spec) == trace.index["v1.Pod"][f"testing/{pod['metadata']['name']}"]


def test_bare_pods_lifecycle_key_is_reproduced(shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "bare-pods.sktrace")
    keys = {h for by_hash in trace.pod_lifecycles.values() for h in by_hash}
    assert keys == {2151974655102796215}
    for _, _, pod in trace.applied():
        assert lifecycle_hash(pod["spec"]) == 2151974655102796215


def test_hash_stream_rules() -> None:
    # None is 8 zero bytes; a string ends in 0xff; -0.0 hashes as 0.0; keys are sorted.
    assert sk_hash(None) == siphash13(bytes(8))
    assert sk_hash("a") == siphash13(b"a\xff")
    assert sk_hash(-0.0) == sk_hash(0.0)
    assert sk_hash({"b": 1, "a": 2}) == sk_hash({"a": 2, "b": 1})
    assert sk_hash([1, 2]) == siphash13((1).to_bytes(8, "little") + (2).to_bytes(8, "little"))
    assert sk_hash(-1) == siphash13(b"\xff" * 8)
    nested: Any = "x"
    for _ in range(5000):
        nested = [nested]
    assert sk_hash(nested) == sk_hash("x")  # iterative: arrays add no bytes, and no RecursionError


# -- versions


def test_pre_v2_file_names_the_simkube_release_that_reads_it() -> None:
    data = msgpack.packb([{"trackedObjects": {}}, [], {}, {}])
    with pytest.raises(UnsupportedTraceVersion, match=r"only be read by SimKube <= 1\.1\.1") as info:
        loads(data, path="old.sktrace")
    assert str(info.value).startswith("old.sktrace: ")


def test_unknown_version_is_rejected_with_the_supported_one() -> None:
    data = msgpack.packb({"version": 7, "config": {}, "events": [], "index": {}, "pod_lifecycles": {}})
    with pytest.raises(UnsupportedTraceVersion) as info:
        loads(data, path="x.sktrace")
    assert (
        str(info.value)
        == "x.sktrace: version: unsupported trace version 7 (this reads version 2, SimKube >= 2.0.0)"
    )


# -- atomic writes


def test_failed_write_leaves_the_old_file_and_no_temp_file(shared_traces: Path, tmp_path: Path) -> None:
    out = tmp_path / "trace.sktrace"
    good = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")
    dump_trace(good, out)
    before = out.read_bytes()
    broken = good.copy()
    # The last event holds something msgpack cannot encode: the encoder fails after the earlier events
    # have already been written to the temporary file.
    broken.events[-1]["applied_objs"].append({"kind": "Deployment", "spec": object()})
    with pytest.raises(TraceError, match=r"trace\.sktrace: events\[18\]: cannot be written as msgpack"):
        dump_trace(broken, out)
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trace.sktrace"]


def test_interrupted_write_cleans_up(shared_traces: Path, tmp_path: Path) -> None:
    out = tmp_path / "trace.sktrace"
    out.write_bytes(b"old contents")
    trace = load_trace(shared_traces / "simkube" / "dsb-scaling.sktrace")

    def chunks() -> Any:
        yield from list(iter_msgpack(trace))[:5]
        raise KeyboardInterrupt  # like Ctrl-C in the middle of a write

    from pytest_simarena.trace.io import atomic_write

    with pytest.raises(KeyboardInterrupt):
        atomic_write(str(out), chunks())
    assert out.read_bytes() == b"old contents"
    assert [p.name for p in tmp_path.iterdir()] == ["trace.sktrace"]


def test_write_errors_are_trace_errors(tmp_path: Path, shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "cronjob.sktrace")
    with pytest.raises(TraceError, match="folder does not exist"):
        dump_trace(trace, tmp_path / "missing" / "x.sktrace")
    with pytest.raises(TraceError, match="is a directory"):
        dump_trace(trace, tmp_path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_unwritable_folder_is_a_trace_error(tmp_path: Path, shared_traces: Path) -> None:
    trace = load_trace(shared_traces / "simkube" / "cronjob.sktrace")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(TraceError, match="permission denied"):
            dump_trace(trace, locked / "x.sktrace")
    finally:
        locked.chmod(0o700)
