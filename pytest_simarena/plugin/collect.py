"""Scenario files as pytest collectors (as tavern collects YAML), and the ``simarena`` mark's cases."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_simarena.errors import ScenarioError, SimArenaError
from pytest_simarena.scenario.loader import LoadedFile, check_schema
from pytest_simarena.scenario.model import Context, ScenarioCase, expand, safe_id

from .process import scenario_process
from .state import OUTCOME_KEY, STATE_KEY

if TYPE_CHECKING:
    from pytest_simarena.scenario.run import CaseOutcome

    from .settings import ResolvedSettings


def scenario_context(settings: ResolvedSettings) -> Context:
    """Lookup context for expansion: trace folders and the policy registry (when it is importable)."""
    builtin: tuple[str, ...] = ()
    checker = None
    try:
        from pytest_simarena.policies import registry
    except ImportError:  # the registry is optional for collection; names are then checked when run
        pass
    else:
        builtin = tuple(registry.BUILTIN_POLICIES)
        known = registry.available_policies()

        def checker(name: str, base: Path) -> None:
            if name.startswith(registry.RL_PREFIX):
                try:
                    registry.check_policy_name(name)
                except SimArenaError as exc:
                    raise LookupError(str(exc)) from None
            elif ":" in name:
                # A user's module beside the scenario file or in the rootdir imports without PYTHONPATH.
                try:
                    registry.load_object(name, what="policy", search=(base, settings.rootpath))
                except SimArenaError as exc:
                    raise LookupError(str(exc)) from None
            elif name not in known:
                from pytest_simarena.errors import UnknownNameError

                raise UnknownNameError("policy", name, known)

    return Context(
        rootpath=settings.rootpath,
        trace_dirs=tuple(settings.trace_dir_paths()),
        builtin_policies=builtin,
        check_policy=checker,
    )


class ScenarioFailed(Exception):
    """A scenario's expectations were not met (rendered by ScenarioItem.repr_failure)."""

    def __init__(self, outcome: CaseOutcome) -> None:
        super().__init__("; ".join(outcome.failures) or outcome.error or "failed")
        self.outcome = outcome


class ScenarioFile(pytest.File):
    """A scenario YAML file: one item per trace x policy (x seed) of each scenario."""

    def collect(self) -> list[pytest.Item]:
        from pytest_simarena.scenario.loader import load_file

        state = self.config.stash[STATE_KEY]
        scenario_process(self.config)
        checked = state.checked_files(self.config)
        try:
            loaded = load_file(self.path, valid=checked.known)
            checked.add(loaded.schema_key)
            if state.context is None:  # one per session: it lists the installed policies
                state.context = scenario_context(state.settings)
            scenarios = expand(loaded, state.context)
        except ScenarioError as exc:
            # A broken scenario file must not stop the other files from running (exit status stays
            # non-zero): the documented --continue-on-collection-errors behaviour, switched on here only.
            self.config.option.continue_on_collection_errors = True
            # CollectError renders as its message only: "scenarios/x.yaml:12: scenarios[0].expect: ...".
            raise self.CollectError(self._rel(str(exc))) from None
        items: list[pytest.Item] = []
        for scenario in scenarios:
            for case in scenario.cases:
                item = ScenarioItem.from_parent(self, name=f"{case.scenario}[{case.param_id}]", case=case)
                items.append(item)
        return items

    def _rel(self, message: str) -> str:
        # Paths relative to the rootdir read better (and match what pytest prints for the file).
        absolute = str(self.path)
        try:
            rel = str(self.path.relative_to(self.config.rootpath))
        except ValueError:
            return message
        return message.replace(absolute, rel)


def apply_marks(item: pytest.Item, case: ScenarioCase) -> None:
    item.add_marker(pytest.mark.simarena_scenario)
    for spec in case.marks:
        item.add_marker(getattr(pytest.mark, spec.name)(*spec.args, **dict(spec.kwargs)))


class ScenarioItem(pytest.Item):
    """One case: runs the episode and judges it; failures render as the episode's step table."""

    def __init__(self, *, case: ScenarioCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        apply_marks(self, case)

    def runtest(self) -> None:
        from pytest_simarena.scenario.run import run_case

        state = self.config.stash[STATE_KEY]
        prefix = state.case_prefix(self.case.test_id)
        # The run folder (one trace file per step, fsynced) is written only when asked for: it costs
        # more than the episode itself.
        run_dir = state.settings.run_dir
        workdir = state.settings.path("run_dir") / safe_id(self.case.test_id) if run_dir else None
        outcome = run_case(
            self.case, pool=state.pool, config=state.run_config(), prefix=prefix, workdir=workdir
        )
        if outcome.unavailable is not None:
            pytest.skip(f"simarena backend unavailable: {outcome.unavailable}")
        self.config.hook.pytest_simarena_case_finished(item=self, outcome=outcome)
        self.stash[OUTCOME_KEY] = outcome
        from .report import record_properties

        record_properties(self, outcome)
        if not outcome.passed:
            raise ScenarioFailed(outcome)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> Any:
        state = self.config.stash[STATE_KEY]
        if isinstance(excinfo.value, ScenarioFailed) and not state.settings.full_trace:
            from pytest_simarena.scenario.render import render_failure

            return render_failure(excinfo.value.outcome)
        if isinstance(excinfo.value, SimArenaError) and not state.settings.full_trace:
            return f"{type(excinfo.value).__name__}: {excinfo.value}"
        return super().repr_failure(excinfo, style=style)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # The domain is the item name: pytest shows "<file>::<domain>" and turns dots before "[" into "::".
        return self.path, self.case.line - 1, self.name


def cases_from_marker(definition: pytest.Item, marker: pytest.Mark) -> list[ScenarioCase]:
    """Cases for ``@pytest.mark.simarena(traces, policies, **options)``; misuse fails collection clearly."""
    __tracebackhide__ = True
    state = definition.config.stash[STATE_KEY]
    scenario_process(definition.config)
    raw: dict[str, Any] = dict(marker.kwargs)
    names = ("traces", "policies")
    if len(marker.args) > len(names):
        pytest.fail(
            f"{definition.nodeid}: simarena mark takes at most 2 positional arguments (traces, policies)",
            pytrace=False,
        )
    for name, value in zip(names, marker.args, strict=False):
        raw[name] = value
    for name in names:
        if isinstance(raw.get(name), str | Path):
            raw[name] = [str(raw[name])] if name == "traces" or raw[name] != "all" else raw[name]
    if "traces" in raw:
        raw["traces"] = [str(t) for t in raw["traces"]]
    raw.setdefault("name", getattr(definition, "originalname", definition.name))
    path = Path(str(definition.path))
    line = (definition.reportinfo()[1] or 0) + 1
    loaded = LoadedFile(path, {"scenarios": [raw]}, {(): line})
    try:
        check_schema(loaded)
        (scenario,) = expand(loaded, scenario_context(state.settings))
    except ScenarioError as exc:
        problem = str(exc).replace("scenarios[0].", "simarena mark: ")
    else:
        return list(scenario.cases)
    # Failing outside the except block: inside it pytest would also print the ScenarioError as the context.
    pytest.fail(problem, pytrace=False)
