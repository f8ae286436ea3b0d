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


# ---------------------------------------------------------------- kind-up / kind-down with stub tools

# Stand-ins for kind, kubectl, docker and git: each logs its arguments and keeps the little state the scripts
# read (clusters, the current context, ownership marks per context) in files, as the real tools keep it
# in Docker and the kubeconfig.
_STUBS = {
    "kind": r"""
echo "kind $*" >> "$STUB_DIR/log"
case "$1 $2" in
  "get clusters") cat "$STUB_DIR/clusters" 2>/dev/null || true ;;
  "create cluster") cat >/dev/null; echo "$4" >> "$STUB_DIR/clusters"; echo "kind-$4" > "$STUB_DIR/current" ;;
  "delete cluster") grep -vx "$4" "$STUB_DIR/clusters" > "$STUB_DIR/c.tmp" || true
                    mv "$STUB_DIR/c.tmp" "$STUB_DIR/clusters"; rm -f "$STUB_DIR/mark-kind-$4" ;;
esac
""",
    "kubectl": r"""
echo "kubectl $*" >> "$STUB_DIR/log"
ctx=""; prev=""
for a in "$@"; do [ "$prev" = "--context" ] && ctx="$a"; prev="$a"; done
case " $* " in
  *" config current-context "*) cat "$STUB_DIR/current" 2>/dev/null || exit 1 ;;
  *" config use-context "*) echo "${@: -1}" > "$STUB_DIR/current" ;;
  *" config unset current-context "*) rm -f "$STUB_DIR/current" ;;
  *" get configmap simarena-kind-up "*) [ -n "$ctx" ] && [ -f "$STUB_DIR/mark-$ctx" ] ;;
  *" apply -f - "*) input="$(cat)"
    case "$input" in *"name: simarena-kind-up"*) [ -z "$ctx" ] || touch "$STUB_DIR/mark-$ctx" ;; esac ;;
  *" create namespace "*) echo "apiVersion: v1" ;;
esac
""",
    "docker": 'echo "docker $*" >> "$STUB_DIR/log"\n',
    "git": 'echo "git clone" >> "$STUB_DIR/log"; mkdir -p "${@: -1}"\n',
}


@pytest.fixture
def stubs(tmp_path: Path) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name, body in _STUBS.items():
        path = bin_dir / name
        path.write_text("#!/usr/bin/env bash\n" + body, encoding="utf-8")
        path.chmod(0o755)
    (tmp_path / "current").write_text("users-prod\n", encoding="utf-8")  # the user's current context
    return tmp_path


def _script(stub_dir: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": f"{stub_dir / 'bin'}:/usr/bin:/bin",
        "STUB_DIR": str(stub_dir),
        "HOME": str(stub_dir),
        "KWOK_VERSION": "v0.7.0",
        "SIMARENA_TRACE_DIR": str(stub_dir / "traces"),
    }
    return subprocess.run(
        ["bash", str(SCRIPTS / script), *args], capture_output=True, text=True, timeout=30, env=env
    )


def _log(stub_dir: Path) -> list[str]:
    return (stub_dir / "log").read_text(encoding="utf-8").splitlines()


def _cluster_calls(stub_dir: Path) -> list[str]:
    """kubectl calls that talk to a cluster (everything but reading and restoring the kubeconfig)."""
    return [c for c in _log(stub_dir) if c.startswith("kubectl") and " config " not in c]


def test_kind_up_marks_what_it_creates_and_leaves_the_current_context(stubs: Path) -> None:
    done = _script(stubs, "kind-up.sh", "--simkube")
    assert done.returncode == 0, done.stderr
    assert (stubs / "current").read_text().strip() == "users-prod"  # kind switched it; it was put back
    assert (stubs / "mark-kind-simarena").exists()
    calls = _cluster_calls(stubs)
    assert calls and all(c.startswith("kubectl --context kind-simarena ") for c in calls), calls
    assert "kind create cluster --name simarena --wait 120s --config -" in _log(stubs)
    down = _script(stubs, "kind-down.sh")
    assert down.returncode == 0, down.stderr
    assert "kind delete cluster --name simarena" in _log(stubs)
    assert (stubs / "current").read_text().strip() == "users-prod"


def test_kind_down_never_deletes_a_cluster_kind_up_only_reused(stubs: Path) -> None:
    (stubs / "clusters").write_text("simarena\n", encoding="utf-8")  # the user's own cluster of that name
    done = _script(stubs, "kind-up.sh")
    assert done.returncode == 0, done.stderr
    assert "reusing it (it gets no ownership mark" in done.stdout
    assert not (stubs / "mark-kind-simarena").exists()
    down = _script(stubs, "kind-down.sh")
    assert down.returncode == 1
    assert "cluster simarena was not created by kind-up.sh" in down.stderr
    assert "kind delete cluster --name simarena" in down.stderr  # the command, for the user to decide
    assert not [c for c in _log(stubs) if c.startswith("kind delete")]
    assert (stubs / "current").read_text().strip() == "users-prod"


def test_nodes_only_needs_an_explicit_context_and_uses_only_it(stubs: Path) -> None:
    refused = _script(stubs, "kind-up.sh", "--nodes-only")
    assert refused.returncode == 1
    assert refused.stderr.startswith("kind-up: --nodes-only needs --context NAME")
    assert not (stubs / "log").exists()  # nothing was contacted
    done = _script(stubs, "kind-up.sh", "--nodes-only", "--context", "staging")
    assert done.returncode == 0, done.stderr
    assert _log(stubs) == ["kubectl --context staging apply -f -"]
    assert (stubs / "current").read_text().strip() == "users-prod"
