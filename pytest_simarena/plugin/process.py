"""Process-level settings of a process that runs scenario cases: the garbage collector's young-generation
threshold while the session runs, and its exit without the interpreter's last collections.

**Young-generation threshold.** An episode allocates many short-lived dicts and lists (API objects,
observations), so with CPython's default threshold (700 allocations) the young generation is collected
~830 times in a -n 0 run of the suite, the middle one ~76 times and the whole heap 6 times, each full pass
over the session's long-lived objects (modules, items, reports, memos): 0.75-0.87 s of CPU in a run of
~6 s (measured with ``gc.callbacks``). With a threshold of 10,000 it is 0.34-0.53 s. Set by
:func:`scenario_process` when the session collects scenario cases and put back at ``pytest_unconfigure``
(:func:`restore_gc`), so an in-process (pytester) run leaves the process that ran it as it was.

**Exit.** After a scenario run a process holds ~160,000 objects; while tearing its modules down CPython
runs several full collections over all of them, which cost ~0.65 s of CPU per process (measured, -n 0:
0.85-0.90 s after ``pytest_unconfigure``, 0.20-0.21 s with this; the rest is pytest's own cleanup), paid
by a serial run once and under xdist by the controller and every worker, which the controller waits for.
:func:`freeze_at_exit` registers an ``atexit`` handler that moves every live object to the permanent
generation (:func:`gc.freeze`), so those collections skip them; memory is returned by the exit itself.
Objects are still released by reference counting; only cyclic garbage left at exit is not finalized,
which Python does not promise anyway. This freeze happens at interpreter exit; the ones below, made
during a session, are undone when it ends.

**The session's heap.** (-n 0 and every worker) When collection ends, the heap is collected once and
frozen (:func:`freeze_collected`): the modules, plugins, items and cases alive then (~100,000 objects)
live until the session ends, and every full collection of the session walked them again (0.10-0.15 s of
a -n 0 run of the replay suite). At ``pytest_unconfigure`` :func:`restore_gc` collects once more and
freezes what the session added, so pytest's own cleanup after it (two full collections, looking for
unraisable exceptions, 0.24-0.30 s over the heap of a -n 0 run) walks almost nothing; the one collection
made here is what those would have found. :func:`unfreeze_after` (a cleanup registered at configure,
so it runs after pytest's) moves everything back into the collected generations: an in-process
(pytester) run leaves its process as it was, and its own objects collectable.

**Hypothesis's terminal summary.** Hypothesis's pytest plugin imports ``hypothesis.internal.observability``
in ``pytest_terminal_summary`` whatever the session ran, which imports all of hypothesis: ~0.1 s of CPU
per process (the -n 0 run; under xdist the controller and every worker, each at the end of the run).
When this process never imported hypothesis (so no test here used it or wrote observations), no report
carries its statistics or failing examples and no hypothesis option asks for a section, that summary
has nothing to print: :func:`skip_idle_hypothesis_summary` unregisters the plugin before the summary.
"""

from __future__ import annotations

import atexit
import gc
import sys

import pytest

YOUNG_THRESHOLD = 10_000  # CPython's default is 700; the older generations keep theirs
HYPOTHESIS_PLUGIN = "hypothesispytest"  # its pytest11 entry point
# What hypothesis's plugin puts on reports (_hypothesis_pytestplugin.STATS_KEY, FAILING_EXAMPLES_KEY).
_HYPOTHESIS_KEYS = ("_hypothesis_stats", "_hypothesis_failing_examples")

_registered: list[bool] = []
_GC_KEY = pytest.StashKey[tuple[int, int, int]]()
_FROZEN_KEY = pytest.StashKey[bool]()


def _freeze() -> None:
    gc.freeze()


def freeze_at_exit() -> None:
    """Skip the final collections when this process exits (registered once per process)."""
    if not _registered:
        _registered.append(True)
        atexit.register(_freeze)


def scenario_process(config: pytest.Config) -> None:
    """This session runs scenario cases: a larger young generation until unconfigure, a frozen exit."""
    freeze_at_exit()
    if _GC_KEY not in config.stash:
        before = gc.get_threshold()
        config.stash[_GC_KEY] = before
        gc.set_threshold(max(before[0], YOUNG_THRESHOLD), *before[1:])


def freeze_collected(config: pytest.Config) -> None:
    """When a scenario session's collection ends: collect once and freeze what is alive (see the module
    docstring, "The session's heap")."""
    # Frozen already (an in-process run inside a session that froze its heap, or the application's own
    # freeze): left as it is, since unfreezing cannot give back only what was frozen here.
    if is_scenario_process(config) and gc.get_freeze_count() == 0:
        gc.collect()
        gc.freeze()
        config.stash[_FROZEN_KEY] = True


def restore_gc(config: pytest.Config) -> None:
    """Put back the thresholds :func:`scenario_process` changed (no-op when it did not run); the heap the
    session added is collected once and frozen, until :func:`unfreeze_after` (an xdist worker's process
    ends with the session: there the exit's own freeze follows)."""
    before = config.stash.get(_GC_KEY, None)
    if before is not None:
        gc.set_threshold(*before)
        del config.stash[_GC_KEY]
        # (An xdist controller collects nothing, so it freezes here first.)
        if config.stash.get(_FROZEN_KEY, False) or gc.get_freeze_count() == 0:
            gc.collect()
            gc.freeze()
            config.stash[_FROZEN_KEY] = True


def unfreeze_after(config: pytest.Config) -> None:
    """Register, at configure, the cleanup that moves what this session froze back into the collected
    generations. Cleanups run last first, so it runs after those registered later (pytest's collection
    for unraisable exceptions): those collections skip the frozen heap."""

    def unfreeze() -> None:
        if config.stash.get(_FROZEN_KEY, False):
            del config.stash[_FROZEN_KEY]
            gc.unfreeze()

    config.add_cleanup(unfreeze)


def is_scenario_process(config: pytest.Config) -> bool:
    """Whether :func:`scenario_process` ran for this session (and unconfigure has not yet undone it)."""
    return _GC_KEY in config.stash


def skip_idle_hypothesis_summary(config: pytest.Config) -> None:
    """Unregister hypothesis's plugin before the terminal summary when it has nothing to print there
    (see the module docstring); call from ``pytest_sessionfinish``, inside the terminal reporter's."""
    manager = config.pluginmanager
    plugin = manager.get_plugin(HYPOTHESIS_PLUGIN)
    reporter = manager.get_plugin("terminalreporter")
    if plugin is None or reporter is None or "hypothesis" in sys.modules:
        return
    if config.getoption("hypothesis_show_statistics", False):
        return
    for reports in reporter.stats.values():
        for report in reports:
            fields = getattr(report, "__dict__", {})
            if any(key in fields for key in _HYPOTHESIS_KEYS):
                return
    manager.unregister(plugin)
