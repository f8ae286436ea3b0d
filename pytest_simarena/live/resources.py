"""The resources a live session serves: name, kind, group/version, scope, verbs and short names.

One table, read by the session (what a name means), the API server's routing and its discovery documents
(what kubectl and client-go may ask for). Kinds the embedded cluster simulates are writable; nodes and
events are read-only (the simulator owns them).
"""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ApiError

READ_VERBS = ("get", "list", "watch")
WRITE_VERBS = ("create", "delete", "patch", "update")
ALL_VERBS = (*WRITE_VERBS, *READ_VERBS)


@dataclass(frozen=True, slots=True)
class Resource:
    """One served resource, as an APIResource of discovery describes it."""

    name: str
    kind: str
    group: str
    version: str
    namespaced: bool = True
    verbs: tuple[str, ...] = ALL_VERBS
    short_names: tuple[str, ...] = ()
    singular: str = ""
    subresources: tuple[str, ...] = ()
    # Stored and served but not simulated (configuration the simulator has no behaviour for).
    inert: bool = False

    @property
    def group_version(self) -> str:
        """``v1`` or ``apps/v1``."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def api_version(self) -> str:
        return self.group_version

    def allows(self, verb: str) -> bool:
        return verb in self.verbs


RESOURCES: tuple[Resource, ...] = (
    Resource("pods", "Pod", "", "v1", short_names=("po",), singular="pod", subresources=("log",)),
    Resource("events", "Event", "", "v1", verbs=READ_VERBS, short_names=("ev",), singular="event"),
    Resource(
        "namespaces",
        "Namespace",
        "",
        "v1",
        namespaced=False,
        short_names=("ns",),
        singular="namespace",
    ),
    Resource(
        "nodes", "Node", "", "v1", namespaced=False, verbs=READ_VERBS, short_names=("no",), singular="node"
    ),
    Resource(
        "deployments",
        "Deployment",
        "apps",
        "v1",
        short_names=("deploy",),
        singular="deployment",
        subresources=("scale", "status"),
    ),
    Resource(
        "replicasets",
        "ReplicaSet",
        "apps",
        "v1",
        short_names=("rs",),
        singular="replicaset",
        subresources=("scale", "status"),
    ),
    Resource(
        "statefulsets",
        "StatefulSet",
        "apps",
        "v1",
        short_names=("sts",),
        singular="statefulset",
        subresources=("scale", "status"),
    ),
    Resource("jobs", "Job", "batch", "v1", singular="job", subresources=("status",)),
    Resource(
        "priorityclasses",
        "PriorityClass",
        "scheduling.k8s.io",
        "v1",
        namespaced=False,
        short_names=("pc",),
        singular="priorityclass",
    ),
    Resource("cronjobs", "CronJob", "batch", "v1", short_names=("cj",), singular="cronjob"),
    # Admission policy the embedded cluster enforces on pod creation (backends/embedded/admission.py).
    Resource(
        "resourcequotas",
        "ResourceQuota",
        "",
        "v1",
        short_names=("quota",),
        singular="resourcequota",
        subresources=("status",),
    ),
    Resource("limitranges", "LimitRange", "", "v1", short_names=("limits",), singular="limitrange"),
    # Not simulated, so none can exist: listed (empty) for tools that look everywhere.
    Resource(
        "daemonsets", "DaemonSet", "apps", "v1", verbs=READ_VERBS, short_names=("ds",), singular="daemonset"
    ),
    # Inert: stored, listed, watched and deleted, without any effect on the simulation.
    *(
        Resource(name, kind, group, version, short_names=short, singular=kind.lower(), inert=True)
        for name, kind, group, version, short in (
            ("services", "Service", "", "v1", ("svc",)),
            ("configmaps", "ConfigMap", "", "v1", ("cm",)),
            ("secrets", "Secret", "", "v1", ()),
            ("serviceaccounts", "ServiceAccount", "", "v1", ("sa",)),
            ("persistentvolumeclaims", "PersistentVolumeClaim", "", "v1", ("pvc",)),
            ("poddisruptionbudgets", "PodDisruptionBudget", "policy", "v1", ("pdb",)),
            ("leases", "Lease", "coordination.k8s.io", "v1", ()),
        )
    ),
)

BY_NAME = {r.name: r for r in RESOURCES}
BY_KIND = {r.kind: r for r in RESOURCES}
# Kinds whose writes the safeguards judge: they carry a pod template (and most have replicas).
TEMPLATE_KINDS = ("Deployment", "ReplicaSet", "StatefulSet", "Job", "CronJob")


def resource(name: str) -> Resource:
    """The resource called ``name`` (plural, singular, short name or kind, any case); 404 Status otherwise."""
    key = name.strip().lower()
    for res in RESOURCES:
        if key in (res.name, res.singular, res.kind.lower(), *res.short_names):
            return res
    served = ", ".join(r.name for r in RESOURCES)
    raise ApiError(404, f'the server does not serve resource "{name}" (served: {served})')


def of_kind(kind: str) -> Resource:
    """The resource of ``kind`` (``Deployment`` -> deployments)."""
    found = BY_KIND.get(kind)
    if found is None:
        return resource(kind)
    return found
