"""events.k8s.io series counting (client-go tools/events event_broadcaster.go), as kube-scheduler records."""

from __future__ import annotations

from pytest_simarena.backends.embedded.clock import Clock
from pytest_simarena.backends.embedded.events import EventRecorder, Involved

POD = Involved("v1", "Pod", "ns", "web-1", "uid-1")


def _at(clock: Clock, t: float, recorder: EventRecorder) -> list[tuple[str, int]]:
    clock.run_until_time(t)
    recorder.record_series(POD, "Warning", "FailedScheduling", "no room", "default-scheduler")
    return [(e.name, e.count) for e in recorder.events_in(["ns"])]


def test_series_written_at_two_then_at_finish_and_a_later_repeat_is_a_new_event() -> None:
    clock = Clock()
    rec = EventRecorder(clock)
    first = _at(clock, 0, rec)
    assert [c for _, c in first] == [1]
    assert [c for _, c in _at(clock, 100, rec)] == [2]  # the first repeat starts the series: written
    assert [c for _, c in _at(clock, 200, rec)] == [2]  # cached only
    # finishSeries every 6 min: last observed 200 s, so the pass at 720 s (200 < 720 - 360) writes 3 and
    # drops it from the cache; the repeat at 900 s creates a new Event object
    after = _at(clock, 900, rec)
    assert after[0] == (first[0][0], 3)
    assert [c for _, c in after[1:]] == [1] and after[1][0] != first[0][0]


def test_refresh_every_30_minutes_writes_the_cached_count() -> None:
    clock = Clock()
    rec = EventRecorder(clock)
    for t in range(0, 1800, 300):  # 0, 300 ... 1500: never 6 minutes apart, so never finished
        _at(clock, t, rec)
    (event,) = rec.events_in(["ns"])
    assert event.count == 2
    clock.run_until_time(1801)
    (event,) = rec.events_in(["ns"])
    assert (event.count, event.last) == (6, 1500)
