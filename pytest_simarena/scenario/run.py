"""Run one scenario case: load its trace, run the episode on a pooled cluster, judge the expectations.

No pytest here: the plugin's items and fixtures, the benchmarks and any script call :func:`run_case`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena import settings as settings_table
from pytest_simarena.errors import BackendUnavailable, SimArenaError

from .expectations import check
from .model import ClusterChoice, ScenarioCase

if TYPE_CHECKING:
    from pytest_simarena.backends.embedded import ClusterSpec
    from pytest_simarena.backends.protocol import ClusterBackend
    from pytest_simarena.episode.results import EpisodeResult
    from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]

_INDEX_SUFFIX = re.compile(r"-\d+$")


def trace_family(name: str, trace: Trace | None) -> str:
    """The family a trace belongs to (reports group solve rates by it): ``metadata.family`` when the
    trace has one (generated and canonical traces do), else the name without a trailing ``-<number>``.

    >>> trace_family("cpu-far-over-010", None)
    'cpu-far-over'
    """
    meta = (trace.extra.get("metadata") if trace is not None else None) or {}
    family = meta.get("family") if isinstance(meta, dict) else None
    if isinstance(family, str) and family:
        return family
    return _INDEX_SUFFIX.sub("", name) or name


@dataclass(frozen=True, slots=True, kw_only=True)
class RunConfig:
    """The plugin settings a case falls back to when its scenario does not say."""

    base_seed: int = field(default=settings_table.get("seed").default)
    steps: int = field(default=settings_table.get("max_steps").default)
    step_duration: float = field(default=settings_table.get("step_seconds").default)
    reward: str = field(default=settings_table.get("reward").default)
    agents: settings_table.AgentSettings = field(default_factory=settings_table.AgentSettings)


def cluster_for(case_cluster: ClusterChoice | None, trace: Trace | None) -> ClusterChoice:
    """The scenario's cluster, else the one the trace metadata names (generated traces), else the default."""
    if case_cluster is not None:
        return case_cluster
    meta = (trace.extra.get("metadata") if trace is not None else None) or {}
    shape = meta.get("cluster") if isinstance(meta, dict) else None
    if isinstance(shape, dict) and {"nodes", "cpu", "memory"} <= set(shape):
        choice = ClusterChoice.uniform(shape["nodes"], shape["cpu"], shape["memory"], shape.get("pods", 110))
        if choice.key == ClusterChoice.uniform(3, "16", "32Gi", 110).key:
            return ClusterChoice("default")
        return choice
    return ClusterChoice("default")


def spec_for(choice: ClusterChoice) -> ClusterSpec:
    """The embedded cluster a choice describes."""
    from pytest_simarena.backends.embedded import ClusterSpec

    if choice.kind == "file":
        assert choice.path is not None
        return ClusterSpec.from_file(choice.path).with_version(choice.kubernetes_version)
    # Built once per process: every case of a suite asks for one of a few shapes (specs are not mutated).
    found = _SPECS.get(choice.key)
    if found is None:
        if choice.kind == "uniform":
            found = ClusterSpec.uniform(choice.nodes, choice.cpu, choice.memory, choice.pods)
        else:
            found = ClusterSpec.default()
        found = found.with_version(choice.kubernetes_version)
        _SPECS[choice.key] = found
    return found


_SPECS: dict[tuple[Any, ...], ClusterSpec] = {}
_TRACES: dict[tuple[Any, ...], Trace] = {}
_TRACE_CACHE_SIZE = 256


def load_case_trace(path: Path) -> Trace:
    """The trace a case runs, decoded once per file version in this process.

    A suite runs each trace under several policies: the file is read and checked once while its
    (path, inode, size, mtime) stay the same. Callers get the shared trace and must not edit it (episodes
    run on a copy). A legacy trace is loaded every time, so each case warns that it was normalized.
    """
    from pytest_simarena.trace import load_trace

    try:
        st = path.stat()
    except OSError:
        return load_trace(path)  # load_trace words the error
    key = (str(path), st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)
    found = _TRACES.get(key)
    if found is None:
        found = load_trace(path)
        if found.notes:
            return found
        if len(_TRACES) >= _TRACE_CACHE_SIZE:
            del _TRACES[next(iter(_TRACES))]
        _TRACES[key] = found
    return found


