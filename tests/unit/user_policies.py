"""Policies and rewards loaded by import path in the registry tests."""

from __future__ import annotations

from pytest_simarena.actions import Action
from pytest_simarena.episode.observation import Observation
from pytest_simarena.rewards import StepOutcome

NOT_A_POLICY = 42


def always_scale_up(observation: Observation) -> Action:
    return Action("scale_up", observation.workload.name)


class CountingPolicy:
    name = "counting"

    def __init__(self, *, start: int = 1) -> None:
        self.start = start
        self.count = start

    def reset(self, *, seed: int | None = None) -> None:
        self.count = self.start

    def act(self, observation: Observation) -> Action:
        self.count += 1
        return Action("set_replicas", observation.workload.name, replicas=self.count - 1)


class ExplodingPolicy:
    name = "exploding"

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        raise RuntimeError("agent crashed")


def ready_fraction(observation: Observation, outcome: StepOutcome) -> float:
    return observation.ready / max(observation.target, 1)


class ActOnly:
    """A stateless agent: act() only, handing back the observed workload as it is."""

    def act(self, observation: Observation) -> Action:
        return Action("scale_up", observation.workload)  # type: ignore[arg-type]
