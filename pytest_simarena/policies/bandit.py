"""The seed team's epsilon-greedy bandit (github bobg0/sim-arena agent/eps_greedy.py) as a learning policy.

It keeps one value per discrete action (the seed's action order by default) and, at each step, credits the
previous action with the reward of the observation that followed it (incremental mean), then explores with
probability ``epsilon`` or picks the best value (ties broken at random). Randomness comes from
``random.Random(seed)`` given at ``reset``; values persist across episodes while the same object is used.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from pytest_simarena.errors import SimArenaError

from .builtin import make_action
from .space import SEED_ORDER

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.episode.observation import Observation


class BanditPolicy:
    """Epsilon-greedy over fixed-step actions, learning online from a named reward (default ``scale``)."""

    name = "bandit"

    def __init__(self, *, epsilon: float = 0.1, reward: str = "scale", seed: int | None = 0) -> None:
        if not 0.0 <= epsilon <= 1.0:
            raise SimArenaError(f"bandit: epsilon={epsilon!r}: expected a probability in [0, 1]")
        from pytest_simarena.rewards import make_reward

        self.epsilon = epsilon
        self._reward = make_reward(reward)
        self.counts = [0] * len(SEED_ORDER)
        self.values = [0.0] * len(SEED_ORDER)
        self._rng = random.Random(seed)
        self._last: int | None = None

    def reset(self, *, seed: int | None = None) -> None:
        self._rng = random.Random(seed)
        self._last = None

    def update(self, action: int, reward: float) -> None:
        """Credit ``action`` with ``reward`` (incremental mean, as the seed's agent)."""
        self.counts[action] += 1
        self.values[action] += (reward - self.values[action]) / self.counts[action]

    def act(self, observation: Observation) -> Action:
        from pytest_simarena.rewards import StepOutcome

        if self._last is not None:
            blocked = bool(observation.history and observation.history[-1].blocked)
            outcome = StepOutcome(step=observation.step, action=SEED_ORDER[self._last], blocked=blocked)
            self.update(self._last, float(self._reward(observation, outcome)))
        if self._rng.random() < self.epsilon:
            index = self._rng.randrange(len(SEED_ORDER))
        else:
            best = max(self.values)
            index = self._rng.choice([i for i, v in enumerate(self.values) if v == best])
        self._last = index
        return make_action(observation, SEED_ORDER[index])
