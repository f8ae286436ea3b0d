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

from pytest_simarena.plugin.wire import PACKED, pack, unpack


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


CONFTEST = """\
import json, os

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

def pytest_runtest_logreport(report):
    if WORKER[0]:
        return  # what the controller (or a serial run) gets
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
        result = pytester.runpytest_subprocess("-n", workers, trace_dirs_arg, "-p", "no:cacheprovider")
        result.assert_outcomes(passed=2, failed=2, skipped=1)
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        seen[workers] = sorted(lines, key=lambda f: (f["nodeid"], f["when"]))
    assert len(seen["0"]) == 14  # the skipped test has no call report
    assert seen["0"] == seen["2"]
