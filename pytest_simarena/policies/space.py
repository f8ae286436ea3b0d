"""The discrete action space, defined once: shared by policies, the Gymnasium env and the logs.

Index  Action type      What it does to the workload (default steps from :mod:`pytest_simarena.actions`)
=====  ===============  ======================================================================
0      noop             nothing
1      bump_cpu         every container's cpu request +500m (limits follow when needed)
2      reduce_cpu       every container's cpu request -500m
3      bump_memory      every container's memory request +256Mi
4      reduce_memory    every container's memory request -256Mi
5      scale_up         replicas +1
6      scale_down       replicas -1
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pytest_simarena.action_model import ACTION_TYPES
from pytest_simarena.errors import ActionError

if TYPE_CHECKING:
    from pytest_simarena.actions import Action

# The action types that need no parameter, in ACTION_TYPES order (the indices in the table above);
# set_resources and set_replicas need values, so they stay outside the discrete space.
_NEEDS_VALUES = ("set_resources", "set_replicas")
DISCRETE_ACTIONS: tuple[str, ...] = tuple(t for t in ACTION_TYPES if t not in _NEEDS_VALUES)
N_ACTIONS = len(DISCRETE_ACTIONS)
# The same seven actions in the seed team's order (github bobg0/sim-arena env/simkube_gymenv.py).
SEED_ORDER = ("noop", "bump_cpu", "bump_memory", "scale_up", "reduce_cpu", "reduce_memory", "scale_down")


def action_for(
    index: int,
    workload: str,
    *,
    namespace: str | None = None,
    kind: str = "Deployment",
    container: str | None = None,
) -> Action:
    """The :class:`~pytest_simarena.actions.Action` for discrete ``index`` applied to ``workload``.

    >>> action_for(1, "web").type
    'bump_cpu'
    """
    from pytest_simarena.actions import Action

    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < N_ACTIONS:
        # numpy integers are accepted by the int() conversion below, so try that before failing.
        try:
            as_int = int(index)
        except (TypeError, ValueError):
            as_int = -1
        if as_int != index or not 0 <= as_int < N_ACTIONS:
            raise ActionError(f"discrete action index={index!r} is out of range: expected 0..{N_ACTIONS - 1}")
        index = as_int
    return Action(DISCRETE_ACTIONS[index], workload, namespace=namespace, kind=kind, container=container)


def index_of(action_type: str) -> int | None:
    """The discrete index of ``action_type``, or None for actions outside the space (set_resources...)."""
    try:
        return DISCRETE_ACTIONS.index(action_type)
    except ValueError:
        return None
