"""Reports: JUnit properties, pytest-html extras and summary, the terminal table and ``results.json``.

Per-test data travels on the test report (``report.simarena``, a JSON-able dict) so it crosses xdist's
worker -> controller boundary; the controller's :class:`ResultsReporter` aggregates it.
"""

from __future__ import annotations

import html
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .state import STATE_KEY

if TYPE_CHECKING:
    from pytest_simarena.scenario.run import CaseOutcome

Obj = dict[str, Any]


def record_properties(item: pytest.Item, outcome: CaseOutcome) -> None:
    """JUnit XML ``<property>`` entries: solved, steps, totalReward, seed (plus policy and trace)."""
    summary = outcome.summary()
    props = [
        ("policy", outcome.case.policy),
        ("trace", outcome.case.trace.name),
        ("seed", outcome.seed),
        ("solved", summary.get("solved")),
        ("steps", summary.get("steps")),
        ("stepsToSolve", summary.get("stepsToSolve")),
        ("totalReward", summary.get("totalReward")),
    ]
    item.user_properties.extend((k, "" if v is None else v) for k, v in props)


def _html_enabled(config: pytest.Config) -> bool:
    return bool(config.pluginmanager.hasplugin("html") and config.getoption("htmlpath", None))


def attach_outcome(item: pytest.Item, report: pytest.TestReport) -> None:
    """Copy the case outcome stored on ``item`` onto ``report`` (and pytest-html extras when enabled)."""
    from .state import OUTCOME_KEY

    outcome = item.stash.get(OUTCOME_KEY, None)
    if outcome is None:
        return
    report.simarena = outcome.summary()  # type: ignore[attr-defined]
    if report.when == "call" and _html_enabled(item.config):
        state = item.config.stash[STATE_KEY]
        report.extras = [*getattr(report, "extras", []), *html_extras(outcome, charts=state.settings.charts)]  # type: ignore[attr-defined]


def html_extras(outcome: CaseOutcome, *, charts: bool = True) -> list[Obj]:
    """pytest-html extras: expectations and verdict, the step table, the chart, the trace diff."""
    from pytest_html import extras

    from pytest_simarena.scenario.render import NOTED_VERDICTS, diff_lines, last_messages, step_rows

    case, result = outcome.case, outcome.result
    parts = ['<div class="simarena">']
    expected = "; ".join(case.expect.describe()) or "nothing (the episode only has to run)"
    parts.append(f"<p><b>seed</b> {outcome.seed} &middot; <b>expects</b> {html.escape(expected)}</p>")
    if outcome.error:
        parts.append(f'<p style="color:#c62828"><b>could not run:</b> {html.escape(outcome.error)}</p>')
    for failure in outcome.failures:
        parts.append(f'<p style="color:#c62828">&#10007; {html.escape(failure)}</p>')
    if result is not None:
        solved = f"solved at step {result.steps_to_solve}" if result.solved else "not solved"
        parts.append(
            f"<p><b>{html.escape(result.workload)}</b> target {result.target}: {solved}, "
            f"total reward {result.total_reward:g}</p>"
        )
        rows = step_rows(result)
        head = "".join(
            f"<th>{c}</th>"
            for c in ("step", "time", "ready", "pending", "total", "oom", "action", "verdict", "reward")
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td>{html.escape(row[c])}</td>"
                for c in ("step", "time", "ready", "pending", "total", "oom", "action")
            )
            + f'<td title="{html.escape(row["message"])}">{html.escape(row["verdict"])}</td>'
            + f"<td>{html.escape(row['reward'])}</td></tr>"
            for row in rows
        )
        parts.append(
            f'<table border="1" style="border-collapse:collapse;font-size:12px"><tr>{head}</tr>{body}</table>'
        )
        notes = [
            f"step {row['step']}: {row['verdict']}: {row['message']}"
            for row in rows
            if row["message"] and row["verdict"] in NOTED_VERDICTS and row["action"] != "noop"
        ]
        details = notes + last_messages(result)
        if details:
            parts.append("<pre>" + html.escape("\n".join(details)) + "</pre>")
        diff = diff_lines(outcome.original, result.final_trace)
        if diff:
            parts.append(
                "<b>trace diff (original -> last replayed)</b><pre>" + html.escape("\n".join(diff)) + "</pre>"
            )
    parts.append("</div>")
    if result is not None and result.steps and charts:
        from pytest_simarena.report.charts import episode_chart_base64

        # Inline beside the table (pytest-html's media box would shrink it to a thumbnail).
        chart = episode_chart_base64(result)
        parts.append(
            '<div><img alt="pod states and reward per step" style="max-width:480px" '
            f'src="data:image/png;base64,{chart}"></div>'
        )
    return [extras.html('<div style="display:flex;gap:16px;flex-wrap:wrap">' + "".join(parts) + "</div>")]


