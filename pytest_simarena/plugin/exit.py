"""A scenario process's exit without the interpreter's last garbage collections.

After a scenario run a process holds ~160,000 objects (modules, items, reports, the engine's memos); while
tearing its modules down CPython runs several full collections over all of them, which cost ~0.65 s of
CPU per process (measured, -n 0: 0.85-0.90 s after ``pytest_unconfigure``, 0.20-0.21 s with this; the rest
is pytest's own cleanup), paid by a serial run once and under xdist by the controller and every worker,
which the controller waits for.
:func:`freeze_at_exit` registers an ``atexit`` handler that moves every live object to the permanent
generation (:func:`gc.freeze`), so those collections skip them; memory is returned by the exit itself.
Objects are still released by reference counting; only cyclic garbage left at exit is not finalized, which
Python does not promise anyway. The freeze happens at interpreter exit, never during a session, so an
in-process run (pytester) leaks nothing into the process that ran it.
"""

from __future__ import annotations

import atexit
import gc

_registered: list[bool] = []


def _freeze() -> None:
    gc.freeze()


def freeze_at_exit() -> None:
    """Skip the final collections when this process exits (registered once per process)."""
    if not _registered:
        _registered.append(True)
        atexit.register(_freeze)
