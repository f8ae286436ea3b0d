"""Reports: JUnit properties, pytest-html extras and summary, the terminal table, ``results.json``.

Per-test data travels on the test report (``report.simarena``, a JSON-able dict) so it crosses xdist's
worker -> controller boundary; the controller's :class:`ResultsReporter` aggregates it. The HTML, the
charts and the files are built by :mod:`pytest_simarena.report`; this module only wires pytest's hooks.

Where ``results.json`` goes (so an ad hoc ``pytest scenarios/x.yaml`` never overwrites the main job's):
``--simarena-report-dir`` when set (option, env or ini); else beside the ``--html`` report; else beside
the ``--junitxml`` file; else nowhere (the terminal summary says how to ask for it).
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_simarena.report.results import (
    RESULTS_NAME,
    TIMINGS_NAME,
    ordered,
    policy_table,
    record_key,
    results_document,
    timings_document,
    write_json,
)

from .process import scenario_process
from .state import STATE_KEY

if TYPE_CHECKING:
    from pytest_simarena.scenario.run import CaseOutcome

Obj = dict[str, Any]

_NO_LOG = re.compile(r"|No log output captured\.|\[gw\d+\] \S+ -- Python \S+ \S+")


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


def _html_path(config: pytest.Config) -> str | None:
    if not config.pluginmanager.hasplugin("html"):
        return None
    value = config.getoption("htmlpath", None)
    return str(value) if value else None


def attach_outcome(item: pytest.Item, report: pytest.TestReport) -> None:
    """Copy the case outcome stored on ``item`` onto ``report`` (and the HTML block when writing HTML)."""
    from .state import OUTCOME_KEY

    outcome = item.stash.get(OUTCOME_KEY, None)
    if outcome is None:
        return
    report.simarena = outcome.summary()  # type: ignore[attr-defined]
    if report.when == "call" and _html_path(item.config):
        from pytest_html import extras

        from pytest_simarena.report.html import episode_html

        state = item.config.stash[STATE_KEY]
        block = extras.html(episode_html(outcome, charts=state.settings.charts))
        report.extras = [*getattr(report, "extras", []), block]  # type: ignore[attr-defined]


def _fmt(value: Any, pct: bool = False) -> str:
    from pytest_simarena.report.html import fmt

    return fmt(value, pct)


def results_dir(config: pytest.Config) -> Path | None:
    """Where ``results.json`` goes (see the module docstring), or None."""
    state = config.stash.get(STATE_KEY, None)
    if state is not None and state.settings.report_dir:
        return state.settings.path("report_dir")
    html = _html_path(config)
    xml = config.getoption("xmlpath", None)
    for path in (html, xml):
        if path:
            # As pytest-html and junitxml resolve theirs: relative to the invocation directory.
            full = Path(os.path.expandvars(str(path))).expanduser()
            return (config.invocation_params.dir / full).resolve().parent
    return None


class ResultsReporter:
    """Controller-side collector (registered only where reports are written: not on xdist workers)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.records: dict[str, Obj] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = getattr(report, "simarena", None)
        if isinstance(data, dict):
            if not self.records:  # the controller of a scenario run (under xdist it collects nothing)
                scenario_process(self.config)
            record = self.records.setdefault(report.nodeid, {})
            record.update({"nodeid": report.nodeid, **data})
            if report.when == "call":
                record["durationSeconds"] = round(report.duration, 6)

    def ordered(self) -> list[Obj]:
        # (file, scenario, trace, policy, seed, node id): -n 0 and -n auto write the same rows.
        return ordered(self.records.values())

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
        folder = results_dir(self.config)
        if folder is not None:
            tr.write_line(f"results: {folder / RESULTS_NAME} (wall-clock timings: {folder / TIMINGS_NAME})")
        else:
            tr.write_line(
                f"{RESULTS_NAME} not written: pass --html, --junitxml or --simarena-report-dir to keep one"
            )

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        folder = results_dir(self.config)
        state = self.config.stash.get(STATE_KEY, None)
        if folder is None or state is None or not self.records:
            return
        records = self.ordered()
        folder.mkdir(parents=True, exist_ok=True)
        write_json(folder / RESULTS_NAME, results_document(records, state.settings.values))
        workers = self.config.getoption("numprocesses", None)
        document = timings_document(records, workers=workers if isinstance(workers, int) else 0)
        write_json(folder / TIMINGS_NAME, document)


class HtmlHooks:
    """pytest-html hooks; registered only when pytest-html is installed (its hookspecs exist only then)."""

    def __init__(self, reporter: ResultsReporter) -> None:
        self.reporter = reporter

    def pytest_html_report_title(self, report: Any) -> None:
        name = self.reporter.config.rootpath.name
        report.title = f"{name}: Kubernetes repair agents compared (pytest-simarena)"

    def pytest_html_results_summary(
        self, prefix: list[str], summary: list[str], postfix: list[str], session: Any
    ) -> None:
        from pytest_simarena.report.html import summary_html

        prefix.append(summary_html(self.reporter.ordered()))

    def pytest_html_results_table_header(self, cells: list[str]) -> None:
        from pytest_simarena.report.html import HEADER_CELLS

        cells[2:2] = HEADER_CELLS

    def pytest_html_results_table_row(self, report: pytest.TestReport, cells: list[str]) -> None:
        from pytest_simarena.report.html import breakable_test_id, row_cells

        data = getattr(report, "simarena", None)
        if data is not None and len(cells) > 1:
            cells[1] = breakable_test_id(cells[1])
        cells[2:2] = row_cells(data or {})

    def pytest_html_results_table_html(self, report: pytest.TestReport, data: list[str]) -> None:
        # pytest-html puts a grey log box under every row: "No log output captured.", or under xdist
        # only the worker line ("[gw0] linux -- Python 3.11.7 ..."). Drop the box when that is all it says.
        if all(_NO_LOG.fullmatch(part.strip()) for part in data):
            data.clear()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        # pytest-html lists rows in the order reports arrived (xdist's completion order) and its default
        # sort only groups them by outcome: put them in record order first, so every run reads the same.
        records = self.reporter.records
        for plugin in self.reporter.config.pluginmanager.get_plugins():
            data = getattr(getattr(plugin, "_report", None), "data", None)
            tests = data.get("tests") if isinstance(data, dict) else None
            if not isinstance(tests, dict) or not hasattr(plugin, "_generate_report"):
                continue

            def key(nodeid: str) -> tuple[Any, ...]:
                found = records.get(nodeid)
                return (0, *record_key(found)) if found else (1, nodeid)

            items = sorted(tests.items(), key=lambda kv: key(kv[0]))
            tests.clear()
            tests.update(items)
