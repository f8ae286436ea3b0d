"""-n 2 gives the same ids, outcomes and per-test figures as -n 0; HTML, JUnit and results.json content."""

from __future__ import annotations

import html as html_lib
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

SUITE = """\
defaults:
  steps: 3
scenarios:
  - name: canonical
    traces: [slightly-bad-cpu, very-bad-memory, mixed]
    policies:
      heuristic: {expect: {solved: true}}
      noop: {expect: {solved: false}}
      random: ~
  - name: seeded
    traces: [very-bad-cpu]
    policies: [random]
    seeds: [1, 2]
"""


def _run(
    pytester: pytest.Pytester, trace_dirs_arg: str, out: str, *extra: str
) -> tuple[pytest.RunResult, dict[str, Any]]:
    result = pytester.runpytest("-q", "-rA", trace_dirs_arg, f"--simarena-report-dir={out}", *extra)
    document = json.loads((pytester.path / out / "results.json").read_text())
    return result, document


def _outcomes(result: pytest.RunResult) -> dict[str, str]:
    # The -rA short summary reads the same with and without xdist: "PASSED scenarios/suite.yaml::...".
    out = {}
    for line in result.outlines:
        word, _, rest = line.partition(" ")
        if word in ("PASSED", "FAILED", "ERROR", "SKIPPED", "XFAIL", "XPASS") and rest.startswith(
            "scenarios/"
        ):
            out[rest.split(" ")[0]] = word
    return out


def _report_blob(html: str) -> dict[str, Any]:
    """pytest-html's data: every test's rows and extras."""
    found = re.search(r'data-jsonblob="([^"]*)"', html)
    assert found is not None
    blob: dict[str, Any] = json.loads(html_lib.unescape(found.group(1)))
    return blob


