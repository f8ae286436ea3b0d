"""Live episodes: the cluster keeps running and the agent acts on it, instead of replaying edited traces.

A live episode (:func:`run_live_episode`) starts a ``LiveSession`` on the trace, lets ``step_seconds`` of
simulated time pass, then repeats: observe the workload; if it has been healthy for ``hold``
observations the episode is solved; otherwise the agent takes a *turn* (a built-in policy's one action,
a command's one run, an LLM's one tool-use loop), then ``step_seconds`` more pass. So ``solved``,
``within``, ``final``, ``blocked`` and ``hold`` mean what they mean in replay mode, and the result is the
same :class:`~pytest_simarena.episode.results.EpisodeResult`.

The clock: it stands still while an agent thinks; it moves by what the agent's requests cost (the API
server's per-request cost, ``kubectl wait`` and watches, the ``advance_time``/``wait_available`` tools)
and by ``step_seconds`` between turns.

The run folder (``out_dir``) holds the session's own run folder (its writes, replayable), the episode's
``episode.json`` and ``episode-steps.jsonl`` (deterministic), and what each agent kept (a command's
output, an LLM transcript) under ``agent/``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.actions import Action
from pytest_simarena.errors import SimArenaError
from pytest_simarena.rewards import StepOutcome, make_reward
from pytest_simarena.settings import EpisodeSettings

from .host import LiveHost
from .turns import DEFAULT_WALL_SECONDS as DEFAULT_WALL_SECONDS
from .turns import Budget as Budget
from .turns import LiveAgent as LiveAgent
from .turns import TurnContext as TurnContext
from .turns import TurnResult as TurnResult

if TYPE_CHECKING:
    from pytest_simarena.backends.embedded import ClusterSpec
    from pytest_simarena.episode.observation import Observation
    from pytest_simarena.episode.results import EpisodeResult
    from pytest_simarena.live import LiveSession
    from pytest_simarena.policies.protocol import Policy
    from pytest_simarena.rewards import Reward
    from pytest_simarena.settings import AgentSettings
    from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]
AGENT_DIR = "agent"
EPISODE_FILE = "episode.json"
EPISODE_STEPS_FILE = "episode-steps.jsonl"


class PolicyAgent:
    """A policy (built-in or user) in live mode: each turn is its one action, applied to the session."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.name = policy.name

    def reset(self, *, seed: int | None = None) -> None:
        self.policy.reset(seed=seed)

    def turn(self, ctx: TurnContext) -> TurnResult:
        try:
            action = self.policy.act(ctx.observation)
        except Exception as exc:
            return TurnResult(error=f"policy {self.name!r} raised {type(exc).__name__}: {exc}")
        if not isinstance(action, Action):
            return TurnResult(
                error=f"policy {self.name!r} returned {type(action).__name__}, expected an Action"
            )
        if action.type == "noop":
            return TurnResult(message="noop")
        try:
            result = ctx.session.apply_action(action)
        except SimArenaError as exc:
            if getattr(exc, "code", None) == 403:
                return TurnResult(denied=[str(exc)], message=str(exc), attempted=action)
            return TurnResult(message=f"{action}: {exc}", attempted=action)
        return TurnResult(message=str(result.message or result.status), attempted=action)


def observation_text(obs: Observation) -> str:
    """The one-paragraph task statement an LLM gets at each turn."""
    wl = obs.workload
    return (
        f"Simulated time {obs.time:g} s. {wl.kind} {wl.namespace}/{wl.name}: {obs.ready} ready of "
        f"{obs.target} wanted ({obs.pending} pending, {obs.total} pods). Make it healthy: {obs.target} "
        f"ready replicas. Namespace: {wl.namespace}."
    )


def _agent_label(agent: LiveAgent) -> str:
    return str(getattr(agent, "name", type(agent).__name__))


