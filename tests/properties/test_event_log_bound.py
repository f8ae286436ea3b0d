"""The event log's bound (events.EventRecorder) against a log that formats every line at once and keeps
the last MAX_LOG_LINES when read (hypothesis, differential).

The recorder keeps entries unformatted until the log is read and drops the oldest, unformatted, once the
kept and unread lines pass MAX_LOG_LINES by PENDING_LIMIT; an entry only partly beyond is formatted and
its last lines kept. Whatever the order of records, notes, fast-step entries and reads, every read must
show what the eager log shows, with the same count of dropped lines.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.backends.embedded import events
from pytest_simarena.backends.embedded.clock import Clock
from pytest_simarena.backends.embedded.events import EventRecorder, Involved, log_line, step_lines

NODES = ("kwok-node-0", "kwok-node-1", "kwok-node-2")


def _step(draw: Any) -> events.StepLines:
    pods = tuple(f"web-abc-{i}" for i in range(draw(st.integers(0, 6))))
    nodes = tuple(draw(st.one_of(st.none(), st.integers(0, 2))) for _ in pods)
    failures = tuple(None if n is not None else "0/3 nodes are available" for n in nodes)
    return (0.0, "virtual-default", "web", "web-abc", draw(st.integers(0, 6)), pods, nodes, failures, NODES)


@st.composite
def operations(draw: Any) -> list[tuple[str, Any]]:
    ops: list[tuple[str, Any]] = []
    for _ in range(draw(st.integers(0, 60))):
        kind = draw(st.sampled_from(["record", "note", "step", "read"]))
        if kind == "step":
            ops.append((kind, _step(draw)))
        elif kind == "record":
            ops.append((kind, draw(st.sampled_from(["Created", "Scheduled", "BackOff"]))))
        else:
            ops.append((kind, None))
    return ops


@settings(max_examples=300, deadline=None)
@given(
    ops=operations(),
    limit=st.integers(1, 12),
    slack=st.integers(1, 6),
    advance=st.floats(0, 5),
)
def test_every_read_shows_the_last_lines_of_the_eager_log(
    ops: list[tuple[str, Any]], limit: int, slack: int, advance: float
) -> None:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(events, "MAX_LOG_LINES", limit)
        patch.setattr(events, "PENDING_LIMIT", slack)
        clock = Clock(seed=0)
        recorder = EventRecorder(clock)
        pod = Involved("v1", "Pod", "virtual-default", "web-abc-0", "uid-0")
        eager: list[str] = []
        for kind, arg in ops:
            clock.now += advance
            if kind == "record":
                recorder.record(pod, "Normal", arg, f"{arg} it", "kubelet")
                eager.append(log_line(clock.now, "Normal", arg, "Pod", pod.namespace, pod.name, f"{arg} it"))
            elif kind == "note":
                recorder.note(f"note at {clock.now}")
                eager.append(f"{clock.now:.3f} note at {clock.now}")
            elif kind == "step":
                recorder.add_step_lines(arg)
                eager.extend(step_lines(arg))
            else:
                assert recorder.log == eager[-limit:]
                assert recorder.dropped_lines == max(0, len(eager) - limit)
            kept = len(recorder._lines) + len(recorder._pending) + recorder._batched
            assert kept <= limit + slack
        assert recorder.log == eager[-limit:]
        assert recorder.dropped_lines == max(0, len(eager) - limit)
