"""Pod admission: the kube-apiserver plugins between a pod create request and the stored pod.

Every pod the cluster creates (a controller's or a bare one) passes :meth:`Admission.admit`, in the
apiserver's order (pkg/kubeapiserver/options/plugins.go AllOrderedPlugins; handlers/create.go runs every
mutating plugin, then the registry's BeforeCreate generates the name and validates the object, then the
validating plugins run, rest/create.go AdmissionToValidateObjectFunc, with the generated name):

1. LimitRanger Admit: defaults from the namespace's LimitRanges (limitrange.py);
2. pod validation of the defaulted pod (``Pod "<name>" is invalid: ...``);
3. LimitRanger Validate: min/max/ratio (limitrange.py);
4. RuntimeClass Validate: ``spec.overhead`` without a RuntimeClass (issue 15 rule 5);
5. ResourceQuota: constraints and usage against the namespace's quotas (quota.py), charged on success.

A refusal raises :class:`Forbidden` (or :class:`~.pods.InvalidObject` for step 2) with the apiserver's
message, ``pods "<name>" is forbidden: <reason>`` (apierrors.NewForbidden).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pytest_simarena.bounded import BoundedDict

from .limitrange import ANNOTATION as ANNOTATION_KEY
from .limitrange import LimitRange, default_pod, violations
from .pods import InvalidObject, shared_template
from .quota import ResourceQuota, check

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from .clock import Clock
    from .pods import Pod, PodTemplate

Obj = dict[str, Any]
POLICY_KINDS = ("LimitRange", "ResourceQuota")
__all__ = ["ANNOTATION_KEY", "POLICY_KINDS", "Admission", "Forbidden", "forbidden_message"]


class Forbidden(InvalidObject):
    """An admission plugin refused the object (HTTP 403), with the apiserver's message."""


