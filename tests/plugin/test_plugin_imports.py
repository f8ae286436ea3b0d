"""Importing the plugin (what every pytest process and each xdist worker does at start-up) stays light."""

from __future__ import annotations

import json
import subprocess
import sys

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