def run_live_episode(
    trace: Trace,
    agent: LiveAgent,
    *,
    settings: EpisodeSettings | None = None,
    reward: str | Reward | None = None,
    spec: ClusterSpec | None = None,
    budget: Budget | None = None,
    out_dir: str | Path | None = None,
    trace_label: str | None = None,
    on_session: Callable[[LiveSession], None] | None = None,
    **overrides: Any,
) -> EpisodeResult:
    """Run ``agent`` on a live cluster replaying ``trace``; see the module docstring.

    ``settings`` and ``overrides`` (its fields: ``seed=3``, ``max_steps=2``) as for
    :func:`~pytest_simarena.episode.loop.run_episode`; ``reward`` may also be a reward object.
    """
    from pytest_simarena.episode.results import EpisodeResult, StepRecord
    from pytest_simarena.episode.runlog import dumps_json, jsonl_line
    from pytest_simarena.live import LiveSession
    from pytest_simarena.live.runfolder import EXPORT_FILE

    if isinstance(reward, str):
        overrides["reward"] = reward
    base = settings if settings is not None else EpisodeSettings()
    # replace() runs the table's checks: a bad value is one line naming the setting, as in replay episodes.
    settings = base.replace(**overrides) if overrides else base
    seed, max_steps, step_seconds, hold = (
        settings.seed,
        settings.max_steps,
        settings.step_seconds,
        settings.hold,
    )
    workload, kind, namespace, target = settings.workload, settings.kind, settings.namespace, settings.target
    the_reward = make_reward(
        reward if reward is not None and not isinstance(reward, str) else settings.reward
    )
    budget = budget or Budget()
    run_dir = Path(out_dir) if out_dir is not None else None
    agent_dir = None
    if run_dir is not None:
        agent_dir = run_dir / AGENT_DIR
        agent_dir.mkdir(parents=True, exist_ok=True)
    session = LiveSession.start(trace, seed=seed, spec=spec, cluster=settings.cluster)
    if on_session is not None:
        on_session(session)
    host = LiveHost(session)
    agent.reset(seed=seed)
    records: list[StepRecord] = []
    streak = 0
    solved = False
    steps_to_solve: int | None = None
    error: str | None = None
    obs = None
    try:
        session.advance(step_seconds)
        for step in range(max_steps):
            obs = session.observation(workload, kind=kind, namespace=namespace, target=target, step=step)
            if obs.healthy and streak + 1 >= hold:
                noop = Action(
                    "noop", obs.workload.name, namespace=obs.workload.namespace, kind=obs.workload.kind
                )
                value = float(the_reward(obs, StepOutcome(step=step, action="noop", status="solved")))
                records.append(
                    StepRecord(step, obs.time, obs, noop, "solved", "healthy: episode solved", (), value)
                )
                solved, steps_to_solve = True, step - hold + 1
                break
            streak = streak + 1 if obs.healthy else 0
            before = len(session.writes)
            ctx = TurnContext(session, host, obs, step, budget, agent_dir)
            turn = agent.turn(ctx)
            writes = session.writes[before:]
            actions = [a for w in writes for a in w.actions]
            denied = [*turn.denied]
            if turn.error is not None:
                error = f"step {step}: {turn.error}"
                records.append(StepRecord(step, obs.time, obs, None, "error", error))
                break
            if actions:
                status = "applied"
            elif denied:
                status = "blocked"
            else:
                status = "unchanged"
            noop = Action("noop", obs.workload.name, namespace=obs.workload.namespace, kind=obs.workload.kind)
            action = actions[-1] if actions else (turn.attempted or noop)
            changes = tuple(
                {"verb": w.verb, "resource": w.resource, "namespace": w.namespace, "name": w.name}
                for w in writes
            )
            message = "; ".join([*(str(a) for a in actions), *denied]) or turn.message
            outcome = StepOutcome(step=step, action=action.type, status=status, blocked=bool(denied))
            value = float(the_reward(obs, outcome))
            # A turn with a denial counts as blocked even if other writes went through (as an apply would).
            records.append(
                StepRecord(
                    step, obs.time, obs, action, "blocked" if denied else status, message, changes, value
                )
            )
            session.advance(step_seconds)
    except SimArenaError as exc:
        error = f"live episode: {exc}"
    finally:
        result = EpisodeResult(
            steps=tuple(records),
            solved=solved,
            steps_to_solve=steps_to_solve,
            policy=_agent_label(agent),
            reward=the_reward.name,
            seed=seed,
            backend="embedded-live",
            trace=trace_label or trace.path or "<trace>",
            workload=str(obs.workload) if obs is not None else str(workload),
            target=obs.target if obs is not None else int(target or 0),
            max_steps=max_steps,
            step_seconds=float(step_seconds),
            hold=hold,
            error=error,
            final_trace=session.export_trace(),
            final_trace_file=EXPORT_FILE if run_dir is not None else None,
            options={"mode": "live", "workload": workload, "kind": kind, "namespace": namespace},
        )
        if run_dir is not None:
            session.write_run(run_dir)
            (run_dir / EPISODE_STEPS_FILE).write_text("".join(jsonl_line(r.to_json()) for r in records))
            (run_dir / EPISODE_FILE).write_text(dumps_json(result.summary_json()))
        session.close()
    return result


TRANSCRIPT_FILE = "transcript.jsonl"


class LlmLiveAgent:
    """The ``llm`` policy in live mode: each turn is one bounded tool-use loop of the chat model.

    The transcript (every message, tool call and tool result) goes to ``agent/transcript.jsonl``.
    """

    name = "llm"

    def __init__(self, config: Any) -> None:
        from .llm import LlmConfig

        if not isinstance(config, LlmConfig):
            raise SimArenaError(f"llm policy: expected an LlmConfig, got {type(config).__name__}")
        config.check()  # no key, no model: one clear line before the cluster even starts
        self.config = config
        self._agent: Any = None

    def reset(self, *, seed: int | None = None) -> None:
        self._agent = None

    def turn(self, ctx: TurnContext) -> TurnResult:
        from pytest_simarena.episode.runlog import jsonl_line

        from .llm import LlmAgent, LlmError

        path = ctx.agent_dir / TRANSCRIPT_FILE if ctx.agent_dir is not None else None

        def keep(record: Obj) -> None:
            if path is not None:
                with open(path, "a", encoding="utf-8") as out:
                    out.write(jsonl_line(record))

        denied_before = len(ctx.host.denied)
        text = observation_text(ctx.observation)
        try:
            if self._agent is None:
                if path is not None:
                    path.unlink(missing_ok=True)
                self._agent = LlmAgent(self.config, text, on_record=keep)
                calls = self._agent.turn(ctx.host)
            else:
                calls = self._agent.turn(ctx.host, text)
        except LlmError as exc:
            return TurnResult(error=str(exc))
        return TurnResult(denied=ctx.host.denied[denied_before:], message=f"{calls} tool calls")


def make_live_agent(
    policy: str,
    *,
    command: Sequence[str] = (),
    cwd: str | Path | None = None,
    settings: AgentSettings | None = None,
) -> LiveAgent:
    """The agent a scenario case names: a command, the ``llm`` policy (endpoint from ``settings``), or any
    policy by name."""
    if command:
        from .command import CommandAgent

        return CommandAgent(command, cwd=cwd)
    if policy == "llm":
        from pytest_simarena.settings import AgentSettings

        from .llm import LlmConfig

        return LlmLiveAgent(LlmConfig.from_settings(settings or AgentSettings()))
    from pytest_simarena.policies.registry import make_policy

    return PolicyAgent(make_policy(policy))
