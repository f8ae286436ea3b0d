"""Reports from xdist workers: the packed wire form gives the controller the very values and types pytest's
dict would have (property test), and a -n 2 run's controller sees the reports a -n 0 run sees."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pytest_simarena.plugin.wire import (
    BATCH,
    PACKED,
    HeldEvents,
    pack,
    pack_events,
    receiver,
    unpack,
    unpack_events,
)


def same(a: Any, b: Any) -> bool:
    """Equal with the same types all the way down (tuple is not list, 1 is not 1.0 nor True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list | tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b)


SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8) | st.binary(max_size=4)
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text(max_size=4) | st.integers(), inner, max_size=3)
    ),
    max_leaves=8,
)
# The shape of pytest's TestReport dict (``_pytest.reports._report_to_json``) plus extra attributes.
REPORTS = st.fixed_dictionaries(
    {
        "location": st.tuples(st.text(max_size=8), st.none() | st.integers(0, 999), st.text(max_size=8)),
        "keywords": st.dictionaries(st.text(max_size=8), st.just(1), max_size=4),
        "outcome": st.sampled_from(["passed", "failed", "skipped"]),
        "longrepr": st.none() | st.text(max_size=8),
        "when": st.sampled_from(["setup", "call", "teardown"]),
        "user_properties": st.lists(st.tuples(st.text(max_size=8), VALUES), max_size=3),
        "sections": st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=2),
        "duration": st.floats(0, 10),
        "start": st.floats(0, 2e9),
        "stop": st.floats(0, 2e9),
        "nodeid": st.text(max_size=16),
        "$report_type": st.sampled_from(["TestReport", "CollectReport"]),
    },
    optional={"simarena": VALUES, "extras": VALUES},
)


@given(REPORTS)
def test_a_packed_report_unpacks_to_the_same_values_and_types(data: dict[str, Any]) -> None:
    packed = pack(data)
    if packed is data:  # travels as pytest's dict
        assert unpack(data) is None
        return
    assert list(packed) == [PACKED]
    assert same(unpack(packed), data)


def test_a_plain_passed_report_is_packed_and_anything_else_is_not() -> None:
    data: dict[str, Any] = {
        "location": ("scenarios/x.yaml", 3, "case[a-b]"),
        "keywords": {"case[a-b]": 1},
        "outcome": "passed",
        "longrepr": None,
        "when": "call",
        "user_properties": [("policy", "noop"), ("totalReward", 1.5)],
        "sections": [("Captured stdout call", "hello\n")],
        "duration": 0.25,
        "start": 1.0,
        "stop": 1.25,
        "nodeid": "scenarios/x.yaml::case[a-b]",
        "$report_type": "TestReport",
        "simarena": {"final": {"ready": 3}, "failures": [], "error": None},
    }
    assert same(unpack(pack(data)), data)
    for change in (
        {"longrepr": "boom"},
        {"simarena": {"seed": (1, 2)}},
        {"simarena": {1: "int key"}},
        {"simarena": {"x": math.nan}},
        {"simarena": {"x": b"bytes"}},
        {"user_properties": [["policy", "noop"]]},
        {"$report_type": "CollectReport"},
    ):
        assert pack({**data, **change}) == {**data, **change}


def test_unpack_keeps_what_xdist_adds_after_packing() -> None:
    data = {"location": ("f.py", 1, "t"), "user_properties": [], "sections": [], "longrepr": None}
    data |= {"when": "call", "outcome": "passed", "$report_type": "TestReport"}
    sent = {**pack(data), "item_index": 7, "worker_id": "gw1", "testrun_uid": "abc"}
    assert same(unpack(sent), {**data, "item_index": 7, "worker_id": "gw1", "testrun_uid": "abc"})


def _report_event(nodeid: str, when: str, **change: Any) -> tuple[str, dict[str, Any]]:
    data: dict[str, Any] = {
        "nodeid": nodeid,
        "location": ("scenarios/x.yaml", 3, "case[a-b]"),
        "keywords": {"case[a-b]": 1},
        "outcome": "passed",
        "longrepr": None,
        "when": when,
        "user_properties": [("policy", "noop")] if when == "call" else [],
        "sections": [],
        "duration": 0.001,
        "$report_type": "TestReport",
        **change,
    }
    sent = {**pack(data), "item_index": 4, "worker_id": "gw0", "testrun_uid": "u1"}
    return "testreport", {"data": sent}


