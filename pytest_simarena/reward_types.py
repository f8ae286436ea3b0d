"""The types every reward module shares: what happened to a step's action, and the Reward protocol.

Apart from :mod:`pytest_simarena.rewards` (which re-exports both) so that reward modules it registers, such
as :mod:`pytest_simarena.rewards_seed`, can name them without importing it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .episode.observation import Observation


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What happened to the step's action: its type, the safeguard/apply status and whether it was blocked."""

    step: int
    action: str = "noop"
    status: str = "unchanged"
    blocked: bool = False


@runtime_checkable
class Reward(Protocol):
    """A reward: ``reward(observation, outcome) -> float`` with a ``name`` for logs and reports."""

    name: str

    def __call__(self, observation: Observation, outcome: StepOutcome) -> float: ...
