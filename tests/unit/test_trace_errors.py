"""Every bad input raises TraceError naming the file and the field; nothing else ever escapes."""

from __future__ import annotations

import os
import random
import warnings
from pathlib import Path

import pytest
from broken_corpus import CASES, Case, write_corpus

from pytest_simarena.errors import SimArenaWarning, TraceError
from pytest_simarena.trace import diff_traces, load_trace, loads, render_diff, validate


def test_the_corpus_has_at_least_35_distinct_kinds() -> None:
    names = [case.name for case in CASES]
    assert len(names) >= 35
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_file_gives_one_line_trace_error(case: Case, tmp_path: Path) -> None:
    path = tmp_path / case.filename
    path.write_bytes(case.build())
    with warnings.catch_warnings():
        warnings.simplefilter("error", SimArenaWarning)  # a broken file must not half-load with a warning
        with pytest.raises(TraceError) as info:
            load_trace(path)
    message = str(info.value)
    assert message.startswith(f"{path}: "), message
    assert case.expected in message, message
    assert "\n" not in message
    assert info.value.path == str(path)


def test_write_corpus_writes_every_case(tmp_path: Path) -> None:
    written = write_corpus(tmp_path / "corpus")
    assert [case for case, _ in written] == CASES
    assert all(path.is_file() for _, path in written)


def test_errors_name_event_object_and_field(tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == "cpu-not-a-quantity")
    path = tmp_path / "x.sktrace"
    path.write_bytes(case.build())
    with pytest.raises(TraceError) as info:
        load_trace(path)
    error = info.value
    assert error.location == "events[0].applied_objs[0]"
    assert error.obj == "Deployment default/web"
    assert error.field == "spec.template.spec.containers[0].resources.requests.cpu"
    assert str(error).startswith(
        f"{path}: events[0].applied_objs[0] (Deployment default/web): "
        'spec.template.spec.containers[0].resources.requests.cpu: "12 cores" is not a Kubernetes quantity ('
    )


def test_missing_file_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match=r"nope\.sktrace: no such file"):
        load_trace(tmp_path / "nope.sktrace")


def test_directory_is_a_trace_error(tmp_path: Path) -> None:
    with pytest.raises(TraceError, match="is a directory"):
        load_trace(tmp_path)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file permissions")
def test_unreadable_file_is_a_trace_error(tmp_path: Path) -> None:
    path = tmp_path / "secret.sktrace"
    path.write_bytes(b"\x80")
    path.chmod(0)
    try:
        with pytest.raises(TraceError, match="permission denied"):
            load_trace(path)
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize(
    "name", ["simkube/cronjob.sktrace", "simkube/bare-pods.sktrace", "sim-arena/trace-cpu-slight.msgpack",
             "simkube/trace.json"],
)  # fmt: skip
def test_random_byte_mutations_raise_only_trace_error(shared_traces: Path, name: str) -> None:
    original = (shared_traces / name).read_bytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimArenaWarning)
        reference = loads(original)
    rng = random.Random(f"mutations-{name}")
    outcomes = {"loaded": 0, "rejected": 0}
    for _ in range(150):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            pos = rng.randrange(len(data))
            choice = rng.random()
            if choice < 0.6:
                data[pos] = rng.randrange(256)
            elif choice < 0.8:
                del data[pos : pos + rng.randint(1, 16)]
            else:
                data[pos:pos] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SimArenaWarning)
            try:
                mutated = loads(bytes(data), path=name)
                outcomes["loaded"] += 1
                # What loads is sound enough for everything downstream: no crash in validate or diff.
                validate(mutated)
                render_diff(diff_traces(reference, mutated))
            except TraceError as exc:
                assert str(exc).startswith(f"{name}: ") and "\n" not in str(exc)
                outcomes["rejected"] += 1
    assert outcomes["rejected"] > 0
