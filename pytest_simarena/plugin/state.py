"""Per-process plugin state kept in ``config.stash`` (never module globals): settings and clusters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_simarena.scenario.model import Context
    from pytest_simarena.scenario.run import CaseOutcome, ClusterPool, RunConfig

    from .checked import CheckedFiles
    from .settings import ResolvedSettings


def worker_id(config: pytest.Config) -> str:
    """``gw0``, ``gw1``... under xdist, ``master`` otherwise (as xdist's ``worker_id`` fixture says)."""
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict):
        return str(workerinput.get("workerid", "master"))
    return "master"


class SessionState:
    """Settings plus the lazily built cluster pool of this process (one per xdist worker)."""

    def __init__(self, settings: ResolvedSettings, *, worker: str) -> None:
        self.settings = settings
        self.worker = worker
        self._pool: ClusterPool | None = None
        self._run_config: RunConfig | None = None
        self.context: Context | None = None  # the scenario lookup context, built by the first collector
        self._checked: CheckedFiles | None = None

    def checked_files(self, config: pytest.Config) -> CheckedFiles:
        """Scenario files known valid (read from pytest's cache by the first collector; checked.py)."""
        if self._checked is None:
            from .checked import CheckedFiles

            self._checked = CheckedFiles(config)
        return self._checked

    @property
    def pool(self) -> ClusterPool:
        if self._pool is None:
            from pytest_simarena.scenario.run import ClusterPool

            self._pool = ClusterPool(
                self.settings.backend,
                kubeconfig=self.settings.kubeconfig,
                context=self.settings.context,
                kube_mode=self.settings.kube_mode,
                kubernetes_version=self.settings.kubernetes_version,
            )
        return self._pool

    def case_prefix(self, test_id: str) -> str:
        """A test's run prefix. It names the xdist worker only on a cluster the workers share: each
        process has its own embedded cluster, and a prefix that named the worker would reach the event
        messages quoting a namespace, so the report would differ between -n 0 and -n 2."""
        from pytest_simarena.scenario.naming import namespace_name

        shared = self.settings.backend != "embedded"
        return namespace_name(test_id, self.worker if shared else "master")

    def run_config(self) -> RunConfig:
        """The settings every case falls back to (built once: the settings are fixed for the session)."""
        if self._run_config is None:
            from pytest_simarena.scenario.run import RunConfig
            from pytest_simarena.settings import AgentSettings

            s = self.settings
            self._run_config = RunConfig(
                base_seed=s.seed,
                steps=s.max_steps,
                step_duration=s.step_seconds,
                reward=s.reward,
                agents=AgentSettings.from_values(s.values),
            )
        return self._run_config

    def close(self) -> None:
        if self._checked is not None:
            self._checked.save()
            self._checked = None
        if self._pool is not None:
            self._pool.close()
            self._pool = None


STATE_KEY = pytest.StashKey[SessionState]()
# A test's case outcome, kept on its item for the reports (here, below both collect.py and report.py).
OUTCOME_KEY: pytest.StashKey[CaseOutcome] = pytest.StashKey()
