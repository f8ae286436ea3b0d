"""The Policy protocol: what the episode loop, the pytest plugin and the Gymnasium env call."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.episode.observation import Observation


@runtime_checkable
class Policy(Protocol):
    """Chooses one action per step from the observation.

    ``reset(seed=...)`` is called once before each episode: a policy with random choices must draw them
    from ``random.Random(seed)`` (never the module-level generator), so the same seed gives the same run.
    ``act`` returns one :class:`~pytest_simarena.actions.Action` (``noop`` to leave the trace alone).
    """

    name: str

    def reset(self, *, seed: int | None = None) -> None: ...

    def act(self, observation: Observation) -> Action: ...
