"""Policies by name: built-ins, ``module:attribute`` import paths, ``simarena.policies`` entry points.

>>> make_policy("heuristic").name
'heuristic'

A user policy is any object with ``reset(*, seed)`` and ``act(observation) -> Action``; a class is
instantiated without arguments (or with the options given); a plain function ``f(observation) -> Action``
is wrapped. Unknown names raise :class:`~pytest_simarena.errors.UnknownNameError` with a did-you-mean.
"""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable, Sequence
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError, UnknownNameError
from pytest_simarena.loading import load_object as load_object

from .bandit import BanditPolicy
from .builtin import AlwaysPolicy, HeuristicPolicy, NoopPolicy, RandomPolicy, ScaleReplicasPolicy
from .protocol import Policy
from .vpa import VpaPolicy

if TYPE_CHECKING:
    from pytest_simarena.actions import Action
    from pytest_simarena.episode.observation import Observation

ENTRY_POINT_GROUP = "simarena.policies"

BUILTIN_POLICIES: dict[str, Callable[..., Policy]] = {
    "noop": NoopPolicy,
    "random": RandomPolicy,
    "always_bump_cpu": lambda **kw: AlwaysPolicy("bump_cpu", name="always_bump_cpu", **kw),
    "always_bump_memory": lambda **kw: AlwaysPolicy("bump_memory", name="always_bump_memory", **kw),
    "scale_replicas": ScaleReplicasPolicy,
    "heuristic": HeuristicPolicy,
    "vpa": VpaPolicy,
}
# Policies that learn while they act (their runs differ with what they met before): named like the
# built-ins, but kept out of ``all`` and the scenario suite's expectations.
LEARNING_POLICIES: dict[str, Callable[..., Policy]] = {
    "bandit": BanditPolicy,
}
# Trained agents: ``rl:DIR`` (a `simarena train` folder) or ``rl:NAME`` (a shipped baseline).
RL_PREFIX = "rl:"


def _rl_names() -> list[str]:
    from pytest_simarena.rl.baselines import shipped_baselines

    return [f"{RL_PREFIX}{name}" for name in shipped_baselines()]


# Agents that act on a running cluster through tools (pytest_simarena.agents), not by returning an
# Action per observation: they run in live mode only, so make_policy never builds them.
LIVE_POLICIES = ("llm",)


class FunctionPolicy:
    """Wraps a plain ``f(observation) -> Action`` as a policy (its name is the import path)."""

    def __init__(self, fn: Callable[[Observation], Action], name: str) -> None:
        self._fn = fn
        self.name = name

    def reset(self, *, seed: int | None = None) -> None:
        pass

    def act(self, observation: Observation) -> Action:
        return self._fn(observation)


def check_policy_name(name: str, *, search: Sequence[Path] = ()) -> None:
    """Check that ``name`` names a policy without building it (its constructor may need options):
    a built-in, ``rl:DIR``/``rl:NAME``, an importable ``module:attribute`` or an entry point."""
    if name in BUILTIN_POLICIES or name in LEARNING_POLICIES:
        return
    if name.startswith(RL_PREFIX):
        from pytest_simarena.rl.baselines import resolve_policy_dir

        resolve_policy_dir(name)
    elif ":" in name:
        load_object(name, what="policy", search=search)
    elif name not in available_policies():
        raise UnknownNameError("policy", name, available_policies())


def _entry_points() -> dict[str, Any]:
    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def available_policies() -> list[str]:
    """Built-in names plus installed entry points, sorted."""
    return sorted({*BUILTIN_POLICIES, *LEARNING_POLICIES, *LIVE_POLICIES, *_entry_points(), *_rl_names()})


def _instantiate(obj: Any, name: str, options: dict[str, Any]) -> Policy:
    policy: Any
    if inspect.isclass(obj):
        try:
            policy = obj(**options)
        except TypeError as exc:
            raise SimArenaError(
                f"policy {name!r}: cannot create it with options {sorted(options)} ({exc})"
            ) from None
    elif callable(obj) and not hasattr(obj, "act"):
        if options:
            raise SimArenaError(f"policy {name!r} is a function and takes no options (got {sorted(options)})")
        return FunctionPolicy(obj, name)
    else:
        policy = obj
    if not callable(getattr(policy, "act", None)):
        raise SimArenaError(
            f"policy {name!r} ({type(policy).__name__}) is not a policy: "
            "it needs act(observation) (and optionally reset(*, seed))"
        )
    if not callable(getattr(policy, "reset", None)):
        # reset is optional: a stateless agent only needs act().
        return FunctionPolicy(policy.act, name)
    if not isinstance(getattr(policy, "name", None), str):
        with contextlib.suppress(AttributeError):
            policy.name = name
    checked: Policy = policy
    return checked


def make_policy(name: str | Policy, **options: Any) -> Policy:
    """The policy called ``name`` (built-in, entry point, or ``module:attribute``), built with ``options``."""
    if not isinstance(name, str):
        return name
    if name in BUILTIN_POLICIES or name in LEARNING_POLICIES:
        try:
            return {**BUILTIN_POLICIES, **LEARNING_POLICIES}[name](**options)
        except TypeError as exc:
            raise SimArenaError(f"policy {name!r}: bad options {sorted(options)} ({exc})") from None
    if name in LIVE_POLICIES:
        raise SimArenaError(
            f"policy {name!r} acts on a live cluster through tools: run it in live mode "
            "(scenario 'mode: live', or pytest_simarena.agents.live_episode.run_live_episode)"
        )
    if name.startswith(RL_PREFIX):
        from pytest_simarena.rl.policy import RLPolicy

        if options:
            raise SimArenaError(
                f"policy {name!r} is a trained agent and takes no options (got {sorted(options)})"
            )
        return RLPolicy(name)
    if ":" in name:
        return _instantiate(load_object(name, what="policy"), name, options)
    eps = _entry_points()
    if name in eps:
        return _instantiate(eps[name].load(), name, options)
    raise UnknownNameError("policy", name, available_policies())
