"""The Python face of scenarios: a decorator that parametrizes a test over traces x policies."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest


def scenarios(
    traces: str | Sequence[str], policies: str | Sequence[str] = "all", **options: Any
) -> pytest.MarkDecorator:
    """``@scenarios(["slightly-bad-cpu"], ["heuristic", "vpa"], max_steps=5)``: one test per trace x policy.

    The test takes ``simarena_result`` (the :class:`~pytest_simarena.episode.results.EpisodeResult`);
    options are scenario-file keys (``max_steps``, ``reward``, ``seeds``, ``cluster``, ``workload``,
    ``target``, ``hold``, ``expect``, ``marks``).
    Same as ``@pytest.mark.simarena(traces, policies, **options)``.
    """
    return pytest.mark.simarena(traces, policies, **options)
