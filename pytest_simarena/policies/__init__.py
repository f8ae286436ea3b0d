"""Policies choose an action at each step: built-ins, the protocol, the registry, the action space."""

from __future__ import annotations

from .protocol import Policy as Policy
from .registry import BUILTIN_POLICIES as BUILTIN_POLICIES
from .registry import available_policies as available_policies
from .registry import make_policy as make_policy
from .space import DISCRETE_ACTIONS as DISCRETE_ACTIONS
from .space import action_for as action_for

__all__ = [
    "BUILTIN_POLICIES",
    "DISCRETE_ACTIONS",
    "Policy",
    "action_for",
    "available_policies",
    "make_policy",
]
