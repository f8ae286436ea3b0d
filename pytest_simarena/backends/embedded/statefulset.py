"""StatefulSet controller: stable pod names ``<sts>-<ordinal>``, OrderedReady or Parallel management.

OrderedReady (the default podManagementPolicy) creates pod N+1 only once pods 0..N are Running and Ready,
and removes pods highest ordinal first, one at a time [mem: statefulset/stateful_set_control.go]; so a
StatefulSet whose pod 0 cannot be scheduled stays at one Pending pod. RollingUpdate replaces pods of an
older revision from the highest ordinal down, one at a time, once every pod is healthy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .controllers import Context, Workload, _int, spec_count, template_hash
from .pods import InvalidObject

if TYPE_CHECKING:
    from .pods import Pod, PodTemplate

Obj = dict[str, Any]


class StatefulSet(Workload):
    kind = "StatefulSet"
    api_version = "apps/v1"
    component = "statefulset-controller"
    generate_name = False

    def __init__(
        self, ctx: Context, obj: Obj, *, owner: Workload | None = None, root: tuple[str, ...] | None = None
    ) -> None:
        self.pods: dict[int, Pod] = {}
        self.pod_revision: dict[str, str] = {}
        self.tmpl: PodTemplate | None = None
        super().__init__(ctx, obj, owner=owner, root=root)

    def set_object(self, obj: Obj) -> None:
        super().set_object(obj)
        spec = self.spec
        self.replicas = spec_count(obj, "replicas", 1)
        self.ordered = (spec.get("podManagementPolicy") or "OrderedReady") == "OrderedReady"
        strategy = spec.get("updateStrategy") or {}
        self.rolling = (strategy.get("type") or "RollingUpdate") == "RollingUpdate"
        self.partition = _int((strategy.get("rollingUpdate") or {}).get("partition"), 0)
        self.min_ready = _int(spec.get("minReadySeconds"), 0)
        template = spec.get("template") or {}
        self.tmpl = self.ctx.template(self, template, "spec.template.spec")
        self.revision = f"{self.name}-{template_hash(template, key=self.tmpl.content_key)}"

    def api_spec(self) -> Obj:
        return {
            **self.spec,
            "replicas": self.replicas,
            "podManagementPolicy": "OrderedReady" if self.ordered else "Parallel",
        }

    def children(self) -> list[Any]:
        return list(self.pods.values())

    @staticmethod
    def _healthy(pod: Pod) -> bool:
        return pod.phase == "Running" and pod.ready and not pod.deleted

    def _create(self, ordinal: int) -> bool:
        """Create pod ``ordinal``; False when admission refused it (FailedCreate, rate-limited requeue)."""
        assert self.tmpl is not None
        name = f"{self.name}-{ordinal}"
        labels = {
            **self.tmpl.labels,
            "controller-revision-hash": self.revision,
            "statefulset.kubernetes.io/pod-name": name,
            "apps.kubernetes.io/pod-index": str(ordinal),
        }
        try:
            pod = self.ctx.new_pod(self, name, self.tmpl, labels, dict(self.tmpl.template_annotations))
        except InvalidObject as exc:
            # stateful_pod_control.go recordPodEvent: "%s Pod %s in StatefulSet %s failed error: %s"; the
            # StatefulSet names its pods, so the error names the pod itself.
            self.event(
                "Warning",
                "FailedCreate",
                f"create Pod {name} in StatefulSet {self.name} failed error: {exc}",
            )
            self.requeue_rate_limited()
            return False
        self.sync_errors = 0
        self.pods[ordinal] = pod
        self.pod_revision[pod.uid] = self.revision
        self.event("Normal", "SuccessfulCreate", f"create Pod {name} in StatefulSet {self.name} successful")
        return True

    def _delete(self, ordinal: int) -> None:
        pod = self.pods.pop(ordinal)
        self.pod_revision.pop(pod.uid, None)
        self.ctx.delete_pod(pod)
        self.event(
            "Normal", "SuccessfulDelete", f"delete Pod {pod.name} in StatefulSet {self.name} successful"
        )

    def reconcile(self) -> None:
        if self.deleted or self.tmpl is None:
            return
        for ordinal, existing in list(self.pods.items()):
            if existing.deleted:
                del self.pods[ordinal]
        # Replicas 0..N-1: (re)create in order; terminal pods are replaced.
        for ordinal in range(self.replicas):
            pod: Pod | None = self.pods.get(ordinal)
            if pod is not None and pod.phase in ("Failed", "Succeeded"):
                self._delete(ordinal)
                pod = None
            if pod is None:
                if not self._create(ordinal) or self.ordered:
                    return
                continue
            if self.ordered and not self._healthy(pod):
                return  # OrderedReady: wait for this pod to be Running and Ready
        # Scale down, highest ordinal first.
        condemned = sorted((o for o in self.pods if o >= self.replicas), reverse=True)
        for ordinal in condemned:
            if self.ordered and not all(self._healthy(p) for o, p in self.pods.items() if o != ordinal):
                return
            self._delete(ordinal)
            if self.ordered:
                return
        # RollingUpdate: one pod of an older revision at a time, from the highest ordinal.
        if self.rolling and all(self._healthy(p) for p in self.pods.values()):
            for ordinal in sorted(self.pods, reverse=True):
                if ordinal < self.partition:
                    break
                current = self.pods[ordinal]
                if self.pod_revision.get(current.uid) != self.revision:
                    self._delete(ordinal)
                    self.ctx.dirty(self)
                    return

    def status(self) -> Obj:
        pods = [p for p in self.pods.values() if not p.deleted]
        replicas = len(pods)
        ready = sum(1 for p in pods if p.ready)
        now = self.ctx.clock.now
        available = sum(
            1 for p in pods if p.ready and p.ready_since is not None and p.ready_since + self.min_ready <= now
        )
        updated = sum(1 for p in pods if self.pod_revision.get(p.uid) == self.revision)
        status: Obj = {
            "observedGeneration": self.generation,
            "replicas": replicas,
            "currentRevision": self.revision,
            "updateRevision": self.revision,
            "collisionCount": 0,
        }
        if ready:
            status["readyReplicas"] = ready
        if updated:
            status["currentReplicas"] = updated
            status["updatedReplicas"] = updated
        if available:
            status["availableReplicas"] = available
        return status