class ClusterPool:
    """One backend per cluster choice, built on first use and reused by every case of this process.

    Under xdist each worker is a process, so each worker gets its own pool (the session-scoped
    ``simarena_cluster`` is the pool's default cluster).
    """

    def __init__(
        self,
        backend: str = "embedded",
        *,
        kubeconfig: str | None = None,
        context: str | None = None,
        kube_mode: str | None = None,
        kubernetes_version: str | None = None,
    ) -> None:
        self.backend = backend
        # The embedded clusters' version when a case's cluster does not name one (a file's own is below it).
        self.kubernetes_version = kubernetes_version
        self.kubeconfig = kubeconfig
        self.context = context
        self.kube_mode = kube_mode
        self._clusters: dict[tuple[Any, ...], ClusterBackend] = {}

    def get(self, choice: ClusterChoice | None = None) -> ClusterBackend:
        """The shared cluster for ``choice`` (built on first use, closed by :meth:`close`)."""
        choice = choice or ClusterChoice("default")
        found = self._clusters.get(choice.key)
        if found is None:
            found = self._make(choice)
            self._clusters[choice.key] = found
        return found

    def for_case(self, choice: ClusterChoice, seed: int) -> tuple[ClusterBackend, bool]:
        """The cluster a scenario case runs on, and whether the caller owns (and must close) it.

        On the embedded backend every case gets a fresh simulator seeded with the case's seed: its one
        random generator then never carries state from the cases that ran before it in this worker, so a
        case's outcome is independent of xdist's distribution and order. A real cluster is shared.
        """
        if self.backend == "embedded":
            return self._make(choice, seed=seed), True
        return self.get(choice), False

    def _make(self, choice: ClusterChoice, *, seed: int = 0) -> ClusterBackend:
        from pytest_simarena.backends.registry import make_backend

        if self.backend != "embedded":
            if choice.kind != "default" or choice.kubernetes_version is not None:
                raise SimArenaError(
                    f"cluster {choice.describe()} can only be simulated on the embedded backend; "
                    f"the {self.backend} backend uses the cluster it is connected to"
                )
            options: Obj = {}
            if self.kubeconfig:
                options["kubeconfig"] = self.kubeconfig
            if self.context:
                options["context"] = self.context
            if self.kube_mode:
                options["mode"] = self.kube_mode
            return make_backend(self.backend, **options)
        if choice.kubernetes_version is None and self.kubernetes_version is not None:
            choice = dataclasses.replace(choice, kubernetes_version=self.kubernetes_version)
        return make_backend("embedded", spec=spec_for(choice), seed=seed)

    def close(self) -> None:
        for backend in self._clusters.values():
            with contextlib.suppress(SimArenaError):  # closing must never mask the run's own outcome
                backend.close()
        self._clusters.clear()


@dataclass
class CaseOutcome:
    """What running a case produced: the episode, the failed expectations, and timings."""

    case: ScenarioCase
    seed: int
    target: int | None = None
    result: EpisodeResult | None = None
    failures: list[str] = field(default_factory=list)
    error: str | None = None  # the case could not run at all (bad trace, unknown workload or policy)
    unavailable: str | None = None  # the backend cannot be reached here: a reason to skip, not to fail
    original: Trace | None = None
    episode_seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and self.unavailable is None and not self.failures

    def summary(self) -> Obj:
        """The JSON-able record written to results.json and carried on the test report across xdist."""
        r = self.result
        out: Obj = {
            "id": self.case.test_id,
            "scenario": self.case.scenario,
            "file": self.case.file.name,
            "trace": self.case.trace.name,
            "family": trace_family(self.case.trace.name.split(".")[0], self.original),
            "policy": self.case.policy,
            "seed": self.seed,
            "target": self.target,
            "passed": self.passed,
            "failures": list(self.failures),
            "error": self.error,
            "episodeSeconds": round(self.episode_seconds, 6),
        }
        if r is not None:
            from .expectations import episode_numbers

            out.update(episode_numbers(r))
        return out


