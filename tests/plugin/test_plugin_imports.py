"""Importing the plugin (what every pytest process and each xdist worker does at start-up) stays light."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Imported only by the hooks and fixtures that use them, never by ``import pytest_simarena.plugin``.
HEAVY = (
    "numpy",
    "rich",
    "gymnasium",
    "kubernetes",
    "matplotlib",
    "yaml",
    "jsonschema",
    "msgpack",
    "msgspec",
    "cryptography",
    "mcp",
    "pytest_html",
    "pytest_simarena.backends",
    "pytest_simarena.episode",
    "pytest_simarena.trace",
    "pytest_simarena.report",
    "pytest_simarena.scenario.run",
)


def test_importing_the_plugin_imports_no_engine_and_no_heavy_library() -> None:
    code = (
        "import sys, json, pytest\n"
        "before = set(sys.modules)\n"
        "import pytest_simarena.plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = json.loads(out)
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
    assert "pytest_simarena.plugin" in loaded  # the probe saw the import happen


# What a scenario session needs and a session of plain tests never should (the plugin is loaded in both).
SCENARIO_ONLY = (
    "yaml",
    "jsonschema",
    "msgspec",
    "msgpack",
    "pytest_simarena.trace",
    "pytest_simarena.backends",
)


def test_a_session_of_plain_tests_imports_nothing_scenarios_need(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        "import json, sys\n\n"
        "def pytest_unconfigure(config):\n"
        "    (config.rootpath / 'modules.json').write_text(json.dumps(sorted(sys.modules)))\n"
    )
    pytester.makepyfile("def test_plain():\n    assert True\n\ndef test_fails():\n    assert False\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "0")
    result.assert_outcomes(passed=1, failed=1)
    loaded = json.loads((pytester.path / "modules.json").read_text())
    assert "pytest_simarena.plugin" in loaded
    assert [m for m in loaded if any(m == h or m.startswith(h + ".") for h in SCENARIO_ONLY)] == []
