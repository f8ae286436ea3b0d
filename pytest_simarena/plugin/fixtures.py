"""The plugin's fixtures (pytest-django's layout: configuration as small overridable fixtures).

Scopes: the cluster is per session (so per xdist worker); namespaces, traces and episodes are per test.
``simarena_runner`` is a session-scoped episode runner for Hypothesis ``@given`` tests, which must not
use function-scoped fixtures.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_simarena.scenario.naming import dns_label

from .state import STATE_KEY, SessionState

if TYPE_CHECKING:
    from pytest_simarena.backends.protocol import ClusterBackend
    from pytest_simarena.episode.results import EpisodeResult
    from pytest_simarena.scenario.model import ScenarioCase
    from pytest_simarena.trace.model import Trace

    from .settings import ResolvedSettings

REPORTS_KEY = pytest.StashKey[dict[str, pytest.TestReport]]()


def _state(config: pytest.Config) -> SessionState:
    return config.stash[STATE_KEY]


def _test_id(node: pytest.Item) -> str:
    """``test_x.py::test_y[p]``: the node id without folders, so it does not depend on the rootdir."""
    return f"{node.path.name}::{node.name}"


# ---------------------------------------------------------------------------------------------- settings


@pytest.fixture(scope="session")
def simarena_settings(pytestconfig: pytest.Config) -> ResolvedSettings:
    """Every resolved setting (``.seed``, ``.max_steps`` ...) and its source (``.sources``)."""
    return _state(pytestconfig).settings


@pytest.fixture(scope="session")
def simarena_seed(simarena_settings: ResolvedSettings) -> int:
    """Base seed (``--simarena-seed``); each test derives its own from it and its id. Override to pin it."""
    return int(simarena_settings.seed)


@pytest.fixture(scope="session")
def simarena_max_steps(simarena_settings: ResolvedSettings) -> int:
    """Maximum steps per episode (``--simarena-max-steps``)."""
    return int(simarena_settings.max_steps)


@pytest.fixture(scope="session")
def simarena_step_seconds(simarena_settings: ResolvedSettings) -> float:
    """Simulated seconds per step (``--simarena-step-seconds``)."""
    return float(simarena_settings.step_seconds)


@pytest.fixture(scope="session")
def simarena_steps(simarena_max_steps: int) -> int:
    """Older name of ``simarena_max_steps``; the episode fixtures read it, so overriding either works."""
    return simarena_max_steps


@pytest.fixture(scope="session")
def simarena_step_duration(simarena_step_seconds: float) -> float:
    """Older name of ``simarena_step_seconds``; the episode fixtures read it, so overriding either works."""
    return simarena_step_seconds


@pytest.fixture(scope="session")
def simarena_reward(simarena_settings: ResolvedSettings) -> str:
    """Reward name (``--simarena-reward``)."""
    return str(simarena_settings.reward)


@pytest.fixture(scope="session")
def simarena_worker_id(pytestconfig: pytest.Config) -> str:
    """``gw0``... under xdist, ``master`` otherwise."""
    return _state(pytestconfig).worker


# ---------------------------------------------------------------------------------------------- cluster


@pytest.fixture(scope="session")
def simarena_cluster(pytestconfig: pytest.Config) -> ClusterBackend:
    """The cluster backend of this session (this xdist worker): embedded unless ``--simarena-backend=kube``.

    A real cluster that cannot be reached skips the tests that use it, with the reason.
    """
    from pytest_simarena.errors import BackendUnavailable

    try:
        return _state(pytestconfig).pool.get()
    except BackendUnavailable as exc:
        pytest.skip(f"simarena backend unavailable: {exc}")


@dataclass(frozen=True)
class Namespace:
    """A test's run prefix: objects of trace namespace ``ns`` live in ``<name>-<ns>`` (SimKube's rule)."""

    name: str
    labels: dict[str, str] = field(default_factory=dict)

    def virtual(self, original_namespace: str = "default") -> str:
        from pytest_simarena.backends.protocol import virtual_namespace

        return virtual_namespace(self.name, original_namespace)

    def __str__(self) -> str:
        return self.name


@pytest.fixture
def simarena_namespace(
    request: pytest.FixtureRequest, simarena_cluster: ClusterBackend, simarena_worker_id: str
) -> Generator[Namespace, None, None]:
    """A fresh run prefix for this test (DNS-1123, <= 40 chars so ``<name>-<ns>`` stays <= 63).

    Prepared (emptied) before the test; cleaned up after it unless ``--simarena-keep-namespaces``, or
    ``--simarena-keep-failed`` and the test failed.
    """
    node = request.node
    name = _state(request.config).case_prefix(_test_id(node))
    labels = {
        "app.kubernetes.io/managed-by": "pytest-simarena",
        "simarena.io/test": dns_label(node.name),
        "simarena.io/worker": dns_label(simarena_worker_id),
    }
    simarena_cluster.prepare(name)
    yield Namespace(name, labels)
    settings = _state(request.config).settings
    reports = node.stash.get(REPORTS_KEY, {})
    failed = any(r.failed for r in reports.values())
    if settings.keep_namespaces or (settings.keep_failed and failed):
        return
    simarena_cluster.cleanup(name)


# ---------------------------------------------------------------------------------------------- traces


def find_trace(spec: str | Path, settings: ResolvedSettings, *, base: Path | None = None) -> Path:
    """A trace by path (relative to ``base`` then the rootdir) or by name in the trace folders."""
    from pytest_simarena.scenario.model import Context, resolve_traces

    ctx = Context(rootpath=settings.rootpath, trace_dirs=tuple(settings.trace_dir_paths()))
    try:
        found = resolve_traces(str(spec), base=base or settings.rootpath, ctx=ctx)
    except LookupError as exc:
        from pytest_simarena.errors import TraceError

        raise TraceError(str(exc.args[0])) from None
    return found[0]


TraceFactory = Callable[[str | Path], "Trace"]


@pytest.fixture
def simarena_trace(
    request: pytest.FixtureRequest, tmp_path: Path, simarena_settings: ResolvedSettings
) -> TraceFactory:
    """``simarena_trace("slightly-bad-cpu")`` -> a Trace loaded from a per-test copy in ``tmp_path``.

    Edits (and ``dump_trace(trace, trace.path)``) touch the copy, never the original file.
    """
    from pytest_simarena.trace import load_trace

    folder = tmp_path / "simarena-traces"

    def load(spec: str | Path) -> Trace:
        __tracebackhide__ = True
        source = find_trace(spec, simarena_settings, base=request.path.parent)
        folder.mkdir(exist_ok=True)
        copy = folder / source.name
        shutil.copyfile(source, copy)
        return load_trace(copy)

    return load


# ---------------------------------------------------------------------------------------------- episodes


class EpisodeRunner:
    """Runs episodes on one cluster: ``runner(trace, "heuristic", max_steps=5) -> EpisodeResult``.

    ``trace`` is a Trace, a path or a trace name. Unset options come from the settings fixtures. Seeds
    default to a stable hash of ``test_id``, the base seed and the call number (never worker or order).
    """

    def __init__(
        self,
        cluster: ClusterBackend,
        settings: ResolvedSettings,
        *,
        test_id: str,
        prefix: Callable[[], str],
        base_seed: int,
        max_steps: int,
        step_seconds: float,
        reward: str,
        base: Path | None = None,
    ) -> None:
        self.cluster = cluster
        self.settings = settings
        self.test_id = test_id
        self._prefix = prefix
        self.base_seed = base_seed
        self.max_steps = max_steps
        self.step_seconds = step_seconds
        self.reward = reward
        self.base = base
        self._calls = itertools.count()
        self.results: list[EpisodeResult] = []

    def __call__(
        self,
        trace: Trace | str | Path,
        policy: Any = "heuristic",
        *,
        max_steps: int | None = None,
        step_seconds: float | None = None,
        reward: str | None = None,
        seed: int | None = None,
        **options: Any,
    ) -> EpisodeResult:
        """Run ``policy`` on ``trace``; ``options`` are run_episode's (``steps``/``step_duration`` are
        accepted as the older names of ``max_steps``/``step_seconds``)."""
        from pytest_simarena.episode.loop import run_episode
        from pytest_simarena.scenario.model import derive_seed
        from pytest_simarena.trace import load_trace

        if not hasattr(trace, "events"):
            trace = load_trace(find_trace(str(trace), self.settings, base=self.base))
        call = next(self._calls)
        if seed is None:
            seed = derive_seed(f"{self.test_id}#{call}", self.base_seed)
        result = run_episode(
            trace.copy(),  # type: ignore[union-attr]
            policy,
            backend=self.cluster,
            reward=reward or self.reward,
            max_steps=max_steps or options.pop("steps", None) or self.max_steps,
            step_seconds=step_seconds or options.pop("step_duration", None) or self.step_seconds,
            seed=seed,
            prefix=self._prefix(),
            **options,
        )
        self.results.append(result)
        return result


@pytest.fixture
def simarena_episode(
    request: pytest.FixtureRequest,
    simarena_cluster: ClusterBackend,
    simarena_namespace: Namespace,
    simarena_settings: ResolvedSettings,
    simarena_seed: int,
    simarena_steps: int,
    simarena_step_duration: float,
    simarena_reward: str,
) -> EpisodeRunner:
    """Runs a policy on a trace in this test's namespace: ``simarena_episode("slightly-bad-cpu", "vpa")``."""
    return EpisodeRunner(
        simarena_cluster,
        simarena_settings,
        test_id=_test_id(request.node),
        prefix=lambda: simarena_namespace.name,
        base_seed=simarena_seed,
        max_steps=simarena_steps,
        step_seconds=simarena_step_duration,
        reward=simarena_reward,
        base=request.path.parent,
    )