def test_xdist_gives_the_same_results(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    serial, doc0 = _run(pytester, trace_dirs_arg, "r0", "-n", "0")
    parallel, doc2 = _run(pytester, trace_dirs_arg, "r2", "-n", "2")
    assert serial.ret == parallel.ret == 0
    ids0, ids2 = _outcomes(serial), _outcomes(parallel)
    assert len(ids0) == 11
    assert ids0 == {k: v for k, v in ids2.items() if k in ids0} and set(ids0) == set(ids2)
    # Wall-clock figures live in timings.json: results.json is the same document, the output folder aside.
    assert doc0 == doc2
    assert "episodeSeconds" not in json.dumps(doc0)
    timings = json.loads((pytester.path / "r2" / "timings.json").read_text())
    assert set(timings["tests"]) == {t["nodeid"] for t in doc0["tests"]}
    seeds = {t["id"]: t["seed"] for t in doc0["tests"]}
    assert seeds["suite.yaml::seeded[very-bad-cpu-random-seed1]"] == 1
    # derived seeds differ per test and are reproducible
    assert len(set(seeds.values())) == len(seeds)


def test_html_junit_and_results(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    result, document = _run(
        pytester,
        trace_dirs_arg,
        "reports",
        "-n",
        "2",
        "--html=reports/report.html",
        "--self-contained-html",
        "--junitxml=reports/junit.xml",
    )
    assert result.ret == 0
    result.stdout.fnmatch_lines(["*simarena: per policy*", "policy*solve rate*", "heuristic*3*3*3*100%*"])

    html = (pytester.path / "reports" / "report.html").read_text()
    assert "simarena: per policy" in html and "simarena-policies" in html
    assert "mean steps to solve" in html
    assert "Kubernetes repair agents compared" in html  # the title, not the file name
    assert 'class="simarena-heatmap"' in html and "steps to solve (share of episodes)" in html
    assert "<b>Passed</b> means" in html and "<b>Solved</b> means" in html
    blob = _report_blob(html)
    # Rows in (file, scenario, trace, policy, seed) order whatever order the two workers finished in.
    tests = [t for runs in blob["tests"].values() for t in runs]
    ids = list(blob["tests"])
    assert ids[:3] == [
        "scenarios/suite.yaml::canonical[mixed-heuristic]",
        "scenarios/suite.yaml::canonical[mixed-noop]",
        "scenarios/suite.yaml::canonical[mixed-random]",
    ]
    assert ids[-2:] == [
        "scenarios/suite.yaml::seeded[very-bad-cpu-random-seed1]",
        "scenarios/suite.yaml::seeded[very-bad-cpu-random-seed2]",
    ]
    assert all(t["log"] == "" for t in tests)  # no "No log output captured." box per row
    block = tests[0]["extras"][0]["content"]
    assert '<svg class="simarena-chart"' in block and "pod states over simulated time" in block
    assert '<td class="col-trace">mixed</td>' in tests[0]["resultsTableRow"]
    assert '<td class="col-solved">yes, step 2</td>' in tests[0]["resultsTableRow"]
    assert "data:image/png" not in html  # no raster chart per test any more
    blocks = "".join(t["extras"][0]["content"] for t in tests)
    assert "trace diff (original -&gt; last replayed)" in blocks
    assert "Insufficient" in html  # last FailedScheduling message of the noop cases

    tree = ET.parse(pytester.path / "reports" / "junit.xml")
    case = next(c for c in tree.iter("testcase") if c.get("name") == "canonical[slightly-bad-cpu-heuristic]")
    props = {p.get("name"): p.get("value") for p in case.iter("property")}
    assert props["solved"] == "True" and props["policy"] == "heuristic"
    assert {"steps", "totalReward", "seed", "stepsToSolve", "trace"} <= set(props)

    tests = {t["id"]: t for t in document["tests"]}
    heur = tests["suite.yaml::canonical[slightly-bad-cpu-heuristic]"]
    assert heur["solved"] is True and heur["passed"] is True and heur["final"]["ready"] == 3
    rows = {r["policy"]: r for r in document["policies"]}
    assert rows["heuristic"]["solveRate"] == 1.0 and rows["noop"]["solveRate"] == 0.0


def test_run_dir_keeps_replayable_logs(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    from pytest_simarena.episode.replay import replay_run

    (scenario_dir / "one.yaml").write_text(
        "scenarios:\n  - name: one\n    traces: [mixed, cpu-slightly-over-051]\n    policies: [vpa]\n"
    )
    result = pytester.runpytest("-q", trace_dirs_arg, "--simarena-run-dir=runs")
    result.assert_outcomes(passed=2)
    folders = sorted((pytester.path / "runs").iterdir())
    assert [f.name for f in folders] == [
        "one.yaml_one_cpu-slightly-over-051-vpa",
        "one.yaml_one_mixed-vpa",
    ]
    for folder in folders:
        assert (folder / "steps.jsonl").is_file() and (folder / "summary.json").is_file()
        # The same seed reproduces the logged episode exactly (steps.jsonl and summary.json), on the
        # cluster the plugin built for it (the 8-cpu one the trace was made for, recorded as clusterSpec).
        report = replay_run(folder)
        assert report.reproduced, report.difference


def _results_bytes(pytester: pytest.Pytester, trace_dirs_arg: str, folder: str, *extra: str) -> bytes:
    result = pytester.runpytest_subprocess("-q", trace_dirs_arg, f"--html={folder}/report.html", *extra)
    assert result.ret == 0, result.stdout.str()[-2000:]
    return (pytester.path / folder / "results.json").read_bytes()


def test_results_json_is_byte_identical_across_workers_and_hash_seeds(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    (scenario_dir / "suite.yaml").write_text(SUITE)
    monkeypatch.setenv("PYTHONHASHSEED", "0")
    serial = _results_bytes(pytester, trace_dirs_arg, "a", "-n", "0")
    monkeypatch.setenv("PYTHONHASHSEED", "4242")
    parallel = _results_bytes(pytester, trace_dirs_arg, "b", "-n", "2")
    assert serial == parallel
    assert len(json.loads(serial)["tests"]) == 11


def _html_blocks(pytester: pytest.Pytester, folder: str) -> dict[str, str]:
    blob = _report_blob((pytester.path / folder / "report.html").read_text())
    return {test_id: runs[0]["extras"][0]["content"] for test_id, runs in blob["tests"].items()}


def test_html_blocks_are_identical_across_workers(
    pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str
) -> None:
    # A container killed for memory and restarted: its back-off event quotes the pod's namespace, which
    # carries the run prefix; on the embedded cluster that prefix must not name the xdist worker.
    (scenario_dir / "suite.yaml").write_text(
        "defaults:\n  steps: 2\nscenarios:\n"
        "  - name: oom\n    traces: [multi-deployment-049, very-bad-memory, mixed]\n    policies: [noop]\n"
    )
    _results_bytes(pytester, trace_dirs_arg, "a", "-n", "0")
    _results_bytes(pytester, trace_dirs_arg, "b", "-n", "2")
    serial, parallel = _html_blocks(pytester, "a"), _html_blocks(pytester, "b")
    assert len(serial) == 3 and serial == parallel
    assert "restarting failed container=" in "".join(serial.values())
    assert "sa-master-" in "".join(serial.values())


def test_where_results_json_goes(pytester: pytest.Pytester, scenario_dir: Path, trace_dirs_arg: str) -> None:
    (scenario_dir / "one.yaml").write_text(
        "scenarios:\n  - name: one\n    traces: [mixed]\n    policies: [heuristic, noop]\n"
    )
    # An ad hoc run asks for no report: it writes none (and cannot overwrite the main job's).
    adhoc = pytester.runpytest("-q", trace_dirs_arg, "scenarios/one.yaml")
    adhoc.assert_outcomes(passed=2)
    adhoc.stdout.fnmatch_lines(
        ["results.json not written: pass --html, --junitxml or --simarena-report-dir*"]
    )
    assert not list(pytester.path.rglob("results.json"))
    # Beside the JUnit file when there is no HTML report.
    junit = pytester.runpytest("-q", trace_dirs_arg, "--junitxml=ci/junit.xml")
    junit.assert_outcomes(passed=2)
    assert (pytester.path / "ci" / "results.json").is_file() and (
        pytester.path / "ci" / "timings.json"
    ).is_file()
    # An explicit folder (ini here) wins over the HTML report's folder.
    pytester.makeini("[pytest]\nsimarena_report_dir = kept\n")
    kept = pytester.runpytest("-q", trace_dirs_arg, "--html=h/report.html")
    kept.assert_outcomes(passed=2)
    assert (pytester.path / "kept" / "results.json").is_file()
    assert not (pytester.path / "h" / "results.json").exists()
