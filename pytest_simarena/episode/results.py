"""What an episode produced: one :class:`StepRecord` per step and the :class:`EpisodeResult`.

Both are frozen. ``to_json()`` gives the stable JSON forms used by ``steps.jsonl``, ``summary.json`` and
``simarena run --json`` (no wall-clock times, so the same seed gives the same bytes).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .frozen import builder
from .observation import Observation

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]


def action_json(action: Action | None) -> Obj | None:
    """An action as camelCase JSON (:meth:`Action.to_dict`), or None."""
    return None if action is None else action.to_dict()


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One step: what was seen, what the policy did, the safeguard/apply verdict and the reward.

    ``status`` is the apply result (``applied``, ``unchanged``, ``blocked``, ``not_found``), ``solved`` for
    the final step of a solved episode (no action asked for) or ``error`` when the step failed.
    ``trace_file``/``trace_sha256`` identify the trace this step replayed.
    """

    step: int
    time: float
    observation: Observation
    action: Action | None
    status: str
    message: str = ""
    changes: tuple[Obj, ...] = ()
    reward: float = 0.0
    trace_file: str | None = None
    trace_sha256: str | None = None

    @property
    def blocked(self) -> bool:
        return self.status == "blocked"

    @property
    def block_reason(self) -> str | None:
        return self.message if self.blocked else None

    def to_json(self) -> Obj:
        return {
            "step": self.step,
            "time": self.time,
            "observation": self.observation.to_json(),
            "action": action_json(self.action),
            "verdict": {"status": self.status, "message": self.message, "changes": list(self.changes)},
            "blocked": self.blocked,
            "blockReason": self.block_reason,
            "reward": self.reward,
            "trace": {"file": self.trace_file, "sha256": self.trace_sha256},
        }


class PendingSha:
    """The sha256 of a trace's msgpack bytes, made when first read: a step record's ``trace_sha256``
    when the loop named the trace by a token (trace/keys.py) and nothing has read its bytes yet."""

    __slots__ = ("_value", "trace")

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._value: str | None = None

    def value(self) -> str:
        if self._value is None:
            from pytest_simarena.trace.io import trace_bytes

            self._value = trace_bytes(self.trace)[1]
        return self._value


class _ShaSlot:
    """``StepRecord.trace_sha256``: the slot, read as the sha256 string when it holds a :class:`PendingSha`
    (which it then replaces). Every reader (equality, hash, repr, pickle, ``replace``, the JSON forms)
    reads through it, so a record with a pending sha256 is the record with the string."""

    def __init__(self, slot: Any) -> None:
        self.slot = slot

    def __get__(self, record: Any, owner: Any = None) -> Any:
        if record is None:
            return self
        value = self.slot.__get__(record, owner)
        if type(value) is PendingSha:
            value = value.value()
            self.slot.__set__(record, value)
        return value

    def __set__(self, record: Any, value: Any) -> None:
        self.slot.__set__(record, value)

    def __delete__(self, record: Any) -> None:
        self.slot.__delete__(record)


type.__setattr__(StepRecord, "trace_sha256", _ShaSlot(StepRecord.__dict__["trace_sha256"]))

# StepRecord(*every field in its order), without the frozen __init__'s per-field cost (frozen.py).
new_record = builder(StepRecord)


@dataclass(frozen=True, slots=True)
class EpisodeResult:
    """A finished episode. ``final`` is the last observation; ``error`` is set when a step failed."""

    steps: tuple[StepRecord, ...]
    solved: bool
    steps_to_solve: int | None
    policy: str
    reward: str
    seed: int
    backend: str
    trace: str
    workload: str
    target: int
    max_steps: int
    step_seconds: float
    hold: int = 1
    error: str | None = None
    final_trace: Trace | None = field(default=None, compare=False, repr=False)
    final_trace_file: str | None = None
    options: Obj = field(default_factory=dict, compare=False)

    @property
    def rewards(self) -> tuple[float, ...]:
        return tuple(s.reward for s in self.steps)

    @property
    def total_reward(self) -> float:
        return sum(self.rewards)

    @property
    def final(self) -> Observation | None:
        """The last observation (``result.final.ready``...); None if step 0 failed before observing."""
        return self.steps[-1].observation if self.steps else None

    @property
    def blocked_actions(self) -> int:
        return sum(1 for s in self.steps if s.blocked)

    @property
    def actions(self) -> tuple[str, ...]:
        """Action types in step order (``solved``/``error`` steps without an action are skipped)."""
        return tuple(s.action.type for s in self.steps if s.action is not None)

    def to_json(self) -> Obj:
        """The ``simarena run --json`` document."""
        return {
            "steps": [s.to_json() for s in self.steps],
            "solved": self.solved,
            "stepsToSolve": self.steps_to_solve,
            "totalReward": self.total_reward,
            "finalTrace": self.final_trace_file,
            "error": self.error,
        }

    def summary_json(self) -> Obj:
        """``summary.json``: outcome plus everything ``simarena replay`` needs to re-run the episode."""
        return {
            "solved": self.solved,
            "stepsToSolve": self.steps_to_solve,
            "totalReward": self.total_reward,
            "rewards": list(self.rewards),
            "steps": len(self.steps),
            "blockedActions": self.blocked_actions,
            "error": self.error,
            "policy": self.policy,
            "reward": self.reward,
            "seed": self.seed,
            "backend": self.backend,
            "trace": self.trace,
            "workload": self.workload,
            "target": self.target,
            "maxSteps": self.max_steps,
            "stepSeconds": self.step_seconds,
            "hold": self.hold,
            "finalTrace": self.final_trace_file,
            "options": self.options,
        }