@pytest.fixture(scope="session")
def simarena_runner(
    simarena_cluster: ClusterBackend,
    simarena_settings: ResolvedSettings,
    simarena_worker_id: str,
    simarena_seed: int,
    simarena_steps: int,
    simarena_step_duration: float,
    simarena_reward: str,
) -> EpisodeRunner:
    """A session-scoped :class:`EpisodeRunner` for Hypothesis ``@given`` tests (no function-scoped fixtures).

    Each call uses a fresh prefix (``sa-<worker>-h<n>``) that is cleaned up by the episode itself.
    """
    counter = itertools.count()
    return EpisodeRunner(
        simarena_cluster,
        simarena_settings,
        test_id="simarena_runner",
        prefix=lambda: f"sa-{dns_label(simarena_worker_id)}-h{next(counter)}",
        base_seed=simarena_seed,
        max_steps=simarena_steps,
        step_seconds=simarena_step_duration,
        reward=simarena_reward,
    )


# ---------------------------------------------------------------------------------------------- the mark


@pytest.fixture
def simarena_case(request: pytest.FixtureRequest) -> ScenarioCase:
    """The trace x policy case of a test parametrized by ``@pytest.mark.simarena(traces, policies)``."""
    case = getattr(request, "param", None)
    if case is None:
        pytest.fail(
            f"{request.node.nodeid}: simarena_case/simarena_result need "
            "@pytest.mark.simarena(traces, policies) on the test",
            pytrace=False,
        )
    return case  # type: ignore[no-any-return]


@pytest.fixture
def simarena_result(request: pytest.FixtureRequest, simarena_case: ScenarioCase) -> EpisodeResult:
    """The episode of this test's case, run as a scenario-file test runs (fresh seeded simulator).

    Expectations given in the mark (``expect={...}``) are checked first; a failure shows the step table.
    """
    from pytest_simarena.scenario.render import render_failure
    from pytest_simarena.scenario.run import run_case

    from .report import record_properties
    from .state import OUTCOME_KEY

    state = _state(request.config)
    outcome = run_case(
        simarena_case,
        pool=state.pool,
        config=state.run_config(),
        prefix=state.case_prefix(simarena_case.test_id),
    )
    if outcome.unavailable is not None:
        pytest.skip(f"simarena backend unavailable: {outcome.unavailable}")
    request.config.hook.pytest_simarena_case_finished(item=request.node, outcome=outcome)
    request.node.stash[OUTCOME_KEY] = outcome
    record_properties(request.node, outcome)
    if outcome.error is not None or outcome.result is None:
        pytest.fail(render_failure(outcome), pytrace=False)
    # Failed expectations of the mark are raised by pytest_runtest_call, so they count as test failures.
    return outcome.result
