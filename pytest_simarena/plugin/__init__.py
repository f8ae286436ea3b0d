"""The pytest plugin (entry point ``pytest11: simarena``).

Import-light on purpose: this module pulls in only the hooks and fixtures; the episode loop, the
simulator, YAML and jsonschema are imported inside the hooks and fixtures that need them.
"""

from __future__ import annotations

from .fixtures import (  # noqa: F401 - pytest finds fixtures by name in this module
    EpisodeRunner,
    Namespace,
    simarena_case,
    simarena_cluster,
    simarena_episode,
    simarena_max_steps,
    simarena_namespace,
    simarena_result,
    simarena_reward,
    simarena_runner,
    simarena_seed,
    simarena_settings,
    simarena_step_duration,
    simarena_step_seconds,
    simarena_steps,
    simarena_trace,
    simarena_worker_id,
)
from .hooks import (  # noqa: F401 - pytest finds hooks by name in this module
    pytest_addhooks,
    pytest_addoption,
    pytest_collect_file,
    pytest_collection_finish,
    pytest_configure,
    pytest_configure_node,
    pytest_generate_tests,
    pytest_report_from_serializable,
    pytest_report_header,
    pytest_report_to_serializable,
    pytest_runtest_call,
    pytest_runtest_makereport,
    pytest_sessionfinish,
    pytest_unconfigure,
)
from .marks import scenarios as scenarios

__all__ = [
    "EpisodeRunner",
    "Namespace",
    "scenarios",
]
