"""Unknown-field detection for request bodies, as the apiserver's field validation does.

``fieldValidation=Strict`` (what kubectl sends) turns an unknown field into a 400 ``strict decoding error:
unknown field "spec.template.spec.containers[0].resourcez"``; ``Warn`` (the default) answers with a
``Warning`` header; ``Ignore`` says nothing. The known fields are the v1.32 API types' JSON names for the
parts an agent edits: the object envelope, ObjectMeta, Deployment/ReplicaSet/StatefulSet specs, the pod
template, PodSpec, Container and ResourceRequirements. Other parts are not checked (no false alarms).
"""

from __future__ import annotations

from typing import Any

from pytest_simarena.live.errors import bad_request

Obj = dict[str, Any]

TOP = {"apiVersion", "kind", "metadata", "spec", "status"}
# Kinds whose fields sit beside metadata instead of under spec (scheduling/v1 types.go PriorityClass).
TOP_OF_KIND = {"PriorityClass": {"value", "globalDefault", "description", "preemptionPolicy"}}
OBJECT_META = {
    "annotations",
    "creationTimestamp",
    "deletionGracePeriodSeconds",
    "deletionTimestamp",
    "finalizers",
    "generateName",
    "generation",
    "labels",
    "managedFields",
    "name",
    "namespace",
    "ownerReferences",
    "resourceVersion",
    "selfLink",
    "uid",
}
WORKLOAD_SPEC = {
    "Deployment": {
        "minReadySeconds",
        "paused",
        "progressDeadlineSeconds",
        "replicas",
        "revisionHistoryLimit",
        "selector",
        "strategy",
        "template",
    },
    "ReplicaSet": {"minReadySeconds", "replicas", "selector", "template"},
    "StatefulSet": {
        "minReadySeconds",
        "ordinals",
        "persistentVolumeClaimRetentionPolicy",
        "podManagementPolicy",
        "replicas",
        "revisionHistoryLimit",
        "selector",
        "serviceName",
        "template",
        "updateStrategy",
        "volumeClaimTemplates",
    },
}
TEMPLATE = {"metadata", "spec"}
POD_SPEC = {
    "activeDeadlineSeconds",
    "affinity",
    "automountServiceAccountToken",
    "containers",
    "dnsConfig",
    "dnsPolicy",
    "enableServiceLinks",
    "ephemeralContainers",
    "hostAliases",
    "hostIPC",
    "hostNetwork",
    "hostPID",
    "hostUsers",
    "hostname",
    "imagePullSecrets",
    "initContainers",
    "nodeName",
    "nodeSelector",
    "os",
    "overhead",
    "preemptionPolicy",
    "priority",
    "priorityClassName",
    "readinessGates",
    "resourceClaims",
    "resources",
    "restartPolicy",
    "runtimeClassName",
    "schedulerName",
    "schedulingGates",
    "securityContext",
    "serviceAccount",
    "serviceAccountName",
    "setHostnameAsFQDN",
    "shareProcessNamespace",
    "subdomain",
    "terminationGracePeriodSeconds",
    "tolerations",
    "topologySpreadConstraints",
    "volumes",
}
CONTAINER = {
    "args",
    "command",
    "env",
    "envFrom",
    "image",
    "imagePullPolicy",
    "lifecycle",
    "livenessProbe",
    "name",
    "ports",
    "readinessProbe",
    "resizePolicy",
    "resources",
    "restartPolicy",
    "securityContext",
    "startupProbe",
    "stdin",
    "stdinOnce",
    "terminationMessagePath",
    "terminationMessagePolicy",
    "tty",
    "volumeDevices",
    "volumeMounts",
    "workingDir",
}
RESOURCES = {"claims", "limits", "requests"}


def _unknown(obj: Any, known: set[str], path: str, found: list[str]) -> None:
    if not isinstance(obj, dict):
        return
    for key in obj:
        if key not in known:
            found.append(f"{path}.{key}" if path else str(key))


def _pod_spec(spec: Any, path: str, found: list[str]) -> None:
    _unknown(spec, POD_SPEC, path, found)
    if not isinstance(spec, dict):
        return
    for group in ("initContainers", "containers"):
        items = spec.get(group)
        for i, container in enumerate(items if isinstance(items, list) else []):
            where = f"{path}.{group}[{i}]"
            _unknown(container, CONTAINER, where, found)
            if isinstance(container, dict):
                _unknown(container.get("resources"), RESOURCES, f"{where}.resources", found)


def unknown_fields(body: Obj) -> list[str]:
    """The field paths of ``body`` that its type does not have (only in the checked parts)."""
    found: list[str] = []
    kind = body.get("kind")
    _unknown(body, TOP | TOP_OF_KIND.get(kind, set()) if isinstance(kind, str) else TOP, "", found)
    _unknown(body.get("metadata"), OBJECT_META, "metadata", found)
    spec = body.get("spec")
    if kind == "Pod":
        _pod_spec(spec, "spec", found)
    elif isinstance(kind, str) and kind in WORKLOAD_SPEC:
        _unknown(spec, WORKLOAD_SPEC[kind], "spec", found)
        template = spec.get("template") if isinstance(spec, dict) else None
        _unknown(template, TEMPLATE, "spec.template", found)
        if isinstance(template, dict):
            _unknown(template.get("metadata"), OBJECT_META, "spec.template.metadata", found)
            _pod_spec(template.get("spec"), "spec.template.spec", found)
    return found


def check_fields(body: Obj, *, strict: str = "Warn") -> list[str]:
    """Warnings for unknown fields (``Warn``), a 400 Status (``Strict``) or nothing (``Ignore``)."""
    if strict == "Ignore":
        return []
    found = unknown_fields(body)
    if not found:
        return []
    if strict == "Strict":
        listed = ", ".join(f'unknown field "{f}"' for f in found)
        raise bad_request(f"strict decoding error: {listed}")
    return [f'unknown field "{f}"' for f in found]
