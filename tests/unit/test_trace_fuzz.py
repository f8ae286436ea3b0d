"""Trace input never escapes (issue 11): a seeded slice of scripts/fuzz_traces.py, and the shapes it found."""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import random
import sys
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import msgpack
import pytest
import yaml
from test_trace_manifests import ALL_KINDS, deployment

from pytest_simarena.cli.common import EXIT_INTERNAL, note_input, run_handler
from pytest_simarena.errors import TraceError
from pytest_simarena.trace.manifests import trace_from_manifests
from pytest_simarena.trace.usage import read_usage
from pytest_simarena.trace.values import preview

ROOT = Path(__file__).resolve().parents[2]


def _fuzz_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz_traces", ROOT / "scripts" / "fuzz_traces.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz_traces"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def fuzz() -> ModuleType:
    return _fuzz_script()


def test_a_seeded_slice_of_the_fuzz_run_has_no_escapes(fuzz: ModuleType) -> None:
    files = fuzz.corpus(fuzz.default_roots())
    assert len(files) >= 104  # 4 canonical + 100 generated, plus the shared traces where present
    summary = fuzz.fuzz(files, count=1500, seed=11)
    report = summary.to_json()
    assert report["escapes"] == 0, report["byKind"]
    # the mutants reach past the decoder: some load (validate/inspect/diff/dump run) and most are refused
    assert report["accepted"] > 50 and report["rejected"] > 500, report


def _load_outcome(data: bytes, name: str) -> str:
    """repr of everything loads() gives (trace fields, warnings) or of the error it raises."""
    from pytest_simarena.errors import SimArenaError
    from pytest_simarena.trace.io import dumps, loads

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            t = loads(data, path=name)
        except SimArenaError as exc:
            return repr((type(exc).__name__, str(exc)))
    fields = (t.events, t.config, t.index, t.pod_lifecycles, t.extra, t.notes, dumps(t))
    return repr((fields, [str(w.message) for w in caught]))


def test_msgspec_decoding_gives_what_the_classic_decoder_gives(
    fuzz: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    """loads() decodes with msgspec when it can (faster); on mutants of every trace, accepted or refused,
    the outcome is the classic msgpack-python path's, value types and error wording included."""
    from pytest_simarena.trace import io

    assert io._msgspec_decode is not None, "msgspec is a dependency"
    files = fuzz.corpus(fuzz.default_roots())
    differ = []
    accepted = 0
    for n in range(1500):
        path = files[n % len(files)]
        mutant = fuzz.mutate(path.read_bytes(), random.Random(f"7:{n}"), is_json=path.suffix == ".json")
        fast = _load_outcome(mutant, path.name)
        with monkeypatch.context() as m:
            m.setattr(io, "_msgspec_decode", None)
            classic = _load_outcome(mutant, path.name)
        accepted += not fast.startswith("('")
        if fast != classic:
            differ.append((n, path.name, fast[:200], classic[:200]))
    assert not differ, differ[:3]
    assert accepted > 50  # the comparison covers loaded traces, not only refusals


def test_the_fuzz_run_is_deterministic(fuzz: ModuleType) -> None:
    files = fuzz.corpus([ROOT / "traces" / "canonical"])
    data = files[0].read_bytes()
    one = [fuzz.mutate(data, fuzz.random.Random(f"3:{n}"), is_json=False) for n in range(50)]
    two = [fuzz.mutate(data, fuzz.random.Random(f"3:{n}"), is_json=False) for n in range(50)]
    assert one == two and len(set(one)) > 40


def _nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({(1, 2): "x"}, '{"[1, 2]": "x"}'),  # json.dumps raised TypeError on array keys
        ({None: 1, 3: True}, '{"null": 1, "3": true}'),
        (_nested(5000), "[[[[[[[[[[[[[[[[[[[[[...]]]]]]]]]]]]]]]]]]]]]"),
        (math.nan, "NaN"),
        (2**100_000, "<integer of 100001 bits>"),
        (b"\x00", "<bytes>"),
        (msgpack.ExtType(5, b""), "<ExtType>"),
        ("x" * 10**6, '"' + "x" * 56 + "..."),
        ({"a": [1, "b", None, 1.5]}, '{"a": [1, "b", null, 1.5]}'),
    ],
    ids=range(9),
)
def test_preview_renders_any_value_in_a_few_characters(value: Any, expected: str) -> None:
    assert preview(value) == expected


