"""The plugin's hooks: each one decides *whether* to act and hands the work to a library object.

Modelled on pytest-xdist (thin hooks, plugin objects registered only when needed) and tavern (scenario
files collected through ``pytest_collect_file``).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from . import settings as settings_mod
from .state import STATE_KEY, SessionState, worker_id
from .wire import BATCH, PACKED, HeldEvents, pack, receiver, unpack

if TYPE_CHECKING:
    from collections.abc import Generator


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import newhooks

    pluginmanager.add_hookspecs(newhooks)


def pytest_addoption(parser: pytest.Parser) -> None:
    settings_mod.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    from .process import unfreeze_after

    unfreeze_after(config)  # first: its cleanup must be registered before pytest's (process.py)
    config.addinivalue_line(
        "markers",
        "simarena(traces, policies, **options): run each trace x policy episode and pass it to the test "
        "as the simarena_result fixture (options as in a scenario file: max_steps, reward, seeds, ...)",
    )
    config.addinivalue_line("markers", "simarena_scenario: a test collected from a simarena scenario file")
    resolved = settings_mod.resolve(config)
    config.stash[STATE_KEY] = SessionState(resolved, worker=worker_id(config))
    workerinput = getattr(config, "workerinput", None)
    if isinstance(workerinput, dict) and workerinput.get(BATCH):
        _hold_test_events(config)
    if workerinput is None:
        # Only the controller (or a plain run) aggregates results and writes the reports.
        from .report import HtmlHooks, ResultsReporter

        reporter = ResultsReporter(config)
        config.pluginmanager.register(reporter, "simarena-reporter")
        if config.pluginmanager.hasplugin("html"):
            config.pluginmanager.register(HtmlHooks(reporter), "simarena-html")


def _hold_test_events(config: pytest.Config) -> None:
    """In an xdist worker whose controller unpacks batches: a test's events go out as one message once
    this process runs scenario cases (wire.py)."""
    from .process import is_scenario_process

    for plugin in config.pluginmanager.get_plugins():
        send = getattr(plugin, "sendevent", None)
        if type(plugin).__name__ == "WorkerInteractor" and callable(send):
            plugin.sendevent = HeldEvents(send, lambda: is_scenario_process(config))
            return


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    # xdist's controller, before it starts a worker: offer batched test events and unpack them (wire.py).
    node.workerinput[BATCH] = True
    node.process_from_remote = receiver(node.process_from_remote)


def pytest_sessionfinish(session: pytest.Session) -> None:
    from .process import is_scenario_process, skip_idle_hypothesis_summary

    if is_scenario_process(session.config):
        skip_idle_hypothesis_summary(session.config)


def pytest_unconfigure(config: pytest.Config) -> None:
    from .process import restore_gc

    restore_gc(config)
    state = config.stash.get(STATE_KEY, None)
    if state is not None:
        state.close()


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    from .process import freeze_collected

    freeze_collected(session.config)


def pytest_report_header(config: pytest.Config) -> str | None:
    state = config.stash.get(STATE_KEY, None)
    return settings_mod.header(state.settings) if state is not None else None


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    state = parent.config.stash.get(STATE_KEY, None)
    if state is None or file_path.suffix not in (".yaml", ".yml"):
        return None
    patterns = state.settings.scenario_glob
    # PurePath.match matches from the right: "scenarios/*.yaml" matches any .../scenarios/x.yaml.
    if not any(file_path.match(p) for p in patterns):
        return None
    from .collect import ScenarioFile

    return ScenarioFile.from_parent(parent, path=file_path)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    marker = metafunc.definition.get_closest_marker("simarena")
    if marker is None:
        return
    if "simarena_case" not in metafunc.fixturenames:
        pytest.fail(
            f"{metafunc.definition.nodeid}: the simarena mark needs the test to take the simarena_result "
            "(or simarena_case) fixture",
            pytrace=False,
        )
    from .collect import cases_from_marker

    cases = cases_from_marker(metafunc.definition, marker)
    metafunc.parametrize("simarena_case", cases, ids=[c.param_id for c in cases])


@pytest.hookimpl(wrapper=True)
def pytest_report_to_serializable(config: pytest.Config, report: Any) -> Generator[None, Any, Any]:
    data = yield
    if isinstance(data, dict) and isinstance(getattr(config, "workerinput", None), dict):
        from .process import is_scenario_process

        if is_scenario_process(config):
            # An xdist worker of a scenario run sending a report: one JSON text when that carries it
            # exactly (wire.py).
            return pack(data)
    return data


@pytest.hookimpl(tryfirst=True)
def pytest_report_from_serializable(config: pytest.Config, data: dict[str, Any]) -> Any:
    if PACKED not in data:
        return None
    plain = unpack(data)
    if plain is None:
        return None
    return config.hook.pytest_report_from_serializable(config=config, data=plain)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    # A test parametrized by the simarena mark fails on the mark's own expectations (with the step
    # table) before its body runs, as a scenario-file test would.
    from .state import OUTCOME_KEY

    outcome = item.stash.get(OUTCOME_KEY, None)
    if outcome is not None and outcome.failures:
        # Imported only here: in a session without scenarios collect.py (YAML, the trace reader...) is
        # never needed.
        from .collect import ScenarioItem

        if not isinstance(item, ScenarioItem):
            from pytest_simarena.scenario.render import render_failure

            pytest.fail(render_failure(outcome), pytrace=False)
    return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report: pytest.TestReport = yield
    from .fixtures import REPORTS_KEY

    item.stash.setdefault(REPORTS_KEY, {})[report.when] = report
    if call.when == "call" or (call.when == "setup" and report.outcome != "passed"):
        from .report import attach_outcome

        attach_outcome(item, report)
    if call.when == "teardown":
        from .state import OUTCOME_KEY

        # An episode keeps every step's API objects; items live until the session ends, so holding
        # hundreds of them makes every garbage collection slower (measured: a third of a suite's time).
        if OUTCOME_KEY in item.stash:
            del item.stash[OUTCOME_KEY]
    return report