class Admission:
    """The namespaces' LimitRanges and ResourceQuotas, and the admission of pods against them."""

    __slots__ = (
        "_clock",
        "_limited",
        "_lr_version",
        "_pods",
        "_refused",
        "_stale",
        "limit_ranges",
        "quotas",
    )

    def __init__(self, clock: Clock, pods: Callable[[str], Iterable[Pod]]) -> None:
        self._clock = clock
        self._pods = pods  # the namespace's pods, for the quota controller's recount
        self.limit_ranges: dict[str, dict[str, LimitRange]] = {}
        self.quotas: dict[str, dict[str, ResourceQuota]] = {}
        self._stale: set[str] = set()  # namespaces whose quotas await the controller's recount
        self._lr_version = 0  # bumped on every LimitRange change (invalidates _limited)
        self._limited: BoundedDict[tuple[int, str], tuple[Any, ...]] = BoundedDict(256)
        # The last quota refusal per namespace: (template, [(quota, its used)], message). A ReplicaSet
        # retries a refused pod every sync with the same template; while no quota and no usage changed
        # (a new ``used`` is a new dict) CheckRequest refuses it with the same message.
        self._refused: dict[str, tuple[PodTemplate, list[tuple[ResourceQuota, Any]], str]] = {}

    # -- objects -------------------------------------------------------------------------------------
    def apply(self, obj: Obj) -> None:
        """Create or replace a LimitRange or ResourceQuota (InvalidObject as the API would refuse it)."""
        kind = obj.get("kind")
        meta = obj["metadata"]
        namespace, name = str(meta.get("namespace") or "default"), str(meta.get("name", ""))
        store: dict[str, Any] = (self.limit_ranges if kind == "LimitRange" else self.quotas).setdefault(
            namespace, {}
        )
        existing = store.get(name)
        uid = existing.uid if existing is not None else self._clock.uid()
        created = existing.created if existing is not None else self._clock.now
        if kind == "LimitRange":
            store[name] = LimitRange(obj, uid=uid, created=created)
            self._lr_version += 1
        else:
            quota = ResourceQuota(obj, uid=uid, created=created)
            quota.recompute(self._pods(namespace))  # the controller syncs a new or changed quota
            store[name] = quota

    def delete(self, kind: str, namespace: str, name: str) -> bool:
        store = (self.limit_ranges if kind == "LimitRange" else self.quotas).get(namespace, {})
        self._lr_version += kind == "LimitRange"
        return store.pop(name, None) is not None

    def objects(self, kind: str, namespaces: Iterable[str] | None = None) -> list[LimitRange | ResourceQuota]:
        """The objects of ``kind`` (in the given namespaces), by namespace then name; quotas up to date."""
        stores = self.limit_ranges if kind == "LimitRange" else self.quotas
        wanted = list(stores) if namespaces is None else [ns for ns in namespaces if ns in stores]
        out: list[LimitRange | ResourceQuota] = []
        for ns in wanted:
            if kind == "ResourceQuota":
                self._sync(ns)
            out.extend(stores[ns][name] for name in sorted(stores[ns]))
        return out

    def namespaces(self) -> list[str]:
        return [
            ns
            for ns in {**self.limit_ranges, **self.quotas}
            if self.limit_ranges.get(ns) or self.quotas.get(ns)
        ]

    def drop_namespace(self, namespace: str) -> None:
        """Forget a namespace's LimitRanges and ResourceQuotas (its namespace was deleted)."""
        self.limit_ranges.pop(namespace, None)
        self.quotas.pop(namespace, None)
        self._refused.pop(namespace, None)
        self._lr_version += 1
        self._stale.discard(namespace)

    def pod_released(self, namespace: str) -> None:
        """A pod was deleted or ended: the quota controller recounts (replenishment)."""
        if self.quotas.get(namespace):
            self._stale.add(namespace)

    def _sync(self, namespace: str) -> None:
        if namespace in self._stale:
            self._stale.discard(namespace)
            pods = list(self._pods(namespace))
            for quota in self.quotas.get(namespace, {}).values():
                quota.recompute(pods)

    # -- admission -----------------------------------------------------------------------------------
    def admit(self, namespace: str, name: str, tmpl: PodTemplate) -> tuple[PodTemplate, str | None]:
        """Admit a pod called ``name`` made from ``tmpl``: (the admitted template, the limit-ranger
        annotation or None). Raises Forbidden / InvalidObject with the apiserver's message."""
        ranges = self.limit_ranges.get(namespace)
        annotation = None
        if ranges:
            key = (id(tmpl), namespace)
            found = self._limited.get(key)
            if (
                found is None
                or found[0] is not tmpl
                or found[1] is not ranges
                or found[2] != self._lr_version
            ):
                ordered = [ranges[k] for k in sorted(ranges)]
                spec, annotation = default_pod(tmpl.spec, ordered)
                admitted = _revalidated(tmpl, spec, name) if spec is not tmpl.spec else tmpl
                problem = violations(admitted.spec, ordered)
                # LimitRanger's outcome depends only on the template and the LimitRanges: kept per template
                self._limited[key] = found = (tmpl, ranges, self._lr_version, admitted, annotation, problem)
            tmpl, annotation, problem = found[3], found[4], found[5]
            if problem is not None:
                raise Forbidden(forbidden_message(name, problem))
        if tmpl.admission_error is not None:
            raise Forbidden(forbidden_message(name, tmpl.admission_error))
        quotas = self.quotas.get(namespace)
        if quotas:
            self._sync(namespace)
            by_name = [quotas[k] for k in sorted(quotas)]
            refused = self._refused.get(namespace)
            if (
                refused is not None
                and refused[0] is tmpl
                and len(refused[1]) == len(by_name)
                and all(q is q2 and q.used is used for q, (q2, used) in zip(by_name, refused[1], strict=True))
            ):
                raise Forbidden(forbidden_message(name, refused[2]))
            problem, updates = check(by_name, tmpl)
            if problem is not None:
                self._refused[namespace] = (tmpl, [(q, q.used) for q in by_name], problem)
                raise Forbidden(forbidden_message(name, problem))
            for quota, used in updates:
                quota.used = used
        return tmpl, annotation


def forbidden_message(name: str, reason: str) -> str:
    """apierrors.NewForbidden for pods: ``pods "<name>" is forbidden: <reason>``."""
    return f'pods "{name}" is forbidden: {reason}'


def _revalidated(tmpl: PodTemplate, spec: Obj, name: str) -> PodTemplate:
    """The defaulted pod, validated again as BeforeCreate does (``Pod "<name>" is invalid: ...``)."""
    template = {
        "metadata": {"labels": dict(tmpl.labels), "annotations": dict(tmpl.template_annotations)},
        "spec": spec,
    }
    try:
        return shared_template(template, field_prefix="spec", kind="Pod", name=name)
    except InvalidObject as exc:
        text = str(exc)
        # apierrors.NewInvalid reads 'Pod "x" is invalid: ...' (kubectl adds the leading "The").
        raise InvalidObject(text.removeprefix("The ")) from None
