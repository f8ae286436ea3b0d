"""What ``kubectl`` shows, derived from API-shaped objects; shared by the embedded and real-cluster backends.

Every function here is pure: it reads camelCase dicts (as ``kubectl get -o json`` prints them) and never
changes them. The rules are Kubernetes' own, cited by section of ``shared/notes/kubernetes.md``:

- :func:`pod_status`, :func:`pod_ready`, :func:`pod_restarts`: kubectl's ``printPod`` (§5.3).
- :func:`pod_requests`: the scheduler's pod request (containers sum vs init max, sidecars, overhead; §1.1);
  :func:`cpu_of`/:func:`memory_of` memoize the quantity parsing it needs.
- :func:`summarize`: one :class:`WorkloadSummary` per top-level workload (Deployment, StatefulSet,
  CronJob, stand-alone ReplicaSet or Job, bare Pod), walking ``ownerReferences``.
- :func:`node_usage`: allocatable vs requested per node (§1.1 node side, §7.3).
- ``render_*``: the text tables of ``kubectl get deploy,pods``, ``kubectl get events`` and a node table.

The package splits by job: ``access`` (shared readers), ``pods``, ``resources``, ``workloads``, ``events``
and ``tables``; every public name is re-exported here.
"""

from __future__ import annotations

from .access import (
    NODE_LOST_REASON as NODE_LOST_REASON,
)
from .access import (
    ORIGINAL_NAMESPACE_ANNOTATION as ORIGINAL_NAMESPACE_ANNOTATION,
)
from .access import (
    TERMINAL_PHASES as TERMINAL_PHASES,
)
from .access import (
    original_namespace as original_namespace,
)
from .access import (
    parse_time as parse_time,
)
from .columns import (
    human_duration as human_duration,
)
from .events import (
    event_view as event_view,
)
from .events import (
    sorted_events as sorted_events,
)
from .pods import (
    explain_exit_code as explain_exit_code,
)
from .pods import (
    pod_crash_looping as pod_crash_looping,
)
from .pods import (
    pod_is_ready as pod_is_ready,
)
from .pods import (
    pod_oom_killed as pod_oom_killed,
)
from .pods import (
    pod_ready as pod_ready,
)
from .pods import (
    pod_restarts as pod_restarts,
)
from .pods import (
    pod_status as pod_status,
)
from .pods import (
    pod_view as pod_view,
)
from .resources import (
    NodeUsage as NodeUsage,
)
from .resources import (
    cpu_of as cpu_of,
)
from .resources import (
    memory_of as memory_of,
)
from .resources import (
    node_usage as node_usage,
)
from .resources import (
    pod_requests as pod_requests,
)
from .tables import (
    format_table as format_table,
)
from .tables import (
    render_events as render_events,
)
from .tables import (
    render_nodes as render_nodes,
)
from .tables import (
    render_workloads as render_workloads,
)
from .workloads import (
    WorkloadSummary as WorkloadSummary,
)
from .workloads import (
    pods_by_workload as pods_by_workload,
)
from .workloads import (
    summarize as summarize,
)
from .workloads import (
    workload_view as workload_view,
)

__all__ = [
    "NODE_LOST_REASON",
    "ORIGINAL_NAMESPACE_ANNOTATION",
    "TERMINAL_PHASES",
    "NodeUsage",
    "WorkloadSummary",
    "cpu_of",
    "event_view",
    "explain_exit_code",
    "format_table",
    "human_duration",
    "memory_of",
    "node_usage",
    "original_namespace",
    "parse_time",
    "pod_crash_looping",
    "pod_is_ready",
    "pod_oom_killed",
    "pod_ready",
    "pod_requests",
    "pod_restarts",
    "pod_status",
    "pod_view",
    "pods_by_workload",
    "render_events",
    "render_nodes",
    "render_workloads",
    "sorted_events",
    "summarize",
    "workload_view",
]
