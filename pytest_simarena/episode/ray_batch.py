"""Batch episodes spread over a Ray cluster (``simarena batch --engine ray``; the ``ray`` extra).

Each episode is a Ray task running :func:`pytest_simarena.episode.batch.run_one` (the same function
``--jobs`` runs), and rows are put back in trace-major, policy-minor order, so ``results.json`` is the same
as with ``--jobs 1``. Trace paths must be readable where the tasks run: on a multi-node cluster, put the
traces on shared storage or ship the working directory with ``runtime_env`` (docs/learning.md).
``address`` (or ``RAY_ADDRESS``) names a running cluster; without one a local Ray instance is started and
stopped again.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError

if TYPE_CHECKING:
    from pytest_simarena.settings import EpisodeSettings


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise SimArenaError("--engine ray needs the ray extra: pip install 'pytest-simarena[ray]'") from None
    return ray


def run_on_ray(
    work: Sequence[tuple[str, str, str]],
    settings: EpisodeSettings,
    run_one: Callable[[str, str, EpisodeSettings, str | None], dict[str, Any]],
    *,
    address: str | None = None,
    num_cpus: int | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``work`` ((trace, policy, label) triples), each ``run_one(trace, policy, settings,
    label)`` a Ray task (batch.run_one, passed in so this module does not import batch); in ``work`` order."""
    ray = _ray()

    started_here = not ray.is_initialized()
    if started_here:
        address = address or os.environ.get("RAY_ADDRESS")
        kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False}
        if address:
            kwargs["address"] = address
        elif num_cpus is not None:
            kwargs["num_cpus"] = num_cpus
        ray.init(**kwargs)
    try:
        task = ray.remote(num_cpus=1)(run_one)
        pending = {task.remote(*item[:2], settings, item[2]): i for i, item in enumerate(work)}
        rows: list[dict[str, Any] | None] = [None] * len(work)
        waiting = list(pending)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            for ref in done:
                row = ray.get(ref)
                rows[pending[ref]] = row
                if on_result:
                    on_result(row)
        return [r for r in rows if r is not None]
    finally:
        if started_here:
            ray.shutdown()
