"""The embedded backend: a deterministic Kubernetes simulation on a simulated clock (issue 4)."""

from __future__ import annotations

from .cluster import EmbeddedCluster as EmbeddedCluster
from .lifecycle import LifecycleParams as LifecycleParams
from .pods import InvalidObject as InvalidObject
from .spec import ClusterSpec as ClusterSpec
from .spec import NodeGroup as NodeGroup

__all__ = ["ClusterSpec", "EmbeddedCluster", "InvalidObject", "LifecycleParams", "NodeGroup"]
