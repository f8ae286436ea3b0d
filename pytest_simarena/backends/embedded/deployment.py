"""Deployment controller: a ReplicaSet per pod template, rolling/recreate rollouts, status and conditions.

Rules (kubernetes.md §6): defaults §6.1, fenceposts §6.2, new-RS sizing and old-RS scale-down §6.2-6.3,
status fields §6.4, Available/Progressing conditions and ProgressDeadlineExceeded §6.5; events
ScalingReplicaSet "Scaled up|down replica set %s from %d to %d".
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .controllers import (
    DESIRED,
    MAX_REPLICAS,
    REVISION,
    Context,
    ReplicaSet,
    Workload,
    _int,
    resolve_int_or_percent,
    spec_count,
    template_hash,
)
from .events import scaled_message

if TYPE_CHECKING:
    from .clock import Clock

Obj = dict[str, Any]


class Condition:
    """A Deployment/Job condition with update and transition times."""

    __slots__ = ("last_transition", "last_update", "message", "reason", "status", "type")

    def __init__(self, type_: str, status: str, reason: str, message: str, now: float) -> None:
        self.type = type_
        self.status = status
        self.reason = reason
        self.message = message
        self.last_update = now
        self.last_transition = now

    def to_api(self, clock: Clock, *, probe: bool = False) -> Obj:
        out: Obj = {"type": self.type, "status": self.status}
        if probe:
            out["lastProbeTime"] = clock.timestamp(self.last_update)
        else:
            out["lastUpdateTime"] = clock.timestamp(self.last_update)
        out["lastTransitionTime"] = clock.timestamp(self.last_transition)
        out["reason"] = self.reason
        out["message"] = self.message
        return out


def ensure_condition(
    conditions: list[Condition], type_: str, status: str, reason: str, message: str, now: float
) -> None:
    """set_condition without building a Condition when the current one already has this status/reason."""
    for cur in conditions:
        if cur.type == type_ and cur.status == status and cur.reason == reason:
            return
    set_condition(conditions, Condition(type_, status, reason, message, now))


def set_condition(conditions: list[Condition], cond: Condition) -> None:
    """SetDeploymentCondition: same status and reason -> unchanged; same status keeps lastTransitionTime."""
    for i, cur in enumerate(conditions):
        if cur.type != cond.type:
            continue
        if cur.status == cond.status and cur.reason == cond.reason:
            return
        if cur.status == cond.status:
            cond.last_transition = cur.last_transition
        del conditions[i]
        break
    conditions.append(cond)


class Deployment(Workload):
    """Deployment controller: ReplicaSets per template, rolling/recreate rollouts, status and conditions."""

    kind = "Deployment"
    api_version = "apps/v1"
    component = "deployment-controller"

    def __init__(
        self, ctx: Context, obj: Obj, *, owner: Workload | None = None, root: tuple[str, ...] | None = None
    ) -> None:
        self.rss: list[ReplicaSet] = []
        self.conditions: list[Condition] = []
        self.prev = (0, 0, 0, 0)  # replicas, updated, ready, available of the last status
        self.observed = 0
        self._deadline_check: float | None = None
        super().__init__(ctx, obj, owner=owner, root=root)

    def set_object(self, obj: Obj) -> None:
        super().set_object(obj)
        spec = self.spec
        # Defaults (kubernetes.md §6.1).
        self.replicas = spec_count(obj, "replicas", 1)
        strategy = spec.get("strategy") or {}
        self.strategy = str(strategy.get("type") or "RollingUpdate")
        rolling = strategy.get("rollingUpdate") or {}
        self.max_surge_raw = rolling.get("maxSurge", "25%")
        self.max_unavailable_raw = rolling.get("maxUnavailable", "25%")
        self.deadline = _int(spec.get("progressDeadlineSeconds"), 600)
        self.min_ready = _int(spec.get("minReadySeconds"), 0)
        self.history_limit = _int(spec.get("revisionHistoryLimit"), 10)
        self.paused = bool(spec.get("paused"))
        self._check_selector_shape()
        template = spec.get("template") or {}
        # Validate now: an invalid template makes the whole Deployment invalid (kubernetes.md §2.3).
        self.tmpl = self.ctx.template(self, template, "spec.template.spec")
        restart = (template.get("spec") or {}).get("restartPolicy", "Always")
        if restart != "Always":
            from .pods import InvalidObject

            raise InvalidObject(
                f'The Deployment "{self.name}" is invalid: spec.template.spec.restartPolicy: '
                f'Unsupported value: "{restart}": supported values: "Always"'
            )
        self.pod_hash = template_hash(template, key=self.tmpl.content_key)
        self._fenceposts = self._resolve_fenceposts()

    def _check_selector_shape(self) -> None:
        """spec.selector decodes as a LabelSelector (matchLabels map[string]string) or the apply fails.

        Found by fuzzing: a string selector got past the apply and broke the ReplicaSet build later.
        """
        from .pods import InvalidObject

        selector = self.spec.get("selector")
        labels = selector.get("matchLabels") if isinstance(selector, dict) else None
        if selector is None or (isinstance(selector, dict) and labels is None):
            return
        where, value, want = "spec.selector", selector, "v1.LabelSelector"
        if isinstance(selector, dict):
            where, value, want = "spec.selector.matchLabels", labels, "map[string]string"
            if isinstance(labels, dict):
                bad = [v for v in labels.values() if not (v is None or isinstance(v, str))]
                if not bad:
                    return
                value, want = bad[0], "string"
        go_type = {str: "string", list: "array", dict: "object", bool: "bool"}.get(type(value), "number")
        raise InvalidObject(
            f'Deployment "{self.name}" cannot be handled as a Deployment: json: cannot unmarshal {go_type} '
            f"into Go struct field {'LabelSelector.' if isinstance(selector, dict) else 'DeploymentSpec.'}"
            f"{where} of type {want}"
        )

    def api_spec(self) -> Obj:
        spec = dict(self.spec)
        spec["replicas"] = self.replicas
        if self.strategy == "RollingUpdate":
            spec["strategy"] = {
                "type": "RollingUpdate",
                "rollingUpdate": {"maxSurge": self.max_surge_raw, "maxUnavailable": self.max_unavailable_raw},
            }
        else:
            spec["strategy"] = {"type": self.strategy}
        spec["progressDeadlineSeconds"] = self.deadline
        spec["revisionHistoryLimit"] = self.history_limit
        return spec

    def children(self) -> list[Any]:
        return list(self.rss)

    # -- fenceposts (kubernetes.md §6.2) ---------------------------------------------------------------
    def fenceposts(self) -> tuple[int, int]:
        """(maxSurge, maxUnavailable): surge rounds up, unavailable down, both 0 -> unavailable 1."""
        return self._fenceposts

    def _resolve_fenceposts(self) -> tuple[int, int]:
        if self.strategy != "RollingUpdate":
            return 0, 0
        surge = resolve_int_or_percent(
            self.max_surge_raw, self.replicas, round_up=True, field="spec.strategy.rollingUpdate.maxSurge"
        )
        unavailable = resolve_int_or_percent(
            self.max_unavailable_raw,
            self.replicas,
            round_up=False,
            field="spec.strategy.rollingUpdate.maxUnavailable",
        )
        if surge == 0 and unavailable == 0:
            unavailable = 1
        return surge, unavailable

    def max_unavailable(self) -> int:
        if self.strategy != "RollingUpdate" or self.replicas == 0:
            return 0
        return min(self.fenceposts()[1], self.replicas)

    # -- sync ----------------------------------------------------------------------------------------
    def reconcile(self) -> None:
        if self.deleted:
            return
        self.rss = [rs for rs in self.rss if not rs.deleted]
        new_rs = self._find_new_rs()
        old = [rs for rs in self.rss if rs is not new_rs]
        if self.paused:
            self.sync_status(new_rs)
            return
        if self._is_scaling_event(new_rs, old):
            self._scale(new_rs, old)
        elif self.strategy == "Recreate":
            self._rollout_recreate(new_rs, old)
        else:
            self._rollout_rolling(new_rs, old)
        new_rs = self._find_new_rs()
        self._cleanup(new_rs)
        self.sync_status(new_rs)

    def _find_new_rs(self, *, live: bool = False) -> ReplicaSet | None:
        """The ReplicaSet of the current template (a plain loop: this runs several times per pass)."""
        pod_hash = self.pod_hash
        for rs in self.rss:
            if rs.pod_hash == pod_hash and not (live and rs.deleted):
                return rs
        return None

    def _is_scaling_event(self, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> bool:
        """isScalingEvent: an active RS's desired-replicas annotation differs from spec.replicas."""
        for rs in [*old, *([new_rs] if new_rs else [])]:
            desired = rs.extra_annotations.get(DESIRED)
            if rs.replicas > 0 and desired is not None and desired != str(self.replicas):
                return True
        return False

    def _scale_rs(self, rs: ReplicaSet, count: int) -> None:
        surge = self.fenceposts()[0]
        rs.extra_annotations[DESIRED] = str(self.replicas)
        rs.extra_annotations[MAX_REPLICAS] = str(self.replicas + surge)
        if rs.replicas == count:
            return
        self.event("Normal", "ScalingReplicaSet", scaled_message(rs.name, rs.replicas, count))
        rs.replicas = count
        self.ctx.dirty(rs)

    def _new_rs(self, old: list[ReplicaSet], replicas: int) -> ReplicaSet:
        template = self.spec.get("template") or {}
        meta = dict(template.get("metadata") or {})
        meta["labels"] = {**(meta.get("labels") or {}), "pod-template-hash": self.pod_hash}
        rs_template = {**template, "metadata": meta}
        selector = dict(self.spec.get("selector") or {})
        selector["matchLabels"] = {**(selector.get("matchLabels") or {}), "pod-template-hash": self.pod_hash}
        revision = max((rs.revision for rs in old), default=0) + 1
        rs_obj: Obj = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{self.name}-{self.pod_hash}",
                "namespace": self.namespace,
                "labels": dict(meta["labels"]),
            },
            "spec": {
                "replicas": replicas,
                "selector": selector,
                "template": rs_template,
                "minReadySeconds": self.min_ready,
            },
        }
        rs = ReplicaSet(
            self.ctx, rs_obj, owner=self, root=self.root, prebuilt=self.tmpl.with_labels(dict(meta["labels"]))
        )
        rs.revision = revision
        surge = self.fenceposts()[0]
        rs.extra_annotations = {
            DESIRED: str(self.replicas),
            MAX_REPLICAS: str(self.replicas + surge),
            REVISION: str(revision),
        }
        self.extra_annotations[REVISION] = str(revision)
        self.rss.append(rs)
        self.ctx.add_child(rs)
        if replicas > 0:
            self.event("Normal", "ScalingReplicaSet", scaled_message(rs.name, 0, replicas))
        # Progressing True NewReplicaSetCreated (kubernetes.md §6.5).
        set_condition(
            self.conditions,
            Condition(
                "Progressing",
                "True",
                "NewReplicaSetCreated",
                f'Created new replica set "{rs.name}"',
                self.ctx.clock.now,
            ),
        )
        self.ctx.dirty(rs)
        return rs

    def _rollout_rolling(self, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> None:
        if new_rs is None:
            new_rs = self._new_rs(old, self._new_rs_replicas(None, old))
            return
        if new_rs.revision <= max((rs.revision for rs in old), default=0):
            # A template rolled back to an older RS: it becomes the newest revision again.
            new_rs.revision = max(rs.revision for rs in old) + 1
            new_rs.extra_annotations[REVISION] = str(new_rs.revision)
            self.extra_annotations[REVISION] = str(new_rs.revision)
        # reconcileNewReplicaSet
        if new_rs.replicas != self.replicas:
            if new_rs.replicas > self.replicas:
                self._scale_rs(new_rs, self.replicas)
                return
            count = self._new_rs_replicas(new_rs, old)
            if count != new_rs.replicas:
                self._scale_rs(new_rs, count)
                return
        # reconcileOldReplicaSets
        self._reconcile_old(new_rs, old)

    def _new_rs_replicas(self, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> int:
        """NewRSNewReplicas (kubernetes.md §6.2)."""
        current_new = new_rs.replicas if new_rs is not None else 0
        if self.strategy != "RollingUpdate":
            return self.replicas
        surge = self.fenceposts()[0]
        current = sum(rs.replicas for rs in old) + current_new
        max_total = self.replicas + surge
        if current >= max_total:
            return current_new
        scale_up = min(max_total - current, self.replicas - current_new)
        return current_new + max(scale_up, 0)

    def _reconcile_old(self, new_rs: ReplicaSet, old: list[ReplicaSet]) -> None:
        old_count = sum(rs.replicas for rs in old)
        if old_count == 0:
            return
        all_count = old_count + new_rs.replicas
        min_available = self.replicas - self.max_unavailable()
        _, _, new_available = new_rs.counts()
        new_unavailable = new_rs.replicas - new_available
        max_scaled_down = all_count - min_available - new_unavailable
        if max_scaled_down <= 0:
            return
        ordered = sorted(old, key=lambda rs: rs.created)
        # cleanupUnhealthyReplicas: old pods that are not available go first.
        cleaned = 0
        for rs in ordered:
            if cleaned >= max_scaled_down:
                break
            if rs.replicas == 0:
                continue
            _, _, available = rs.counts()
            if rs.replicas == available:
                continue
            down = min(max_scaled_down - cleaned, rs.replicas - available)
            self._scale_rs(rs, rs.replicas - down)
            cleaned += down
        # scaleDownOldReplicaSetsForRollingUpdate: keep availableReplicas >= replicas - maxUnavailable.
        available_total = sum(rs.counts()[2] for rs in [*old, new_rs])
        if available_total <= min_available:
            return
        total_down = available_total - min_available
        scaled = 0
        for rs in ordered:
            if scaled >= total_down:
                break
            if rs.replicas == 0:
                continue
            down = min(rs.replicas, total_down - scaled)
            self._scale_rs(rs, rs.replicas - down)
            scaled += down

    def _rollout_recreate(self, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> None:
        scaled = False
        for rs in old:
            if rs.replicas > 0:
                self._scale_rs(rs, 0)
                scaled = True
        if scaled or any(p.active for rs in old for p in rs.pods.values()):
            return  # wait until every old pod is gone
        if new_rs is None:
            self._new_rs(old, self.replicas)
        elif new_rs.replicas != self.replicas:
            self._scale_rs(new_rs, self.replicas)

    def _scale(self, new_rs: ReplicaSet | None, old: list[ReplicaSet]) -> None:
        """sync.go scale(): a replicas change without a template change, proportional across active RSs."""
        every = [*([new_rs] if new_rs else []), *old]
        active = [rs for rs in every if rs.replicas > 0]
        if len(active) <= 1:
            # FindActiveOrLatest: the single active RS, else the newest one.
            target = active[0] if active else max(every, key=lambda rs: rs.created, default=None)
            if target is not None:
                self._scale_rs(target, self.replicas)
            return
        if new_rs is not None and new_rs.replicas == self.replicas and new_rs.counts()[2] == self.replicas:
            # IsSaturated: the new RS is complete, old ones are scaled to zero.
            for rs in old:
                if rs.replicas > 0:
                    self._scale_rs(rs, 0)
            return
        surge = self.fenceposts()[0]
        allowed = self.replicas + surge
        to_add = allowed - sum(rs.replicas for rs in active)
        # ReplicaSetsBySizeNewer when adding, BySizeOlder when removing; leftovers go to the first (largest).
        if to_add > 0:
            active.sort(key=lambda rs: (-rs.replicas, -rs.created))
        elif to_add < 0:
            active.sort(key=lambda rs: (-rs.replicas, rs.created))
        added = 0
        sizes: list[int] = []
        for rs in active:
            proportion = 0
            if to_add != 0 and to_add != added:
                annotated = _int(rs.extra_annotations.get(MAX_REPLICAS), 0) or self.prev[0] or 1
                fraction = (
                    math.floor(rs.replicas * allowed / annotated + 0.5) - rs.replicas
                    if self.replicas
                    else -rs.replicas
                )
                allowed_left = to_add - added
                proportion = min(fraction, allowed_left) if to_add > 0 else max(fraction, allowed_left)
            sizes.append(rs.replicas + proportion)
            added += proportion
        if active and to_add != 0:
            sizes[0] = max(sizes[0] + to_add - added, 0)
        for rs, size in zip(active, sizes, strict=True):
            self._scale_rs(rs, size)

    def _cleanup(self, new_rs: ReplicaSet | None) -> None:
        """Delete old, empty RSs beyond revisionHistoryLimit (oldest first)."""
        if len(self.rss) <= self.history_limit:
            return  # fewer RSs than the limit: nothing to delete (and reconcile already dropped deleted ones)
        old = [rs for rs in self.rss if rs is not new_rs and rs.replicas == 0 and not rs.active_pods()]
        excess = len(old) - self.history_limit
        for rs in sorted(old, key=lambda r: r.revision)[: max(excess, 0)]:
            self.ctx.delete_workload(rs)
        self.rss = [rs for rs in self.rss if not rs.deleted]

    # -- status and conditions (kubernetes.md §6.4, §6.5) ----------------------------------------------
    def counts(self) -> tuple[int, int, int, int, int]:
        """(replicas, updated, ready, available, unavailable)."""
        new_rs = self._find_new_rs(live=True)
        replicas = ready = available = spec_total = 0
        updated = 0
        for rs in self.rss:
            if rs.deleted:
                continue
            r, rd, av = rs.counts()
            replicas += r
            ready += rd
            available += av
            spec_total += rs.replicas
            if rs is new_rs:
                updated = r
        return replicas, updated, ready, available, max(spec_total - available, 0)

    def sync_status(self, new_rs: ReplicaSet | None) -> None:
        now = self.ctx.clock.now
        replicas, updated, ready, available, _ = self.counts()
        if available >= self.replicas - self.max_unavailable():
            ensure_condition(
                self.conditions,
                "Available",
                "True",
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                now,
            )
        else:
            ensure_condition(
                self.conditions,
                "Available",
                "False",
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                now,
            )
        progressing = next((c for c in self.conditions if c.type == "Progressing"), None)
        subject = f'ReplicaSet "{new_rs.name}"' if new_rs is not None else f'Deployment "{self.name}"'
        complete = (
            progressing is not None and progressing.reason == "NewReplicaSetAvailable" and replicas == updated
        )
        if not complete and not self.paused:
            prev_replicas, prev_updated, prev_ready, prev_available = self.prev
            if updated == self.replicas and replicas == self.replicas and available == self.replicas:
                set_condition(
                    self.conditions,
                    Condition(
                        "Progressing",
                        "True",
                        "NewReplicaSetAvailable",
                        f"{subject} has successfully progressed.",
                        now,
                    ),
                )
            elif (
                updated > prev_updated
                or (replicas - updated) < (prev_replicas - prev_updated)
                or ready > prev_ready
                or available > prev_available
            ):
                new_cond = Condition(
                    "Progressing", "True", "ReplicaSetUpdated", f"{subject} is progressing.", now
                )
                if progressing is not None:
                    if progressing.status == "True":
                        new_cond.last_transition = progressing.last_transition
                    self.conditions.remove(progressing)
                self.conditions.append(new_cond)
            elif (
                progressing is not None
                and progressing.reason != "ProgressDeadlineExceeded"
                and progressing.last_update + self.deadline < now
            ):
                set_condition(
                    self.conditions,
                    Condition(
                        "Progressing",
                        "False",
                        "ProgressDeadlineExceeded",
                        f"{subject} has timed out progressing.",
                        now,
                    ),
                )
            progressing = next((c for c in self.conditions if c.type == "Progressing"), None)
            if (
                progressing is not None
                and progressing.status == "True"
                and progressing.reason != "NewReplicaSetAvailable"
            ):
                # requeueStuckDeployment: look again just after the deadline passes.
                check = progressing.last_update + self.deadline + 1
                if self._deadline_check != check:
                    self._deadline_check = check
                    self.ctx.clock.at(check, self.ctx.dirty, self)
        self.prev = (replicas, updated, ready, available)
        self.observed = self.generation

    def status(self) -> Obj:
        replicas, updated, ready, available, unavailable = self.counts()
        status: Obj = {"observedGeneration": self.observed}
        # Zero fields are omitted, as the API serializes them (kubernetes.md §6.4).
        for key, value in (
            ("replicas", replicas),
            ("updatedReplicas", updated),
            ("readyReplicas", ready),
            ("availableReplicas", available),
            ("unavailableReplicas", unavailable),
        ):
            if value:
                status[key] = value
        if self.conditions:
            status["conditions"] = [c.to_api(self.ctx.clock) for c in self.conditions]
        return status
