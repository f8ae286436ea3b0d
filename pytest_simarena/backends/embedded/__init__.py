"""The embedded backend: a deterministic Kubernetes simulation on a simulated clock (issue 4).

Modules: clock (time, RNG), spec (nodes), scheduler, controllers/deployment/statefulset/jobs, pods and
lifecycle (kubelet), events, replay (SimKube driver), cluster (EmbeddedCluster composing them).
"""

from __future__ import annotations

from .cluster import EmbeddedCluster as EmbeddedCluster
from .lifecycle import LifecycleParams as LifecycleParams
from .pods import InvalidObject as InvalidObject
from .pods import UnsupportedKind as UnsupportedKind
from .replay import replay_span as replay_span
from .spec import ClusterSpec as ClusterSpec
from .spec import NodeGroup as NodeGroup

__all__ = [
    "ClusterSpec",
    "EmbeddedCluster",
    "InvalidObject",
    "LifecycleParams",
    "NodeGroup",
    "UnsupportedKind",
    "replay_span",
]
