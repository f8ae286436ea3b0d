"""What a person reads when a scenario fails: the expectation, the step table, the last complaints, the diff.

Plain strings (no pytest): the plugin's ``repr_failure`` returns them, the HTML report embeds them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pytest_simarena.episode.results import EpisodeResult, StepRecord
    from pytest_simarena.trace.model import Trace

    from .run import CaseOutcome

# Verdicts whose message a reader needs (why an action did nothing); "applied"/"solved" speak for themselves.
NOTED_VERDICTS = ("blocked", "not_found", "error", "unchanged")
NO_CHANGE = "(no change: the final trace equals the original)"
STEP_COLUMNS = ("step", "time", "ready", "pending", "total", "oom", "action", "verdict", "reward")


def action_text(record: StepRecord) -> str:
    """``bump_cpu web +500m``, ``scale_up +1``, ``-`` when no action was asked (solved or error step)."""
    action = record.action
    if action is None:
        return "-"
    parts = [action.type]
    container = getattr(action, "container", None)
    if container:
        parts.append(f"[{container}]")
    amount = getattr(action, "amount", None)
    if amount is not None:
        parts.append(str(amount))
    replicas = getattr(action, "replicas", None)
    if replicas is not None:
        parts.append(f"replicas={replicas}")
    for key in ("requests", "limits"):
        value = getattr(action, key, None)
        if value:
            parts.append(f"{key}=" + ",".join(f"{k}:{v}" for k, v in sorted(value.items())))
    return " ".join(parts)


def step_rows(result: EpisodeResult) -> list[dict[str, str]]:
    """One row per step with the STEP_COLUMNS, as display strings (shared by text and HTML)."""
    rows = []
    for r in result.steps:
        o = r.observation
        rows.append(
            {
                "step": str(r.step),
                "time": f"{r.time:g}s",
                "ready": f"{o.ready}/{o.target}",
                "pending": str(o.pending),
                "total": str(o.total),
                "oom": str(o.oom_killed),
                "action": action_text(r),
                "verdict": r.status,
                "reward": f"{r.reward:g}",
                "message": r.message,
            }
        )
    return rows


def table(rows: list[dict[str, str]], columns: tuple[str, ...] = STEP_COLUMNS) -> list[str]:
    widths = {c: max([len(c), *(len(row[c]) for row in rows)]) for c in columns}
    lines = ["  ".join(c.ljust(widths[c]) for c in columns).rstrip()]
    lines.append("  ".join("-" * widths[c] for c in columns))
    for row in rows:
        lines.append("  ".join(row[c].ljust(widths[c]) for c in columns).rstrip())
    return lines


def last_messages(result: EpisodeResult) -> list[str]:
    """The latest FailedScheduling, OOM and back-off messages seen in the episode (most recent first)."""
    seen: dict[str, str] = {}
    for record in reversed(result.steps):
        o = record.observation
        for label, message in (
            ("FailedScheduling", o.failed_scheduling),
            ("OOM", o.oom),
            ("BackOff", o.backoff),
        ):
            if message and label not in seen:
                seen[label] = f"step {record.step}: {message}"
    return [f"{label}: {text}" for label, text in seen.items()]


def diff_lines(original: Trace | None, final: Trace | None) -> list[str]:
    """The trace diff from the original to the last trace the episode replayed (trace/diff.py)."""
    if original is None or final is None:
        return []
    try:
        from pytest_simarena.trace.diff import diff_traces, render_diff
    except ImportError:  # diff.py not available: say so instead of hiding the section
        return ["(trace diff unavailable: pytest_simarena.trace.diff is missing)"]
    changes = diff_traces(original, final)
    if not changes:
        return [NO_CHANGE]
    return list(render_diff(changes))


def render_failure(outcome: CaseOutcome) -> str:
    """The whole failure report for one case."""
    case = outcome.case
    out = [f"scenario {case.test_id} (seed {outcome.seed}) failed"]
    out.append(f"  trace:  {case.trace}")
    out.append(f"  policy: {case.policy}")
    if outcome.error:
        out.append("")
        out.append(f"could not run: {outcome.error}")
        return "\n".join(out)
    result = outcome.result
    assert result is not None
    out.append(f"  workload: {result.workload}  target: {result.target}  reward: {result.reward}")
    out.append("")
    out.append("failed expectations:")
    out += [f"  - {f}" for f in outcome.failures]
    out.append("")
    solved = f"solved at step {result.steps_to_solve}" if result.solved else "not solved"
    out.append(f"episode: {solved}, {len(result.steps)} steps, total reward {result.total_reward:g}")
    rows = step_rows(result)
    out += ["  " + line for line in table(rows)]
    notes = [
        f"  step {row['step']}: {row['verdict']}: {row['message']}"
        for row in rows
        if row["message"] and row["verdict"] in NOTED_VERDICTS and row["action"] != "noop"
    ]
    if notes:
        out.append("")
        out.append("verdicts:")
        out += notes
    messages = last_messages(result)
    if messages:
        out.append("")
        out.append("last messages:")
        out += [f"  {m}" for m in messages]
    if result.error:
        out.append("")
        out.append(f"episode error: {result.error}")
    diff = diff_lines(outcome.original, result.final_trace)
    if diff:
        out.append("")
        out.append("trace diff (original -> last replayed):")
        out += [f"  {line}" for line in diff]
    return "\n".join(out)
