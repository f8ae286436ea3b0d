"""Hooks the plugin adds (registered by ``pytest_addhooks``); implement them in a conftest.py."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_simarena.scenario.run import CaseOutcome


@pytest.hookspec
def pytest_simarena_case_finished(item: pytest.Item, outcome: CaseOutcome) -> None:
    """A scenario case ran (from a scenario file or the ``simarena`` mark), before it is judged.

    ``outcome.result`` is the :class:`~pytest_simarena.episode.results.EpisodeResult` (None when the case
    could not run), ``outcome.failures`` the failed expectations: append to it to fail the test with
    your own check, e.g. ``outcome.failures.append("cost too high: ...")``.
    """