def policy_table(records: list[Obj]) -> list[Obj]:
    """Per policy: cases, passed, solve rate, mean steps to solve (solved only), mean total reward."""
    by_policy: dict[str, list[Obj]] = defaultdict(list)
    for r in records:
        by_policy[r["policy"]].append(r)
    rows = []
    for policy in sorted(by_policy):
        rs = by_policy[policy]
        ran = [r for r in rs if "solved" in r]
        solved = [r for r in ran if r["solved"]]
        to_solve = [r["stepsToSolve"] for r in solved if r.get("stepsToSolve") is not None]
        rows.append(
            {
                "policy": policy,
                "cases": len(rs),
                "passed": sum(1 for r in rs if r["passed"]),
                "solved": len(solved),
                "solveRate": round(len(solved) / len(ran), 4) if ran else None,
                "meanStepsToSolve": round(sum(to_solve) / len(to_solve), 3) if to_solve else None,
                "meanReward": round(sum(r["totalReward"] for r in ran) / len(ran), 4) if ran else None,
            }
        )
    return rows


def _fmt(value: Any, pct: bool = False) -> str:
    if value is None:
        return "-"
    if pct:
        return f"{100 * value:.0f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


class ResultsReporter:
    """Controller-side collector (registered only where reports are written: not on xdist workers)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: dict[str, Obj] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "simarena", None)
        if isinstance(data, dict):
            self.records[report.nodeid] = {"nodeid": report.nodeid, **data}

    def ordered(self) -> list[Obj]:
        # Sorted by node id so -n 0 and -n auto write the same file.
        return [self.records[k] for k in sorted(self.records)]

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.records:
            return
        rows = policy_table(self.ordered())
        tr = terminalreporter
        tr.section("simarena: per policy")
        header = (
            f"{'policy':<22}{'cases':>6}{'passed':>8}{'solved':>8}{'solve rate':>12}"
            f"{'mean steps':>12}{'mean reward':>13}"
        )
        tr.write_line(header)
        for r in rows:
            tr.write_line(
                f"{r['policy']:<22}{r['cases']:>6}{r['passed']:>8}{r['solved']:>8}"
                f"{_fmt(r['solveRate'], True):>12}"
                f"{_fmt(r['meanStepsToSolve']):>12}{_fmt(r['meanReward']):>13}"
            )
        path = self.results_path()
        if path is not None:
            tr.write_line(f"results: {path}")

    def results_path(self) -> Path | None:
        state = self.config.stash.get(STATE_KEY, None)
        if state is None or not self.records:
            return None
        return state.settings.path("report_dir") / "results.json"

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        path = self.results_path()
        if path is None:
            return
        state = self.config.stash[STATE_KEY]
        document = {
            "settings": {
                k: (list(v) if isinstance(v, tuple) else v) for k, v in state.settings.values.items()
            },
            "policies": policy_table(self.ordered()),
            "tests": self.ordered(),
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        tmp.replace(path)


class HtmlHooks:
    """pytest-html hooks; registered only when pytest-html is installed (its hookspecs exist only then)."""

    def __init__(self, reporter: ResultsReporter) -> None:
        self.reporter = reporter

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        rows = policy_table(self.reporter.ordered())
        if not rows:
            return
        head = "".join(
            f"<th style='padding:2px 8px'>{h}</th>"
            for h in (
                "policy",
                "cases",
                "passed",
                "solved",
                "solve rate",
                "mean steps to solve",
                "mean reward",
            )
        )
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='padding:2px 8px'>{html.escape(v)}</td>"
                for v in (
                    r["policy"],
                    str(r["cases"]),
                    str(r["passed"]),
                    str(r["solved"]),
                    _fmt(r["solveRate"], True),
                    _fmt(r["meanStepsToSolve"]),
                    _fmt(r["meanReward"]),
                )
            )
            + "</tr>"
            for r in rows
        )
        prefix.append(
            "<h2>simarena: per policy</h2>"
            "<table border='1' style='border-collapse:collapse' id='simarena-policies'>"
            f"<tr>{head}</tr>{body}</table>"
        )

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        cells.insert(2, '<th class="sortable" data-column-type="policy">Policy</th>')
        cells.insert(3, "<th>Solved</th>")
        cells.insert(4, "<th>Reward</th>")

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        data = getattr(report, "simarena", None) or {}
        solved = data.get("solved")
        cells.insert(2, f'<td class="col-policy">{html.escape(str(data.get("policy", "")))}</td>')
        cells.insert(3, f"<td>{'' if solved is None else ('yes' if solved else 'no')}</td>")
        reward = data.get("totalReward")
        cells.insert(4, f"<td>{'' if reward is None else _fmt(reward)}</td>")
