"""A scenario process's exit without the interpreter's last garbage collections.

After a scenario run a process holds ~160,000 objects (modules, items, reports, the engine's memos); while
tearing its modules down CPython runs several full collections over all of them, which cost ~0.6 s of CPU
per process (measured: 0.60-0.77 s between ``pytest_unconfigure`` and exit, 0.03-0.05 s with this), paid by
a serial run once and by a parallel run in the controller and every xdist worker, which it waits for.
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
