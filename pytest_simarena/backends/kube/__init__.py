"""The real-cluster backend (``--simarena-backend=kube``): SimKube or direct replay, official client.

Two modes (docs/real-cluster.md):

- ``simkube``: a Simulation (simkube.io/v1) whose driver replays the step's trace, one at a time per
  cluster (serialized across xdist workers with a file lock);
- ``direct``: the trace's objects, rewritten as SimKube's driver rewrites them, server-side applied into
  ``<prefix>-<ns>`` namespaces; the cluster's own scheduler and controllers act on them.

The ``kubernetes`` client is imported only when a cluster is used: importing this package, its labels,
Simulation body or selection logic never needs it, and the embedded backend never loads it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .client import INSTALL_HINT as INSTALL_HINT
from .client import load_client as load_client

if TYPE_CHECKING:
    from .cluster import KubeCluster


def make_backend(**options: Any) -> KubeCluster:
    """A :class:`KubeCluster` (the registry's factory); options are KubeCluster's keyword arguments."""
    from .cluster import KubeCluster

    return KubeCluster(**options)


def __getattr__(name: str) -> Any:
    if name == "KubeCluster":
        from .cluster import KubeCluster

        return KubeCluster
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["INSTALL_HINT", "KubeCluster", "load_client", "make_backend"]