def run_case(
    case: ScenarioCase,
    *,
    pool: ClusterPool,
    config: RunConfig,
    prefix: str,
    workdir: Path | None = None,
) -> CaseOutcome:
    """Run ``case`` on ``pool`` under the run prefix ``prefix`` and judge it.

    Never raises for the case's own problems (bad trace, unknown policy, episode error): they are recorded
    in the outcome.
    """
    seed = case.derived_seed(config.base_seed)
    outcome = CaseOutcome(case=case, seed=seed)
    try:
        original = load_case_trace(case.trace)
    except SimArenaError as exc:
        outcome.error = str(exc)
        return outcome
    outcome.original = original
    try:
        live = is_live(case, default_mode=config.agents.mode)
    except SimArenaError as exc:
        outcome.error = str(exc)
        return outcome
    missing = [program for program in case.requires if shutil.which(program) is None]
    if missing:
        outcome.unavailable = f"{', '.join(missing)} not found on PATH (the scenario's 'requires')"
        return outcome
    if live:
        return _judge(
            outcome, lambda: _run_live(case, original, pool=pool, config=config, seed=seed, workdir=workdir)
        )
    try:
        backend, owned = pool.for_case(cluster_for(case.cluster, original), seed)
    except BackendUnavailable as exc:
        # Not the case's fault: the plugin skips it with this reason (a real cluster is not reachable).
        outcome.unavailable = str(exc)
        return outcome
    except SimArenaError as exc:
        outcome.error = str(exc)
        return outcome
    try:
        started = time.perf_counter()
        result = _run_episode(
            case, original, backend=backend, config=config, seed=seed, prefix=prefix, workdir=workdir
        )
        outcome.episode_seconds = time.perf_counter() - started
    except SimArenaError as exc:
        outcome.error = str(exc)
        return outcome
    finally:
        if owned:
            backend.close()
    outcome.result = result
    outcome.target = result.target
    outcome.failures = check(case.expect, result, target=outcome.target)
    return outcome


def is_live(case: ScenarioCase, *, default_mode: str = "replay") -> bool:
    """Whether a case runs as a live episode: ``mode: live`` (the case's, else ``default_mode``), a
    command agent, or a live-only policy."""
    from pytest_simarena.policies.registry import LIVE_POLICIES

    if case.mode is None and default_mode == "live":
        return True
    if case.mode is not None:
        if case.mode == "replay" and (case.command or case.policy in LIVE_POLICIES):
            raise SimArenaError(
                f"{case.test_id}: {case.policy} agents act on a live cluster; mode must be live"
            )
        return case.mode == "live"
    return bool(case.command) or case.policy in LIVE_POLICIES


def _judge(outcome: CaseOutcome, run: Callable[[], EpisodeResult]) -> CaseOutcome:
    try:
        started = time.perf_counter()
        result = run()
        outcome.episode_seconds = time.perf_counter() - started
    except SimArenaError as exc:
        outcome.error = str(exc)
        return outcome
    outcome.result = result
    outcome.target = result.target
    outcome.failures = check(outcome.case.expect, result, target=outcome.target)
    return outcome


def _episode_options(case: ScenarioCase, config: RunConfig) -> dict[str, Any]:
    """The episode settings a case gives, over the run's (replay and live episodes alike)."""
    return {
        "workload": case.workload,
        "namespace": case.namespace,
        "kind": case.kind,
        "target": case.target,
        "max_steps": case.steps or config.steps,
        "step_seconds": case.step_duration or config.step_duration,
        "reward": case.reward or config.reward,
        "hold": case.hold or 1,
    }


def _run_live(
    case: ScenarioCase,
    trace: Trace,
    *,
    pool: ClusterPool,
    config: RunConfig,
    seed: int,
    workdir: Path | None,
) -> EpisodeResult:
    from pytest_simarena.agents.live_episode import Budget, make_live_agent, run_live_episode

    if pool.backend != "embedded":
        raise SimArenaError(f"live mode runs on the embedded cluster, not the {pool.backend} backend")
    return run_live_episode(
        trace.copy(),
        make_live_agent(case.policy, command=case.command, cwd=case.file.parent, settings=config.agents),
        seed=seed,
        spec=spec_for(cluster_for(case.cluster, trace)),
        **_episode_options(case, config),
        budget=Budget.from_settings(config.agents, **dict(case.budget)),
        out_dir=workdir,
        trace_label=case.trace.name,
    )


def _run_episode(
    case: ScenarioCase,
    trace: Trace,
    *,
    backend: ClusterBackend,
    config: RunConfig,
    seed: int,
    prefix: str,
    workdir: Path | None,
) -> EpisodeResult:
    from pytest_simarena.episode.loop import run_episode

    return run_episode(
        trace.copy(),
        case.policy,
        backend=backend,
        **_episode_options(case, config),
        seed=seed,
        prefix=prefix,
        out_dir=workdir,
        trace_label=case.trace.name,
    )