@pytest.mark.parametrize(
    ("template", "field", "problem"),
    [
        ({"metadata": "x"}, "metadata", 'expected a map, got string "x"'),
        (
            {"metadata": {"annotations": 3}},
            "metadata.annotations",
            "expected a map of strings, got integer 3",
        ),
        (
            {"metadata": {"annotations": {"simarena.io/usage": ["{}"]}}},
            'metadata.annotations["simarena.io/usage"]',
            'expected a string holding JSON, got array ["{}"]',
        ),
        (
            {"metadata": {"annotations": {"simarena.io/usage": '{"a":' * 100_000}}},
            'metadata.annotations["simarena.io/usage"]',
            "not usable: JSON nested too deeply",
        ),
    ],
    ids=["metadata", "annotations", "usage-not-string", "usage-deep"],
)
def test_read_usage_names_the_field_of_a_bad_shape(template: Any, field: str, problem: str) -> None:
    with pytest.raises(TraceError) as info:
        read_usage(template)
    assert (info.value.field, info.value.problem) == (field, problem)


def test_read_usage_of_templates_without_usage() -> None:
    assert read_usage({"metadata": None}) == {}
    assert read_usage({"metadata": {"annotations": None}}) == {}
    assert read_usage({"metadata": {"annotations": {"a": "b"}}}) == {}


def test_the_last_resort_line_names_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    trace = tmp_path / "t.sktrace"
    trace.write_bytes(b"")

    def buggy(args: argparse.Namespace) -> int:
        raise KeyError("boom")  # stands for a bug of ours hit while working on the file

    assert run_handler(buggy, argparse.Namespace(file=str(trace), json=False)) == EXIT_INTERNAL
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"simarena: error: {trace}: internal error: KeyError: 'boom'"), line

    def buggy_after_load(args: argparse.Namespace) -> int:
        note_input(args.files[1])
        raise ValueError("later")

    other = tmp_path / "u.sktrace"
    other.write_bytes(b"")
    code = run_handler(buggy_after_load, argparse.Namespace(files=[str(trace), str(other)]))
    assert code == EXIT_INTERNAL
    line = capsys.readouterr().err.strip()
    assert line.startswith(f"simarena: error: {other}: internal error: ValueError: later"), line


def test_mutated_manifests_fail_only_with_a_trace_error_naming_the_file(
    fuzz: ModuleType, tmp_path: Path
) -> None:
    """The same mutations on a manifest folder's objects: from-manifests never lets another error out."""
    objects = [*yaml.safe_load_all(ALL_KINDS), deployment()]
    original = json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}).encode()
    path = tmp_path / "m.json"
    built = 0
    for n in range(250):
        path.write_bytes(fuzz.mutate(original, random.Random(f"manifests:{n}"), is_json=True))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                trace_from_manifests([path])
            built += 1
        except TraceError as exc:
            assert str(exc).startswith(str(path)), exc
    assert 0 < built < 250


def test_validate_reports_a_malformed_in_memory_trace_instead_of_crashing() -> None:
    from pytest_simarena.trace import Trace, validate

    web = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "default"}}
    web["spec"] = {"template": {"metadata": {"annotations": "x"}}}
    cases: list[tuple[Trace, str]] = [
        (Trace(events=None, config={"trackedObjects": {}}), "events: expected an array of events, got null"),  # type: ignore[arg-type]
        (Trace(events=[], config=None), "config: expected a map with trackedObjects, got null"),  # type: ignore[arg-type]
        (
            Trace(
                events=[{"ts": 0, "applied_objs": [web], "deleted_objs": []}], config={"trackedObjects": {}}
            ),
            "events[0].applied_objs[0] (Deployment default/web): spec.template.metadata.annotations: "
            'expected a map of strings, got string "x"',
        ),
    ]
    for trace, expected in cases:
        (problem,) = validate(trace)
        assert (problem.severity, problem.code) == ("error", "malformed")
        assert f"{problem.location}: {problem.message}" == expected


def test_replicas_beyond_int32_are_a_validate_error_and_never_replayed() -> None:
    """A fuzzed trace asked the simulator for 2**64-1 pods: the API server cannot even decode that."""
    from pytest_simarena.trace import validate
    from pytest_simarena.trace.generator import canonical_traces

    trace = canonical_traces()["mixed"]
    trace.events[0]["applied_objs"][0]["spec"]["replicas"] = 2**31
    errors = [p for p in validate(trace) if p.severity == "error"]
    assert [(p.code, p.message) for p in errors] == [
        ("bad_replicas", "Invalid value: 2147483648: must be a 32-bit integer (at most 2147483647)")
    ]


def test_a_trace_starting_after_the_year_9999_is_refused_by_the_embedded_cluster() -> None:
    from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
    from pytest_simarena.errors import SimArenaError
    from pytest_simarena.trace.generator import canonical_traces

    trace = canonical_traces()["mixed"]
    trace.events[0]["ts"] = 6658253554761035173  # a fuzzed ts: datetime raised OSError mid-replay
    with pytest.raises(SimArenaError, match="ts: 6658253554761035173 is after the year 9999"):
        EmbeddedCluster(ClusterSpec.default(), seed=0).start(trace)
