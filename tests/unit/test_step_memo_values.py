"""What the step memos share among their entries stays each entry's own value: a next trace equal in
bytes but not in what the bytes leave out (action_added, notes) is not handed to another pair."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pytest_simarena.actions import Action
from pytest_simarena.episode.loop import apply_step_action, clear_step_memos
from pytest_simarena.episode.runlog import trace_bytes
from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS
from pytest_simarena.trace.io import load_trace

ROOT = Path(__file__).resolve().parents[2]
TRACE = ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"


def test_equal_next_traces_keep_their_own_in_memory_fields() -> None:
    clear_step_memos()
    trace = load_trace(TRACE)
    sha = trace_bytes(trace)[1]
    marked = dataclasses.replace(trace, action_added=frozenset({(0, 0, "spec.minReadySeconds")}))
    noted = dataclasses.replace(trace, notes=[*trace.notes, "normalized something"])
    action = Action("scale_up", trace.workloads()[0].name)
    results = [apply_step_action(t, sha, action, DEFAULT_SAFEGUARDS) for t in (trace, marked, noted)]
    assert all(r[0] == "applied" for r in results)
    assert len({r[5] for r in results}) == 1  # one key: the same bytes
    (_, _, _, plain, _, _), (_, _, _, kept, _, _), (_, _, _, with_note, _, _) = results
    assert plain.action_added == frozenset()
    assert kept.action_added == marked.action_added
    assert with_note.notes == noted.notes and plain.notes == trace.notes
    # And the same again from the memo.
    again = apply_step_action(marked, sha, action, DEFAULT_SAFEGUARDS)[3]
    assert again.action_added == marked.action_added
