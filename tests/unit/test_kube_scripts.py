"""scripts/kind-up.sh makes the virtual nodes of the embedded default cluster (issue 7 "Setup for users")."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.backends.kube.parity import spec_from_nodes
from pytest_simarena.backends.kube.preflight import virtual_nodes_check

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is needed to run the scripts")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPTS / "kind-up.sh"), *args], capture_output=True, text=True, timeout=30
    )


def test_kind_up_nodes_are_the_embedded_default_nodes() -> None:
    done = _run("--print-nodes")
    assert done.returncode == 0, done.stderr
    nodes = [n for n in yaml.safe_load_all(done.stdout) if n]
    assert [n["metadata"]["name"] for n in nodes] == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    assert all(
        n["metadata"]["annotations"] == {"kwok.x-k8s.io/node": "fake"} for n in nodes
    )  # KWOK manages them
    embedded = EmbeddedCluster(ClusterSpec.default()).observe("x").nodes
    assert spec_from_nodes(nodes) == spec_from_nodes(embedded)
    assert virtual_nodes_check(nodes).message == "3 type=virtual node(s): 16 cpu / 32Gi / 110 pods"


def test_kind_up_node_shape_options() -> None:
    done = _run(
        "--print-nodes", "--nodes", "2", "--node-cpu", "8", "--node-memory", "16Gi", "--node-pods", "50"
    )
    nodes = [n for n in yaml.safe_load_all(done.stdout) if n]
    assert len(nodes) == 2
    assert nodes[1]["status"]["allocatable"] == {"cpu": "8", "memory": "16Gi", "pods": "50"}


def test_kind_up_rejects_unknown_options_in_one_line() -> None:
    done = _run("--frobnicate")
    assert done.returncode == 1
    assert done.stderr == "kind-up: unknown option --frobnicate (see --help)\n"
