"""Episodes: the step loop, its typed observation, results, run folders, replay and batches.

Re-exports are resolved lazily (PEP 562) so that ``pytest_simarena.policies`` can import the observation
types without pulling in the loop, which itself imports the policies.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .loop import run_episode as run_episode
    from .loop import run_step as run_step
    from .observation import Observation as Observation
    from .observation import build_observation as build_observation
    from .replay import replay_run as replay_run
    from .results import EpisodeResult as EpisodeResult
    from .results import StepRecord as StepRecord
    from .runlog import export_step_trace as export_step_trace
    from .runlog import read_step_traces as read_step_traces

_EXPORTS = {
    "run_episode": "loop",
    "run_step": "loop",
    "Observation": "observation",
    "build_observation": "observation",
    "replay_run": "replay",
    "EpisodeResult": "results",
    "StepRecord": "results",
    "export_step_trace": "runlog",
    "read_step_traces": "runlog",
}

__all__ = [
    "EpisodeResult",
    "Observation",
    "StepRecord",
    "build_observation",
    "export_step_trace",
    "read_step_traces",
    "replay_run",
    "run_episode",
    "run_step",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
