"""The report library: results files, the comparison charts and the pod timeline, from real episodes."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from pytest_simarena.backends.embedded import ClusterSpec
from pytest_simarena.backends.registry import make_backend
from pytest_simarena.episode.loop import run_episode
from pytest_simarena.episode.results import EpisodeResult
from pytest_simarena.report.html import breakable_test_id, row_cells, summary_html
from pytest_simarena.report.results import (
    dumps,
    ordered,
    policy_table,
    results_document,
    timings_document,
)
from pytest_simarena.report.summary import heatmap_html, solve_matrix, steps_distribution, steps_svg
from pytest_simarena.report.timeline import episode_timeline, timeline_svg
from pytest_simarena.trace import load_trace

ROOT = Path(__file__).resolve().parents[2]


def _episode(trace: str, policy: str, steps: int = 5) -> EpisodeResult:
    backend = make_backend("embedded", spec=ClusterSpec.default(), seed=1)
    try:
        return run_episode(
            load_trace(ROOT / "traces" / trace),
            policy,
            backend=backend,
            max_steps=steps,
            seed=1,
            step_seconds=120,
            reward="binary",
            prefix="t",
        )
    finally:
        backend.close()


def _record(
    policy: str, trace: str, solved: bool | None, steps: int | None = None, **extra: Any
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "file": "s.yaml",
        "scenario": "s",
        "trace": f"{trace}.sktrace",
        "family": trace.rsplit("-", 1)[0],
        "policy": policy,
        "seed": 1,
        "passed": True,
        "nodeid": f"scenarios/s.yaml::s[{trace}-{policy}]",
        **extra,
    }
    if solved is not None:
        out.update(solved=solved, stepsToSolve=steps, totalReward=1.0 if solved else 0.0)
    return out


RECORDS = [
    _record("vpa", "cpu-far-over-001", True, 1, episodeSeconds=0.5),
    _record("noop", "cpu-far-over-001", False, episodeSeconds=0.25),
    _record("vpa", "oom-limit-002", True, 2, episodeSeconds=0.1),
    _record("noop", "oom-limit-002", None, error="bad trace"),
    _record("heuristic", "cpu-far-over-001", True, 1),
]


def test_results_document_is_deterministic_and_keeps_wall_clock_apart() -> None:
    settings = {"seed": 0, "steps": 5, "report_dir": "/tmp/a", "run_dir": None, "trace_dirs": ("a", "b")}
    doc = results_document(RECORDS, settings)
    text = dumps(doc)
    assert "episodeSeconds" not in text and "report_dir" not in text and "run_dir" not in text
    assert doc["settings"] == {"seed": 0, "steps": 5, "trace_dirs": ["a", "b"]}
    # Any arrival order gives the same bytes (xdist completion order), and another output folder too.
    other = results_document(list(reversed(RECORDS)), {**settings, "report_dir": "/elsewhere"})
    assert dumps(other) == text
    assert [(t["policy"], t["trace"]) for t in doc["tests"]] == [
        ("heuristic", "cpu-far-over-001.sktrace"),
        ("noop", "cpu-far-over-001.sktrace"),
        ("vpa", "cpu-far-over-001.sktrace"),
        ("noop", "oom-limit-002.sktrace"),
        ("vpa", "oom-limit-002.sktrace"),
    ]
    timings = timings_document(RECORDS, workers=2)
    assert timings["workers"] == 2 and timings["episodeSecondsTotal"] == 0.85
    assert timings["tests"]["scenarios/s.yaml::s[cpu-far-over-001-vpa]"] == {"episodeSeconds": 0.5}


def test_policy_table_counts_only_episodes_that_ran() -> None:
    rows = {r["policy"]: r for r in policy_table(ordered(RECORDS))}
    assert rows["noop"] == {
        "policy": "noop",
        "cases": 2,
        "passed": 2,
        "solved": 0,
        "solveRate": 0.0,
        "meanStepsToSolve": None,
        "meanReward": 0.0,
    }
    assert rows["vpa"]["meanStepsToSolve"] == 1.5 and rows["vpa"]["solveRate"] == 1.0


def test_solve_matrix_and_heatmap() -> None:
    policies, families, cells = solve_matrix(RECORDS)
    assert policies == ["heuristic", "noop", "vpa"] and families == ["cpu-far-over", "oom-limit"]
    assert cells[("noop", "oom-limit")].ran == 0 and cells[("noop", "oom-limit")].cases == 1
    assert cells[("vpa", "oom-limit")].rate == 1.0
    html = heatmap_html(RECORDS)
    assert "n/a" in html  # noop never ran on oom-limit: no rate, not 0 %
    assert html.count("<tr>") == 4 and ">-</td>" in html  # heuristic has no oom-limit case
    assert "100%" in html and "0%" in html


def test_steps_distribution_svg() -> None:
    policies, values, counts = steps_distribution(RECORDS)
    assert policies == ["heuristic", "noop", "vpa"] and values == [1, 2]
    assert counts["vpa"] == {"1": 1, "2": 1} and counts["noop"] == {"unsolved": 1}
    root = ET.fromstring(steps_svg(RECORDS))
    titles = [t.text for t in root.iter("title")]
    assert "vpa: 1 of 2 solved in 2 steps" in titles and "noop: 1 of 1 not solved" in titles


def test_timeline_shows_pods_pending_then_ready_after_the_fix() -> None:
    result = _episode("canonical/mixed.sktrace", "heuristic")
    assert result.solved and result.steps_to_solve == 2
    timeline = episode_timeline(result)
    assert [(w.start, w.end) for w in timeline.windows] == [(0, 120), (120, 240), (240, 360)]
    assert timeline.lanes == 5  # the original 5 replicas; the policy scales to 3
    by_step: dict[int, list[str]] = {}
    for seg in timeline.segments:
        step = int(seg.start // 120)
        by_step.setdefault(step, []).append(seg.state)
        assert timeline.windows[step].start <= seg.start < seg.end <= timeline.windows[step].end
    assert by_step[0] == ["Pending"] * 5 and by_step[1] == ["Pending"] * 3
    assert sorted(set(by_step[2])) == ["Ready"] and len(by_step[2]) == 3
    svg = timeline_svg(timeline)
    root = ET.fromstring(svg)  # well-formed
    texts = [t.text or "" for t in root.iter("text")]
    assert "step 0 (original)" in texts and any(t.startswith("step 1 after set_replicas") for t in texts)


def test_timeline_marks_oom_killed_pods_failing() -> None:
    result = _episode("generated/oom-memory-limit-007.sktrace", "heuristic")
    first = [s for s in episode_timeline(result).segments if s.end <= 120]
    assert first and {s.state for s in first} >= {"Failing"}
    assert any("restarts" in s.note for s in first)


def test_summary_and_row_cells_escape_and_explain() -> None:
    records = [*RECORDS, _record("<script>", "cpu-far-over-001", True, 1)]
    html = summary_html(records)
    assert "<script>" not in html.replace("<style>", "") and "&lt;script&gt;" in html
    assert "Passed</b> means" in html and "Solved</b> means" in html
    cells = row_cells(RECORDS[2])
    assert cells[1] == '<td class="col-trace">oom-limit-002</td>'
    assert cells[2] == '<td class="col-solved">yes, step 2</td>'
    assert row_cells({}) == [
        '<td class="col-policy"></td>',
        '<td class="col-trace"></td>',
        '<td class="col-solved"></td>',
        '<td class="col-steps"></td>',
        '<td class="col-reward"></td>',
    ]
    assert breakable_test_id('<td class="col-testId">a/b.yaml::s[x-y]</td>') == (
        '<td class="col-testId">a/<wbr>b.yaml::<wbr>s<wbr>[x-y]</td>'
    )


@pytest.mark.parametrize("document", [{"b": [1.5, None], "a": "\u00e9"}])
def test_dumps_is_canonical(document: dict[str, Any]) -> None:
    assert dumps(document) == '{\n "a": "\u00e9",\n "b": [\n  1.5,\n  null\n ]\n}\n'
    assert json.loads(dumps(document)) == document


def test_timeline_without_snapshots_keeps_the_windows() -> None:
    # A backend that observes without API objects (no snapshot) still gets its step windows, no lanes.
    import dataclasses

    result = _episode("canonical/mixed.sktrace", "heuristic")
    bare = dataclasses.replace(
        result,
        steps=tuple(
            dataclasses.replace(s, observation=dataclasses.replace(s.observation, snapshot=None))
            for s in result.steps
        ),
    )
    timeline = episode_timeline(bare)
    assert len(timeline.windows) == 3 and timeline.segments == () and timeline.lanes == 0
    assert "no pods" in timeline_svg(timeline)
