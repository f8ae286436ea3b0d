"""What an agent of a live episode gets and gives back each turn, and what it must provide.

Below both :mod:`.live_episode` (which runs the turns) and the agents that take them (:mod:`.command`),
so neither imports the other for these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from pytest_simarena.actions import Action

if TYPE_CHECKING:
    from pytest_simarena.episode.observation import Observation
    from pytest_simarena.live import LiveSession
    from pytest_simarena.settings import AgentSettings

    from .host import LiveHost

DEFAULT_WALL_SECONDS = 300.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Budget:
    """Limits of one turn: simulated seconds, allowed writes, wall seconds (None = no limit)."""

    seconds: float | None = None
    writes: int | None = None
    wall_seconds: float = DEFAULT_WALL_SECONDS

    @classmethod
    def from_settings(cls, settings: AgentSettings, **scenario: Any) -> Budget:
        """The settings' budget, with a scenario's ``budget:`` keys (seconds, writes, wall_seconds) on top."""
        writes = scenario.get("writes", settings.agent_writes)
        return cls(
            seconds=scenario.get("seconds", settings.agent_seconds),
            writes=None if writes is None else int(writes),
            wall_seconds=float(scenario.get("wall_seconds", settings.agent_wall_seconds)),
        )


@dataclass
class TurnContext:
    """What an agent gets for its turn."""

    session: LiveSession
    host: LiveHost
    observation: Observation
    step: int
    budget: Budget
    agent_dir: Path | None = None


@dataclass
class TurnResult:
    """What a turn did besides its writes (which the session records): denials, a message, an error."""

    denied: list[str] = field(default_factory=list)
    message: str = ""
    error: str | None = None
    attempted: Action | None = None  # what a denied or unchanged turn tried (writes are in the session)


@runtime_checkable
class LiveAgent(Protocol):
    """An agent of a live episode: ``turn`` acts on ``ctx.session`` however it likes."""

    name: str

    def reset(self, *, seed: int | None = None) -> None: ...

    def turn(self, ctx: TurnContext) -> TurnResult: ...
