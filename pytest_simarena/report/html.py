"""HTML for the report: one block per episode, the comparison at the top, the row cells and the style.

Plain strings, no pytest: the plugin hands them to pytest-html's hooks. Everything is escaped here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

from .results import policy_table
from .svg import CHART_CSS

if TYPE_CHECKING:
    from pytest_simarena.scenario.run import CaseOutcome

Obj = dict[str, Any]

PASSED_VS_SOLVED = (
    "<b>Passed</b> means the test's expectations held, whatever they were: a policy expected to fail "
    "passes when it fails as written. <b>Solved</b> means the episode repaired the workload (ready pods "
    "= target, none pending, no extra pods). Compare agents on solved; read passed as the suite's verdict."
)

# Added once, in the summary: keeps rows within 1,400 px and drops pytest-html's empty log box.
STYLE = (
    """<style>
body { max-width: 1400px; color: #424242; }
#results-table { table-layout: fixed; width: 100%; }
#results-table td { overflow-wrap: break-word; color: #212121; }
#results-table th[data-column-type="result"] { width: 6.5em; }
#results-table th[data-column-type="policy"] { width: 11.5em; }
#results-table th[data-column-type="trace"] { width: 13em; }
#results-table th[data-column-type="solved"] { width: 6.5em; }
#results-table th[data-column-type="steps"] { width: 3.5em; }
#results-table th[data-column-type="reward"] { width: 4.5em; }
#results-table th[data-column-type="duration"] { width: 5.5em; }
#results-table th:last-child { width: 3.5em; }
.logwrapper:not(:has(.log)) { display: none; }
.extra .media:not(:has(img[src^="data"])) { display: none; }
.simarena-episode { font-size: 13px; line-height: 1.4; max-width: 100%; color: #212121; }
.simarena-episode p { margin: 4px 0; }
.simarena-episode .bad { color: #c62828; }
.simarena-episode .row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.simarena-episode table { border-collapse: collapse; font-size: 12px; }
.simarena-episode th, .simarena-episode td { border: 1px solid #e0e0e0; padding: 2px 6px; text-align: right; }
.simarena-episode td.text, .simarena-episode th.text { text-align: left; }
.simarena-episode pre { white-space: pre-wrap; overflow-wrap: anywhere; max-height: 16em; overflow: auto;
  background: #fafafa; border: 1px solid #eeeeee; padding: 4px 6px; margin: 4px 0; font-size: 12px; }
.simarena-summary { font-size: 14px; color: #212121; }
.simarena-summary .explain { max-width: 70em; color: #424242; }
.simarena-summary .charts { display: flex; flex-wrap: wrap; gap: 32px; align-items: flex-start; }
.simarena-heatmap { border-collapse: collapse; font-size: 13px; }
.simarena-heatmap caption { text-align: left; font-weight: 600; padding-bottom: 6px; }
.simarena-heatmap th, .simarena-heatmap td { border: 1px solid #fff; padding: 3px 6px; text-align: center; }
.simarena-heatmap th[scope="col"] { max-width: 7.5em; font-weight: 600; vertical-align: bottom; }
.simarena-heatmap th[scope="row"] { text-align: right; }
.simarena-heatmap td.empty { color: #9e9e9e; }
.simarena-heatmap td.all { border-left: 3px solid #fff; }
.simarena-policies { border-collapse: collapse; font-size: 13px; margin-top: 12px; }
.simarena-policies th, .simarena-policies td { border: 1px solid #e0e0e0; padding: 2px 8px;
  text-align: right; }
.simarena-policies td:first-child, .simarena-policies th:first-child { text-align: left; }
"""
    + CHART_CSS
    + "</style>"
)


def fmt(value: Any, pct: bool = False) -> str:
    """A figure for a table: ``-`` for none, ``75%`` for a rate, ``1.5`` for a float."""
    if value is None:
        return "-"
    if pct:
        return f"{100 * value:.0f}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


_COLUMNS = ("step", "time", "ready", "pending", "total", "oom", "action", "verdict", "reward")
_TEXT_COLUMNS = ("action", "verdict")
_HEAD = "".join(f'<th class="text">{c}</th>' if c in _TEXT_COLUMNS else f"<th>{c}</th>" for c in _COLUMNS)


def _step_table(rows: list[dict[str, str]]) -> str:
    # One f-string per row (this runs for every step of every test; the columns are fixed).
    body = "".join(
        f"<tr><td>{escape(row['step'])}</td><td>{escape(row['time'])}</td><td>{escape(row['ready'])}</td>"
        f"<td>{escape(row['pending'])}</td><td>{escape(row['total'])}</td><td>{escape(row['oom'])}</td>"
        f'<td class="text">{escape(row["action"])}</td>'
        f'<td class="text" title="{escape(row["message"])}">{escape(row["verdict"])}</td>'
        f"<td>{escape(row['reward'])}</td></tr>"
        for row in rows
    )
    return f"<table><tr>{_HEAD}</tr>{body}</table>"


def episode_html(outcome: CaseOutcome, *, charts: bool = True) -> str:
    """One test's block: expectations and verdict, the step table, the pod timeline, messages, trace diff."""
    from pytest_simarena.scenario.render import (
        NO_CHANGE,
        NOTED_VERDICTS,
        diff_lines,
        last_messages,
        step_rows,
    )

    case, result = outcome.case, outcome.result
    expected = "; ".join(case.expect.describe()) or "nothing (the episode only has to run)"
    parts = [
        '<div class="simarena-episode">',
        f"<p><b>seed</b> {outcome.seed} &middot; <b>expects</b> {escape(expected)}</p>",
    ]
    if outcome.error:
        parts.append(f'<p class="bad"><b>could not run:</b> {escape(outcome.error)}</p>')
    parts += [f'<p class="bad">&#10007; {escape(failure)}</p>' for failure in outcome.failures]
    if result is not None:
        solved = f"solved at step {result.steps_to_solve}" if result.solved else "not solved"
        parts.append(
            f"<p><b>{escape(result.workload)}</b> target {result.target} replicas: {solved}, "
            f"total reward {result.total_reward:g}</p>"
        )
        rows = step_rows(result)
        parts.append('<div class="row">')
        parts.append(_step_table(rows))
        if result.steps and charts:
            from .timeline import episode_timeline, timeline_svg

            parts.append(timeline_svg(episode_timeline(result)))
        parts.append("</div>")
        notes = [
            f"step {row['step']}: {row['verdict']}: {row['message']}"
            for row in rows
            if row["message"] and row["verdict"] in NOTED_VERDICTS and row["action"] != "noop"
        ]
        details = notes + last_messages(result)
        if details:
            parts.append("<pre>" + escape("\n".join(details)) + "</pre>")
        # Only an applied action edits the trace: without one the diff is known to be empty (and the diff
        # is most of this block's cost).
        changed = any(step.status == "applied" for step in result.steps)
        diff = diff_lines(outcome.original, result.final_trace) if changed else [NO_CHANGE]
        if diff:
            parts.append(
                "<b>trace diff (original -&gt; last replayed)</b><pre>" + escape("\n".join(diff)) + "</pre>"
            )
    parts.append("</div>")
    return "".join(parts)


def policy_table_html(records: Sequence[Mapping[str, Any]]) -> str:
    """The per-policy table (cases, passed, solved, solve rate, mean steps to solve, mean reward)."""
    rows = policy_table([dict(r) for r in records])
    if not rows:
        return ""
    heads = ("policy", "cases", "passed", "solved", "solve rate", "mean steps to solve", "mean reward")
    head = "".join(f"<th>{h}</th>" for h in heads)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{escape(v)}</td>"
            for v in (
                r["policy"],
                str(r["cases"]),
                str(r["passed"]),
                str(r["solved"]),
                fmt(r["solveRate"], True),
                fmt(r["meanStepsToSolve"]),
                fmt(r["meanReward"]),
            )
        )
        + "</tr>"
        for r in rows
    )
    return f'<table class="simarena-policies" id="simarena-policies"><tr>{head}</tr>{body}</table>'


def summary_html(records: Sequence[Mapping[str, Any]]) -> str:
    """The report's top: what passed/solved mean, the heatmap, the steps distribution, the policy table."""
    from .summary import heatmap_html, steps_svg

    if not records:
        return STYLE
    traces = len({r.get("trace") for r in records})
    policies = len({r.get("policy") for r in records})
    return (
        STYLE
        + '<div class="simarena-summary">'
        + f"<h2>Agents compared: {policies} policies on {traces} traces ({len(records)} episodes)</h2>"
        + f'<p class="explain">{PASSED_VS_SOLVED}</p>'
        + f'<div class="charts">{heatmap_html(records)}<div>{steps_svg(records)}</div></div>'
        + "<h3>simarena: per policy</h3>"
        + policy_table_html(records)
        + "</div>"
    )


HEADER_CELLS = (
    '<th class="sortable" data-column-type="policy">Policy</th>',
    '<th class="sortable" data-column-type="trace">Trace</th>',
    '<th class="sortable" data-column-type="solved">Solved</th>',
    '<th class="sortable" data-column-type="steps">Steps</th>',
    '<th class="sortable" data-column-type="reward">Reward</th>',
)


def breakable_test_id(cell: str) -> str:
    """pytest-html's test id cell with line-break chances after ``::``, ``/`` and before ``[`` (ids are
    long and have no spaces; without these a row wraps mid-word or overflows)."""
    head, sep, rest = cell.partition(">")
    body, tail_sep, tail = rest.rpartition("</td")
    if not sep or not tail_sep:
        return cell
    body = body.replace("::", "::<wbr>").replace("/", "/<wbr>").replace("[", "<wbr>[")
    return f"{head}>{body}</td{tail}"


def row_cells(data: Mapping[str, Any]) -> list[str]:
    """The cells under :data:`HEADER_CELLS` for one test's record (empty cells for other tests)."""
    solved = data.get("solved")
    if solved is None:
        solved_text = ""
    elif solved:
        solved_text = f"yes, step {data.get('stepsToSolve')}"
    else:
        solved_text = "no"
    steps = data.get("steps")
    reward = data.get("totalReward")
    return [
        f'<td class="col-policy">{escape(str(data.get("policy", "")))}</td>',
        f'<td class="col-trace">{escape(str(data.get("trace", "")).split(".")[0])}</td>',
        f'<td class="col-solved">{solved_text}</td>',
        f'<td class="col-steps">{"" if steps is None else steps}</td>',
        f'<td class="col-reward">{"" if reward is None else fmt(reward)}</td>',
    ]
