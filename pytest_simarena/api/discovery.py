"""Discovery documents: ``/version``, ``/api``, ``/apis`` and the resource list of each group-version.

Built from the live session's one resource table (live/resources.py) plus metrics.k8s.io, so kubectl and
client-go tools (kubectl's RESTMapper, ``kubernetes.dynamic``, kubernetes-mcp-server) find every served
resource and subresource. Legacy (unaggregated) discovery JSON is answered even when the aggregated
form is asked for: clients accept it (kube-api.md §1).
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.live.resources import RESOURCES, Resource

Obj = dict[str, Any]

METRICS_GROUP, METRICS_VERSION = "metrics.k8s.io", "v1beta1"
AUTHORIZATION_GROUP = "authorization.k8s.io"


def version(kubernetes_version: str) -> Obj:
    """``/version``: the Kubernetes version the cluster plays (its kubernetesVersion), marked as embedded."""
    from pytest_simarena.backends.embedded.versions import git_version, release

    major, minor = release(kubernetes_version).split(".")
    return {
        "major": major,
        "minor": minor,
        "gitVersion": f"{git_version(kubernetes_version)}-simarena",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-01-01T00:00:00Z",
        "goVersion": "go1.23.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def _groups() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for res in RESOURCES:
        if res.group and res.version not in found.setdefault(res.group, []):
            found[res.group].append(res.version)
    found[METRICS_GROUP] = [METRICS_VERSION]
    found[AUTHORIZATION_GROUP] = ["v1"]
    return found


def core_versions(server_address: str) -> Obj:
    """``/api``."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    }


def group_list() -> Obj:
    """``/apis``."""
    groups = []
    for group, versions in _groups().items():
        listed = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        groups.append({"name": group, "versions": listed, "preferredVersion": listed[0]})
    return {"kind": "APIGroupList", "apiVersion": "v1", "groups": groups}


def group(name: str) -> Obj | None:
    """``/apis/<group>``, or None for a group not served."""
    for found in group_list()["groups"]:
        if found["name"] == name:
            return {"kind": "APIGroup", "apiVersion": "v1", **found}
    return None


def _entry(res: Resource) -> list[Obj]:
    main = {
        "name": res.name,
        "singularName": res.singular,
        "namespaced": res.namespaced,
        "kind": res.kind,
        "verbs": list(res.verbs),
    }
    if res.short_names:
        main["shortNames"] = list(res.short_names)
    if res.name in ("pods", "deployments", "replicasets", "statefulsets", "jobs", "cronjobs"):
        main["categories"] = ["all"]
    out = [main]
    for sub in res.subresources:
        entry: Obj = {"name": f"{res.name}/{sub}", "singularName": "", "namespaced": res.namespaced}
        if sub == "scale":
            entry.update(group="autoscaling", version="v1", kind="Scale", verbs=["get", "patch", "update"])
        elif sub == "log":
            entry.update(kind="Pod", verbs=["get"])
        else:
            entry.update(kind=res.kind, verbs=["get"])
        out.append(entry)
    return out


def resource_list(group_version: str) -> Obj | None:
    """``/api/v1`` or ``/apis/<group>/<version>``, or None for a group-version not served."""
    if group_version == f"{METRICS_GROUP}/{METRICS_VERSION}":
        resources = [
            {
                "name": name,
                "singularName": "",
                "namespaced": namespaced,
                "kind": kind,
                "verbs": ["get", "list"],
            }
            for name, kind, namespaced in (("nodes", "NodeMetrics", False), ("pods", "PodMetrics", True))
        ]
    elif group_version == f"{AUTHORIZATION_GROUP}/v1":
        resources = [
            {
                "name": "selfsubjectaccessreviews",
                "singularName": "selfsubjectaccessreview",
                "namespaced": False,
                "kind": "SelfSubjectAccessReview",
                "verbs": ["create"],
            }
        ]
    else:
        served = [r for r in RESOURCES if r.group_version == group_version]
        if not served:
            return None
        resources = [entry for res in served for entry in _entry(res)]
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }
