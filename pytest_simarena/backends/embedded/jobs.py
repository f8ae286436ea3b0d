"""Job and CronJob controllers, as far as SimKube's example traces need them (simkube.md §2 cronjob.sktrace).

A CronJob creates a Job ``<cronjob>-<scheduled unix minutes>`` at each schedule time (UTC, 5-field cron or
@hourly-style macros); a Job runs ``parallelism`` pods until ``completions`` succeed. On SimKube, pods
without a recorded Finished run never finish (simkube.md §3.4), so such Jobs stay active; with
``pod_lifecycles`` they succeed after the recorded duration and the CronJob sees them complete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError

from .controllers import SAFE_ALPHABET, Context, Workload, _int, slow_start
from .deployment import Condition
from .events import created_pod_message
from .pods import InvalidObject

if TYPE_CHECKING:
    from .pods import Pod, PodTemplate

Obj = dict[str, Any]

JOB_BACKOFF = 10.0  # pod failure back-off: 10 s doubling, capped at 6 min [mem: job controller]
JOB_MAX_BACKOFF = 360.0
_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NAMES = {
    3: {
        m: i + 1
        for i, m in enumerate(
            ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        )
    },
    4: {d: i for i, d in enumerate(["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"])},
}
_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))


class CronSchedule:
    """A parsed standard cron expression (minute hour day-of-month month day-of-week)."""

    def __init__(self, text: str) -> None:
        expr = _MACROS.get(text.strip(), text.strip())
        fields = expr.split()
        if len(fields) != 5:
            raise SimArenaError(f"spec.schedule: {text!r} is not a 5-field cron schedule")
        self.sets = [self._field(f, i, text) for i, f in enumerate(fields)]
        if 7 in self.sets[4]:
            self.sets[4] = self.sets[4] | {0}
        self.dom_any = fields[2] == "*"
        self.dow_any = fields[4] == "*"

    @staticmethod
    def _field(text: str, index: int, whole: str) -> frozenset[int]:
        low, high = _RANGES[index]
        names = _NAMES.get(index, {})

        def number(token: str) -> int:
            if token.isdigit():
                return int(token)
            if token.upper() in names:
                return names[token.upper()]
            raise SimArenaError(f"spec.schedule: cannot parse {token!r} in {whole!r}")

        values: set[int] = set()
        for part in text.split(","):
            body, slash, step_text = part.partition("/")
            step = 1
            if slash:
                if not step_text.isdigit() or int(step_text) == 0:
                    raise SimArenaError(f"spec.schedule: bad step {step_text!r} in {whole!r}")
                step = int(step_text)
            if body in ("*", "?"):
                start, end = low, high
            elif "-" in body:
                first, _, last = body.partition("-")
                start, end = number(first), number(last)
            else:
                start = number(body)
                end = high if slash else start
            if not (low <= start <= end <= high):
                raise SimArenaError(f"spec.schedule: {part!r} out of range {low}-{high} in {whole!r}")
            values.update(range(start, end + 1, step))
        return frozenset(values)

    def matches_day(self, moment: datetime) -> bool:
        dom_ok = moment.day in self.sets[2]
        dow_ok = (moment.isoweekday() % 7) in self.sets[4]
        if self.dom_any or self.dow_any:
            day_ok = dom_ok and dow_ok
        else:
            day_ok = dom_ok or dow_ok  # both restricted: either matches (cron semantics)
        return day_ok and moment.month in self.sets[3]

    def next_after(self, unix: float) -> int | None:
        """The first schedule time strictly after ``unix`` (seconds), within a year, or None."""
        moment = datetime.fromtimestamp((int(unix) // 60 + 1) * 60, UTC)
        limit = moment + timedelta(days=366)
        while moment < limit:
            if not self.matches_day(moment):
                moment = (moment + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if moment.hour not in self.sets[1]:
                moment = (moment + timedelta(hours=1)).replace(minute=0)
                continue
            if moment.minute not in self.sets[0]:
                moment += timedelta(minutes=1)
                continue
            return int(moment.timestamp())
        return None


class Job(Workload):
    kind = "Job"
    api_version = "batch/v1"
    component = "job-controller"

    def __init__(
        self, ctx: Context, obj: Obj, *, owner: Workload | None = None, root: tuple[str, ...] | None = None
    ) -> None:
        self.pods: dict[str, Pod] = {}
        self.tmpl: PodTemplate | None = None
        self.conditions: list[Condition] = []
        self.start_time: float | None = None
        self.completion_time: float | None = None
        self.finished = ""
        self._retry_at: float | None = None
        super().__init__(ctx, obj, owner=owner, root=root)

    def set_object(self, obj: Obj) -> None:
        if self.tmpl is not None:
            # A Job's pod template is immutable; only the rest of the object is taken.
            super().set_object(
                {**obj, "spec": {**(obj.get("spec") or {}), "template": self.spec.get("template")}}
            )
            return
        super().set_object(obj)
        spec = self.spec
        template = spec.get("template") or {}
        restart = (template.get("spec") or {}).get("restartPolicy")
        if restart not in ("Never", "OnFailure"):
            raise InvalidObject(
                f'The Job "{self.name}" is invalid: spec.template.spec.restartPolicy: '
                f"{'Required value' if restart is None else f'Unsupported value: {restart!r}'}: "
                'valid values: "OnFailure", "Never"'
            )
        self.tmpl = self.ctx.template(self, template, "spec.template.spec")

    @property
    def parallelism(self) -> int:
        return _int(self.spec.get("parallelism"), 1)

    @property
    def completions(self) -> int:
        return _int(self.spec.get("completions"), 1)

    def api_spec(self) -> Obj:
        return {
            **self.spec,
            "parallelism": self.parallelism,
            "completions": self.completions,
            "backoffLimit": _int(self.spec.get("backoffLimit"), 6),
        }

    def children(self) -> list[Any]:
        return list(self.pods.values())

    def counts(self) -> tuple[int, int, int, int]:
        """(active, ready, succeeded, failed)."""
        active = ready = succeeded = failed = 0
        for pod in self.pods.values():
            if pod.phase == "Succeeded":
                succeeded += 1
            elif pod.phase == "Failed":
                failed += 1
            elif not pod.deleted:
                active += 1
                ready += pod.ready
        return active, ready, succeeded, failed

    def reconcile(self) -> None:
        if self.deleted or self.finished or self.tmpl is None:
            return
        now = self.ctx.clock.now
        if self.start_time is None:
            self.start_time = now
        active, _, succeeded, failed = self.counts()
        if succeeded >= self.completions:
            self.finished = "Complete"
            self.completion_time = now
            self.conditions.append(
                Condition(
                    "Complete", "True", "CompletionsReached", "Reached expected number of succeeded pods", now
                )
            )
            self.event("Normal", "Completed", "Job completed")
        elif failed > _int(self.spec.get("backoffLimit"), 6):
            self.finished = "Failed"
            self.conditions.append(
                Condition(
                    "Failed",
                    "True",
                    "BackoffLimitExceeded",
                    "Job has reached the specified backoff limit",
                    now,
                )
            )
            self.event("Warning", "BackoffLimitExceeded", "Job has reached the specified backoff limit")
            for pod in list(self.pods.values()):
                if pod.active:
                    self.ctx.delete_pod(pod)
        else:
            want = min(self.parallelism, self.completions - succeeded) - active
            if want > 0 and failed:
                ready_at = self._last_failure() + min(JOB_BACKOFF * 2 ** (failed - 1), JOB_MAX_BACKOFF)
                if ready_at > now:
                    if self._retry_at != ready_at:
                        self._retry_at = ready_at
                        self.ctx.clock.at(ready_at, self.ctx.dirty, self)
                    want = 0
            if want > 0 and not slow_start(want, self._create_pod):
                self.requeue_rate_limited()  # job_controller.go manageJob: the sync fails and is requeued
        if self.owner is not None:
            self.ctx.dirty(self.owner)

    def _last_failure(self) -> float:
        return max(
            (c.finished for p in self.pods.values() if p.phase == "Failed" for c in p.containers or []),
            default=0.0,
        )

    def _create_pod(self) -> bool:
        """Create one pod; False when admission refused it (FailedCreate, controller_utils.go createPods)."""
        assert self.tmpl is not None
        while True:
            name = f"{self.name}-{self.ctx.clock.token(5, SAFE_ALPHABET)}"
            if not self.ctx.pod_name_taken(self.namespace, name):
                break
        labels = {
            **self.tmpl.labels,
            "batch.kubernetes.io/controller-uid": self.uid,
            "batch.kubernetes.io/job-name": self.name,
            "controller-uid": self.uid,
            "job-name": self.name,
        }
        try:
            pod = self.ctx.new_pod(self, name, self.tmpl, labels, dict(self.tmpl.template_annotations))
        except InvalidObject as exc:
            self.event("Warning", "FailedCreate", f"Error creating: {exc}")
            return False
        self.sync_errors = 0
        self.pods[pod.uid] = pod
        self.event("Normal", "SuccessfulCreate", created_pod_message(name))
        return True

    def status(self) -> Obj:
        clock = self.ctx.clock
        active, ready, succeeded, failed = self.counts()
        status: Obj = {}
        if self.start_time is not None:
            status["startTime"] = clock.timestamp(self.start_time)
        if active:
            status["active"] = active
        status["ready"] = ready
        if succeeded:
            status["succeeded"] = succeeded
        if failed:
            status["failed"] = failed
        if self.completion_time is not None:
            status["completionTime"] = clock.timestamp(self.completion_time)
        if self.conditions:
            status["conditions"] = [c.to_api(clock, probe=True) for c in self.conditions]
        status["uncountedTerminatedPods"] = {}
        return status


class CronJob(Workload):
    kind = "CronJob"
    api_version = "batch/v1"
    component = "cronjob-controller"

    def __init__(
        self, ctx: Context, obj: Obj, *, owner: Workload | None = None, root: tuple[str, ...] | None = None
    ) -> None:
        self.jobs: list[Job] = []
        self.seen: set[str] = set()
        self.last_schedule: float | None = None
        self.last_success: float | None = None
        self._timer_token = 0
        super().__init__(ctx, obj, owner=owner, root=root)

    def set_object(self, obj: Obj) -> None:
        super().set_object(obj)
        spec = self.spec
        self.cron = CronSchedule(str(spec.get("schedule") or ""))
        job_template = spec.get("jobTemplate") or {}
        template = (job_template.get("spec") or {}).get("template") or {}
        # Validate the pod template now, as the API validates the CronJob's job template.
        self.ctx.template(self, template, "spec.jobTemplate.spec.template.spec")
        self._arm()

    def children(self) -> list[Any]:
        return list(self.jobs)

    def _arm(self) -> None:
        """Schedule the next run (a new token makes earlier timers no-ops)."""
        self._timer_token += 1
        clock = self.ctx.clock
        after = clock.epoch + max(
            clock.now, self.last_schedule if self.last_schedule is not None else clock.now
        )
        nxt = self.cron.next_after(after)
        if nxt is not None:
            clock.at(nxt - clock.epoch, self._fire, nxt, self._timer_token)

    def _fire(self, scheduled: int, token: int) -> None:
        if self.deleted or token != self._timer_token:
            return
        spec = self.spec
        self.last_schedule = scheduled - self.ctx.clock.epoch
        active = [j for j in self.jobs if not j.finished and not j.deleted]
        policy = spec.get("concurrencyPolicy") or "Allow"
        if spec.get("suspend"):
            pass
        elif policy == "Forbid" and active:
            self.event(
                "Normal",
                "JobAlreadyActive",
                "Not starting job because prior execution is running and concurrency policy is Forbid",
            )
        else:
            if policy == "Replace":
                for job in active:
                    self.ctx.delete_workload(job)
                    self.event("Normal", "SuccessfulDelete", f"Deleted job {job.name}")
            self._create_job(scheduled)
        self._arm()

    def _create_job(self, scheduled: int) -> None:
        job_template = self.spec.get("jobTemplate") or {}
        meta = job_template.get("metadata") or {}
        name = f"{self.name}-{scheduled // 60}"
        obj: Obj = {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {
                "name": name,
                "namespace": self.namespace,
                "labels": dict(meta.get("labels") or {}),
                "annotations": {
                    **(meta.get("annotations") or {}),
                    "batch.kubernetes.io/cronjob-scheduled-timestamp": datetime.fromtimestamp(
                        scheduled, UTC
                    ).strftime("%Y-%m-%dT%H:%M:%SZ"),
                },
            },
            "spec": dict(job_template.get("spec") or {}),
        }
        job = Job(self.ctx, obj, owner=self, root=self.root)
        self.jobs.append(job)
        self.ctx.add_child(job)
        self.ctx.dirty(job)
        self.event("Normal", "SuccessfulCreate", f"Created job {name}")

    def reconcile(self) -> None:
        if self.deleted:
            return
        self.jobs = [j for j in self.jobs if not j.deleted]
        for job in self.jobs:
            if job.finished and job.uid not in self.seen:
                self.seen.add(job.uid)
                self.event(
                    "Normal", "SawCompletedJob", f"Saw completed job: {job.name}, status: {job.finished}"
                )
                if job.finished == "Complete":
                    self.last_success = job.completion_time
        for state, limit_key, default in (
            ("Complete", "successfulJobsHistoryLimit", 3),
            ("Failed", "failedJobsHistoryLimit", 1),
        ):
            done = [j for j in self.jobs if j.finished == state]
            excess = len(done) - _int(self.spec.get(limit_key), default)
            for job in sorted(done, key=lambda j: j.created)[: max(excess, 0)]:
                self.ctx.delete_workload(job)
                self.event("Normal", "SuccessfulDelete", f"Deleted job {job.name}")
        self.jobs = [j for j in self.jobs if not j.deleted]

    def status(self) -> Obj:
        clock = self.ctx.clock
        status: Obj = {}
        active = [j for j in self.jobs if not j.finished and not j.deleted]
        if active:
            status["active"] = [
                {
                    "apiVersion": "batch/v1",
                    "kind": "Job",
                    "name": j.name,
                    "namespace": j.namespace,
                    "uid": j.uid,
                }
                for j in active
            ]
        if self.last_schedule is not None:
            status["lastScheduleTime"] = clock.timestamp(self.last_schedule)
        if self.last_success is not None:
            status["lastSuccessfulTime"] = clock.timestamp(self.last_success)
        return status
