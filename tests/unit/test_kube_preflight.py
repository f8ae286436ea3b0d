"""Preflight: one clear message and a fix per failure, documented exit codes, RBAC verdicts (issue 7)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from kube_http import Endpoint, Recorded, closed_port, endpoint, status_body, write_kubeconfig

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.backends.kube import preflight as P
from pytest_simarena.backends.kube.config import KubeConfigError, resolve_target
from pytest_simarena.cli import main


@pytest.fixture
def no_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """An environment with no kubeconfig anywhere and no in-cluster service account."""
    home = tmp_path / "home"
    home.mkdir()
    for var in ("KUBECONFIG", "KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT", "SIMARENA_KUBE_MODE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HOME", str(home))
    return {"HOME": str(home)}


# ------------------------------------------------------------------------------ kubeconfig problems


def test_no_kubeconfig(no_env: dict[str, str]) -> None:
    report = P.preflight(mode="direct", environ=no_env)
    assert report.exit_code == P.EXIT_NO_CONFIG == 3
    (check,) = report.checks
    home = no_env["HOME"]
    assert check.name == "kubeconfig" and not check.ok
    assert check.message == (
        f"no kubeconfig: {home}/.kube/config (the default location) does not exist "
        "and this is not a pod with a service account"
    )
    assert check.fix.startswith("scripts/kind-up.sh")


def test_closed_port(tmp_path: Path, no_env: dict[str, str]) -> None:
    port = closed_port()
    kc = write_kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{port}", context="kind-simarena")
    report = P.preflight(str(kc), mode="simkube", environ=no_env)
    assert report.exit_code == P.EXIT_UNREACHABLE == 4
    assert [c.name for c in report.checks] == ["kubeconfig", "api"]
    assert report.checks[0].ok
    api = report.checks[1]
    assert api.message == f"cannot reach the API server at https://127.0.0.1:{port} (connection refused)"
    assert api.fix.startswith("kubectl cluster-info")


def test_bad_context_suggests_the_close_one(tmp_path: Path, no_env: dict[str, str]) -> None:
    kc = write_kubeconfig(tmp_path / "kc", "https://127.0.0.1:1", context="kind-simarena")
    report = P.preflight(str(kc), "kind-simarna", environ=no_env)
    assert report.exit_code == 3
    (check,) = report.checks
    assert check.message == (
        f"context 'kind-simarna' is not in kubeconfig {kc} (its contexts: kind-simarena); "
        "did you mean 'kind-simarena'?"
    )
    assert check.fix == f"kubectl config get-contexts --kubeconfig {kc}"


def test_invalid_yaml_names_the_file_and_line(tmp_path: Path, no_env: dict[str, str]) -> None:
    kc = tmp_path / "kc"
    kc.write_text("apiVersion: v1\ncontexts: [\n  - oops: [\n")
    with pytest.raises(KubeConfigError, match=rf"kubeconfig {kc}:\d+: not valid YAML"):
        resolve_target(kc, environ=no_env)


def test_missing_explicit_file_and_missing_current_context(tmp_path: Path, no_env: dict[str, str]) -> None:
    with pytest.raises(KubeConfigError, match=r"kubeconfig .*nope does not exist"):
        resolve_target(tmp_path / "nope", environ=no_env)
    kc = tmp_path / "kc"
    kc.write_text("apiVersion: v1\ncontexts: [{name: a, context: {cluster: c, user: u}}]\n")
    with pytest.raises(KubeConfigError, match="has no current-context and no --context was given") as info:
        resolve_target(kc, environ=no_env)
    assert "use-context" in info.value.fix


def test_a_context_pointing_at_a_missing_cluster_cannot_be_loaded(
    tmp_path: Path, no_env: dict[str, str]
) -> None:
    kc = tmp_path / "kc"
    kc.write_text(
        "apiVersion: v1\ncurrent-context: a\ncontexts: [{name: a, context: {cluster: gone, user: u}}]\n"
    )
    report = P.preflight(str(kc), environ=no_env)
    assert report.exit_code == 3
    assert report.checks[0].message.startswith(f"context 'a' of {kc}: cannot be loaded (")


def test_kubeconfig_env_lists_several_files_like_kubectl(tmp_path: Path, no_env: dict[str, str]) -> None:
    a = write_kubeconfig(tmp_path / "a", "https://127.0.0.1:1", context="first")
    b = write_kubeconfig(tmp_path / "b", "https://127.0.0.1:2", context="second")
    env = {**no_env, "KUBECONFIG": f"{tmp_path / 'missing'}:{a}:{b}"}
    target = resolve_target(environ=env)
    assert target.files == (str(a), str(b)) and target.context == "first"
    assert resolve_target(context="second", environ=env).context == "second"


def test_in_cluster_config_is_used_only_without_a_kubeconfig(tmp_path: Path, no_env: dict[str, str]) -> None:
    token = tmp_path / "token"
    token.write_text("x")
    env = {**no_env, "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443"}
    assert resolve_target(environ=env, token=token).in_cluster
    with pytest.raises(KubeConfigError):
        resolve_target(environ=env, token=tmp_path / "no-token")


# ---------------------------------------------------------------------------------------- RBAC


def test_rbac_verdicts() -> None:
    access = P.Access("delete", "", "namespaces")
    assert P.interpret_review(access, {"status": {"allowed": True}}).allowed
    no_opinion = P.interpret_review(access, {"status": {"allowed": False}})
    assert not no_opinion.allowed and no_opinion.why == "no RBAC rule allows it"
    denied = P.interpret_review(
        access,
        {"status": {"allowed": False, "denied": True, "reason": "denied by policy", "evaluationError": "x"}},
    )
    assert not denied.allowed and denied.why == "denied by policy; x"
    # an authorizer that both allows and denies: deny wins
    assert not P.interpret_review(access, {"status": {"allowed": True, "denied": True}}).allowed
    assert not P.interpret_review(access, {}).allowed


def test_rbac_check_lists_what_is_missing_and_how_to_check_it() -> None:
    ok = P.AccessVerdict(P.Access("list", "", "pods"), True)
    bad = P.AccessVerdict(P.Access("create", "simkube.io", "simulations"), False, "no RBAC rule allows it")
    check = P.rbac_check([ok, bad])
    assert not check.ok
    assert check.message == "not allowed: create simulations.simkube.io (no RBAC rule allows it)"
    assert check.fix.startswith("kubectl auth can-i create simulations.simkube.io --all-namespaces;")
    assert P.rbac_check([ok]).ok


def test_requirements_per_mode() -> None:
    direct = {a.describe() for a in P.rbac_requirements("direct")}
    simkube = {a.describe() for a in P.rbac_requirements("simkube")}
    assert {"patch deployments.apps", "delete namespaces", "create namespaces", "list pods"} <= direct
    assert {"create simulations.simkube.io", "delete simulations.simkube.io", "list nodes"} <= simkube
    assert "create namespaces" not in simkube  # the driver creates the virtual namespaces
    with pytest.raises(ValueError, match="mode 'both'"):
        P.rbac_requirements("both")


# --------------------------------------------------------------------------------------- nodes


def _embedded_nodes() -> list[dict[str, Any]]:
    return EmbeddedCluster().observe("virtual").nodes


def test_the_embedded_default_nodes_pass_the_virtual_node_check() -> None:
    check = P.virtual_nodes_check(_embedded_nodes())
    assert check.ok and check.message == "3 type=virtual node(s): 16 cpu / 32Gi / 110 pods"
    assert not P.virtual_nodes_check([]).ok
    assert "--nodes-only" in P.virtual_nodes_check([]).fix


def test_not_ready_and_untainted_nodes_are_reported() -> None:
    nodes = _embedded_nodes()
    nodes[0]["status"]["conditions"][0]["status"] = "False"
    check = P.virtual_nodes_check(nodes)
    assert not check.ok and "NotReady: kwok-node-0" in check.message
    nodes = _embedded_nodes()
    nodes[1]["spec"]["taints"] = []
    check = P.virtual_nodes_check(nodes)
    assert check.ok and "without the kwok-provider taint: kwok-node-1" in check.message


# ---------------------------------------------------------------------- against an HTTP endpoint


def _review(denied: set[str]) -> Any:
    def answer(req: Recorded) -> tuple[int, Any]:
        attrs = req.body["spec"]["resourceAttributes"]
        allowed = f"{attrs['verb']} {attrs['resource']}" not in denied
        return 201, {**req.body, "status": {"allowed": allowed}}

    return answer


def _cluster(ep: Endpoint, *, denied: set[str], nodes: list[Any]) -> None:
    ep.on("GET", "/version", (200, {"gitVersion": "v1.31.0"}))
    ep.on("GET", "/apis", (200, {"kind": "APIGroupList", "groups": []}))
    ep.on("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", _review(denied))
    ep.on("GET", "/api/v1/nodes", (200, {"items": nodes}))


def test_a_reachable_cluster_missing_rbac_and_nodes_is_not_ready(
    tmp_path: Path, no_env: dict[str, str]
) -> None:
    with endpoint() as ep:
        _cluster(ep, denied={"delete namespaces"}, nodes=[])
        report = P.preflight(str(write_kubeconfig(tmp_path / "kc", ep.url)), mode="direct", environ=no_env)
        assert report.exit_code == P.EXIT_NOT_READY == 1
        by_name = {c.name: c for c in report.checks}
        assert by_name["api"].message == f"API server {ep.url} answers (v1.31.0)"
        assert by_name["credentials"].ok
        assert by_name["rbac"].message == "not allowed: delete namespaces (no RBAC rule allows it)"
        assert not by_name["nodes"].ok
        reviews = [r for r in ep.requests if r.path.endswith("selfsubjectaccessreviews")]
        assert len(reviews) == len(P.rbac_requirements("direct"))
        assert ep.requests[-1].query == {"labelSelector": ["type=virtual"]}


def test_a_ready_cluster_passes_in_direct_mode(tmp_path: Path, no_env: dict[str, str]) -> None:
    with endpoint() as ep:
        _cluster(ep, denied=set(), nodes=_embedded_nodes())
        report = P.preflight(str(write_kubeconfig(tmp_path / "kc", ep.url)), mode="direct", environ=no_env)
        assert report.exit_code == 0 and report.ok
        assert [c.name for c in report.checks] == ["kubeconfig", "api", "credentials", "rbac", "nodes"]


def test_simkube_mode_checks_crd_controller_cert_manager_and_monitoring(
    tmp_path: Path, no_env: dict[str, str]
) -> None:
    with endpoint() as ep:
        _cluster(ep, denied=set(), nodes=_embedded_nodes())
        ep.on(
            "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/simulations.simkube.io", (200, {})
        )
        ep.on(
            "GET",
            "/apis/apps/v1/namespaces/simkube/deployments/sk-ctrl-depl",
            (200, {"status": {"readyReplicas": 1}}),
        )
        report = P.preflight(str(write_kubeconfig(tmp_path / "kc", ep.url)), mode="simkube", environ=no_env)
        by_name = {c.name: c for c in report.checks}
        assert report.exit_code == 1
        assert by_name["simkube-crd"].ok and by_name["simkube-controller"].ok
        assert by_name["cert-manager"].message == "cert-manager not installed"
        assert "cert-manager.yaml" in by_name["cert-manager"].fix
        assert by_name["metrics-namespace"].fix == "kubectl create namespace monitoring"


def test_rejected_credentials(tmp_path: Path, no_env: dict[str, str]) -> None:
    with endpoint() as ep:
        ep.on("GET", "/version", (200, {"gitVersion": "v1.31.0"}))
        ep.on("GET", "/apis", (401, status_body(401, "Unauthorized", "Unauthorized")))
        report = P.preflight(str(write_kubeconfig(tmp_path / "kc", ep.url)), environ=no_env)
        assert report.exit_code == 4
        assert report.checks[-1].message.endswith("are rejected (401 Unauthorized)")


# ------------------------------------------------------------------------------------------- CLI


def test_cli_no_kubeconfig_one_message_no_traceback(
    no_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["preflight"]) == 3
    out, err = capsys.readouterr()
    assert out == ""
    lines = err.splitlines()
    assert lines[0].startswith("FAIL kubeconfig: no kubeconfig: ")
    assert lines[1].startswith("     fix: scripts/kind-up.sh")
    assert len(lines) == 2 and "Traceback" not in err


def test_cli_closed_port_and_bad_context(
    tmp_path: Path, no_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    port = closed_port()
    kc = write_kubeconfig(tmp_path / "kc", f"https://127.0.0.1:{port}", context="kind-simarena")
    assert main(["preflight", "--kubeconfig", str(kc), "--kube-mode", "direct"]) == 4
    out, err = capsys.readouterr()
    assert out == f"ok   kubeconfig: context 'kind-simarena' of {kc} -> https://127.0.0.1:{port}\n"
    assert err.splitlines()[0] == (
        f"FAIL api: cannot reach the API server at https://127.0.0.1:{port} (connection refused)"
    )
    assert main(["preflight", "--kubeconfig", str(kc), "--context", "prod"]) == 3
    out, err = capsys.readouterr()
    assert (
        err.splitlines()[0]
        == f"FAIL kubeconfig: context 'prod' is not in kubeconfig {kc} (its contexts: kind-simarena)"
    )
    assert main(["preflight", "--kubeconfig", str(kc), "--json"]) == 4
    data = json.loads(capsys.readouterr().out)
    assert data["exitCode"] == 4 and data["mode"] == "simkube"
    assert [c["ok"] for c in data["checks"]] == [True, False]


def test_cli_bad_mode_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["preflight", "--kube-mode", "sideways"])
    assert info.value.code == 2
    assert (
        "argument --kube-mode: 'sideways' is not known; use one of simkube, direct" in capsys.readouterr().err
    )


def test_cli_parity_without_a_cluster_says_so_in_one_line(
    no_env: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    trace = Path(__file__).resolve().parents[2] / "traces" / "canonical" / "mixed.sktrace"
    assert main(["parity", str(trace)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("simarena parity: no cluster to compare with: no kubeconfig: ")