def _test_events(nodeid: str = "scenarios/x.yaml::case[a-b]", **change: Any) -> list[tuple[str, Any]]:
    """One test's events as xdist's worker sends them (each report as the worker's hook left it)."""
    location = ("scenarios/x.yaml", 3, "case[a-b]")
    return [
        ("logstart", {"nodeid": nodeid, "location": location}),
        *(_report_event(nodeid, when, **change) for when in ("setup", "call", "teardown")),
        ("logfinish", {"nodeid": nodeid, "location": location}),
        ("runtest_protocol_complete", {"item_index": 4, "duration": 0.0123}),
    ]


def _received(events: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """What xdist's controller reads from those events (packed reports unpacked as our hook does)."""
    out = []
    for name, kwargs in events:
        if name == "testreport" and PACKED in kwargs["data"]:
            kwargs = {"data": unpack(kwargs["data"])}
        out.append((name, kwargs))
    return out


def test_a_tests_events_travel_as_one_message_and_arrive_as_sent() -> None:
    events = _test_events()
    text = pack_events(events)
    assert text is not None
    assert same(list(unpack_events(text)), _received(events))


@pytest.mark.parametrize(
    "change",
    [
        {"location": ("scenarios/x.yaml", True, "case")},  # a bool is not a line number
        {"nodeid": 3},
        {"item_index": "4"},
        {"duration": math.inf},
        {"extra": "kwarg"},
        {"event": "warning_recorded"},
    ],
)
def test_events_that_would_not_come_back_the_same_are_not_batched(change: dict[str, Any]) -> None:
    events = _test_events()
    name, kwargs = events[0] if "location" in change or "nodeid" in change else events[-1]
    if "event" in change:
        events.insert(2, (change["event"], {"message": "x"}))
    elif "location" in change or "nodeid" in change:
        events[0] = (name, {**kwargs, **change})
    else:
        events[-1] = (name, {**kwargs, **change})
    assert pack_events(events) is None
    failed = _test_events(longrepr="AssertionError")  # a failure's report travels as pytest's dict
    assert pack_events(failed) is None


def _sender() -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    sent: list[tuple[str, dict[str, Any]]] = []

    def send(name: str, **kwargs: Any) -> None:
        sent.append((name, kwargs))

    return sent, send


def test_held_events_go_out_as_one_batch_per_test_in_order() -> None:
    sent, send = _sender()
    held = HeldEvents(send, lambda: True)
    first, second = _test_events("a"), _test_events("b")
    for name, kwargs in [*first, *second]:
        held(name, **kwargs)
    assert [name for name, _ in sent] == [BATCH, BATCH]
    received = [event for _, kwargs in sent for event in unpack_events(kwargs["events"])]
    assert same(received, _received([*first, *second]))


def test_another_event_releases_what_is_held_first_and_a_failure_goes_as_before() -> None:
    sent, send = _sender()
    held = HeldEvents(send, lambda: True)
    events = _test_events()
    for name, kwargs in events[:2]:
        held(name, **kwargs)
    held("warning_recorded", message="careful")
    for name, kwargs in events[2:]:
        held(name, **kwargs)
    assert [name for name, _ in sent] == ["logstart", "testreport", "warning_recorded", BATCH]
    failed = _test_events(longrepr="AssertionError")
    for name, kwargs in failed:
        held(name, **kwargs)
    assert sent[4:] == failed
    held("workerfinished", workeroutput={})
    assert sent[-1] == ("workerfinished", {"workeroutput": {}})


def test_nothing_is_held_outside_a_scenario_run() -> None:
    sent, send = _sender()
    held = HeldEvents(send, lambda: False)
    events = _test_events()
    for name, kwargs in events:
        held(name, **kwargs)
    assert sent == events


def test_the_receiver_hands_on_each_event_of_a_batch_and_anything_else_as_it_came() -> None:
    got: list[Any] = []
    receive = receiver(got.append)
    events = _test_events()
    receive((BATCH, {"events": pack_events(events)}))
    assert same(got, _received(events))
    got.clear()
    end = object()  # execnet's end marker
    receive(("logstart", {"nodeid": "n", "location": ("f", 1, "n")}))
    receive(end)
    assert got == [("logstart", {"nodeid": "n", "location": ("f", 1, "n")}), end]
    got.clear()
    broken = (BATCH, {"events": b"[[1,"})
    receive(broken)  # xdist's handler reports it as an unknown event and stops that worker
    assert got == [broken]


CONFTEST = """\
import json, os

import pytest

def _value(v):
    if isinstance(v, tuple):
        return {"tuple": [_value(x) for x in v]}
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    if isinstance(v, (str, int, float, bool)) or v is None:
        return [type(v).__name__, v]
    return [type(v).__name__, str(v)]

WORKER = []

def pytest_configure(config):
    WORKER.append(hasattr(config, "workerinput"))

@pytest.hookimpl(trylast=True)
def pytest_configure_node(node):
    # Runs after the plugin's, so around it: counts what reaches xdist from each worker, one line per message.
    process = node.process_from_remote

    def count(eventcall):
        if isinstance(eventcall, tuple):
            with open(os.environ["REPORTS_OUT"] + ".messages", "a") as out:
                out.write(eventcall[0] + "\\n")
        process(eventcall)

    node.process_from_remote = count

def pytest_runtest_logreport(report):
    if WORKER[0]:
        return  # what the controller (or a serial run) gets
    if os.environ.get("XDIST_RUN"):
        # Every report reaches the controller with the worker that ran it, as xdist sends it.
        assert getattr(report, "worker_id", "").startswith("gw"), vars(report)
        assert isinstance(getattr(report, "item_index", None), int), vars(report)
    # Timings, worker lines in longrepr, and what xdist adds on the controller.
    skip = {"_id", "duration", "start", "stop", "longrepr", "sections"}
    skip |= {"$report_type", "node", "item_index", "worker_id", "testrun_uid"}
    fields = {k: _value(v) for k, v in sorted(vars(report).items()) if k not in skip}
    fields["nodeid"] = report.nodeid
    fields.get("simarena", {}).pop("episodeSeconds", None)
    fields["sections"] = [_value(s) for s in report.sections if "stdout" in s[0]]
    fields["longrepr"] = type(report.longrepr).__name__
    with open(os.environ["REPORTS_OUT"], "a") as out:
        out.write(json.dumps(fields, sort_keys=True) + "\\n")
"""

TESTS = """\
import pytest

def test_prints(record_property):
    record_property("answer", 42)
    record_property("pair", (1, 2))
    print("hello")

def test_fails():
    assert 1 == 2

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass
"""

SUITE = """\
scenarios:
  - name: canonical
    traces: [slightly-bad-cpu]
    policies:
      heuristic: {expect: {solved: true}}
      noop: {expect: {solved: true}}
    steps: 2
"""


def test_the_controller_sees_the_reports_a_serial_run_sees(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeconftest(CONFTEST)
    pytester.makepyfile(test_mixed=TESTS)
    (scenario_dir / "suite.yaml").write_text(SUITE)
    seen = {}
    for workers in ("0", "2"):
        out = pytester.path / f"reports-{workers}.jsonl"
        monkeypatch.setenv("REPORTS_OUT", str(out))
        monkeypatch.setenv("XDIST_RUN", "1" if workers != "0" else "")
        result = pytester.runpytest_subprocess("-n", workers, trace_dirs_arg, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=2, failed=2, skipped=1)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        seen[workers] = sorted(lines, key=lambda f: (f["nodeid"], f["when"]))
    assert len(seen["0"]) == 14  # the skipped test has no call report
    assert seen["0"] == seen["2"]
    # The passed scenario case came as one message; the failures, the skip (reports with a longrepr)
    # and test_prints (a tuple in its properties) as xdist sends them, an event a message.
    messages = (pytester.path / "reports-2.jsonl.messages").read_text().split()
    assert messages.count(BATCH) == 1
    assert messages.count("logstart") == messages.count("runtest_protocol_complete") == 4
