"""The ``kubernetesVersion`` cluster setting: where it is taken, how a bad value reads, what it changes.

The per-version texts themselves are fidelity rows (tests/fidelity, cited from Kubernetes source); here
the setting reaches the simulator from every place a cluster is chosen.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest
from api_helpers import needs_kubectl, served
from test_embedded_kit import deployment, pods_of, run, trace

from pytest_simarena.backends.embedded import ClusterSpec
from pytest_simarena.backends.embedded.versions import DEFAULT, SUPPORTED, check_version
from pytest_simarena.backends.registry import make_backend
from pytest_simarena.cli import main
from pytest_simarena.cli.options import add_settings, cluster_settings
from pytest_simarena.cli.simulate_cmd import build_spec
from pytest_simarena.errors import SimArenaError
from pytest_simarena.scenario.run import ClusterPool, cluster_for
from pytest_simarena.settings import ClusterSettings, SettingError

ROOT = Path(__file__).resolve().parents[2]
SLIGHT = str(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")


def _message(spec: ClusterSpec | None) -> str:
    # 17 cpu on 16-cpu nodes: every node is too small (the larger-than-node case).
    _, snap = run(trace((0, [deployment(cpu="17", memory="1Gi")])), 30, spec)
    (cond,) = pods_of(snap, "web-")[0]["status"]["conditions"]
    return str(cond["message"])


def test_supported_range_and_default() -> None:
    assert SUPPORTED[0] == "1.33"
    assert DEFAULT in SUPPORTED
    assert [check_version(v) for v in ("1.34", "v1.34", "v1.34.2", "1.34.0-eks.1")] == [
        "1.34",
        "1.34",
        "1.34.2",
        "1.34.0",
    ]


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("1.32", "kubernetes_version='1.32': Kubernetes 1.32 is not supported; use one of 1.33, 1.34"),
        ("latest", "kubernetes_version='latest': 'latest' is not a Kubernetes version; use one of 1.33"),
    ],
)
def test_a_bad_value_is_one_line_naming_the_supported_versions(value: str, said: str) -> None:
    with pytest.raises(SettingError) as err:
        ClusterSettings(kubernetes_version=value)
    assert str(err.value).startswith(said) and "\n" not in str(err.value)
    assert str(err.value).endswith(", ".join(SUPPORTED))


def test_the_version_goes_with_a_cluster_file_or_node_options(tmp_path: Path) -> None:
    # Unlike the node options, the version does not pick a cluster: it combines with a file.
    settings = ClusterSettings(file=str(tmp_path / "c.yaml"), kubernetes_version="1.34")
    assert settings.is_default is False and settings.uniform() is None
    assert ClusterSettings(kubernetes_version="1.34").is_default is True
    assert ClusterSettings(nodes=2, kubernetes_version="1.35").backend_options("embedded") == {
        "uniform": {"nodes": 2, "cpu": "16", "memory": "32Gi", "pods": 110},
        "kubernetes_version": "1.35",
    }
    assert "kubernetes_version" not in ClusterSettings(kubernetes_version="1.35").backend_options("kube")


def test_cluster_file_version_and_its_errors(tmp_path: Path) -> None:
    good = tmp_path / "c.yaml"
    good.write_text('kubernetesVersion: "1.35"\nnodeGroups: [{name: n, count: 1, cpu: "4", memory: 8Gi}]\n')
    assert ClusterSpec.from_file(good).kubernetes_version == "1.35"
    # The setting (flag, option) is over the file's own.
    assert make_backend("embedded", cluster=str(good), kubernetes_version="1.33").spec.kubernetes_version == (
        "1.33"
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text('kubernetesVersion: "1.20"\nnodeGroups: [{name: n, count: 1, cpu: "4", memory: 8Gi}]\n')
    with pytest.raises(SimArenaError) as err:
        ClusterSpec.from_file(bad)
    assert str(
        err.value
    ) == f"{bad}: kubernetesVersion: Kubernetes 1.20 is not supported; use one of " + ", ".join(SUPPORTED)


def test_the_run_log_records_the_version_and_a_replay_keeps_it() -> None:
    spec = ClusterSpec.default().with_version("1.34")
    assert spec.to_dict()["kubernetesVersion"] == "1.34"
    assert ClusterSpec.from_dict(spec.to_dict()) == spec
    assert ClusterSpec.from_dict({"nodeGroups": spec.to_dict()["nodeGroups"]}).kubernetes_version == DEFAULT


def test_the_selected_version_changes_the_scheduler_texts() -> None:
    old = _message(ClusterSpec.default().with_version("1.33"))
    new = _message(ClusterSpec.default().with_version("1.37"))
    assert old.endswith(
        "preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod."
    )
    assert new.endswith(
        "no new claims to deallocate, preemption: 0/3 nodes are available: "
        "3 Preemption is not helpful for scheduling."
    )


def test_run_takes_the_flag_and_records_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "run",
            SLIGHT,
            "--policy",
            "noop",
            "--steps",
            "1",
            "--kubernetes-version",
            "1.34",
            "--out",
            str(tmp_path),
        ]
    )
    capsys.readouterr()
    assert code == 1
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["options"]["clusterSpec"]["kubernetesVersion"] == "1.34"


def test_run_refuses_an_unsupported_version_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["run", SLIGHT, "--kubernetes-version", "1.30"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert (
        "--kubernetes-version" in err and "1.30 is not supported; use one of " + ", ".join(SUPPORTED) in err
    )


def test_scenario_cluster_section_and_the_plugin_default() -> None:
    from pytest_simarena.scenario.model import _cluster

    alone = _cluster({"kubernetesVersion": "1.34"}, ROOT)
    assert (alone.kind, alone.kubernetes_version) == ("default", "1.34")
    nodes = _cluster({"nodes": 2, "kubernetesVersion": "v1.35.1"}, ROOT)
    assert (nodes.kind, nodes.nodes, nodes.kubernetes_version) == ("uniform", 2, "1.35.1")
    with pytest.raises(LookupError, match=r"kubernetesVersion: Kubernetes 1\.29 is not supported"):
        _cluster({"kubernetesVersion": "1.29"}, ROOT)
    # The case's own version wins; otherwise the plugin's (--simarena-kubernetes-version) applies.
    pool = ClusterPool(kubernetes_version="1.36")
    for choice, version in ((alone, "1.34"), (cluster_for(None, None), "1.36")):
        backend, owned = pool.for_case(choice, 0)
        assert owned and backend.spec.kubernetes_version == version  # type: ignore[attr-defined]
        backend.close()


@needs_kubectl
@pytest.mark.parametrize("version", ["1.33", "1.37"])
def test_kubectl_sees_the_selected_version(version: str) -> None:
    with served(cluster=ClusterSettings(kubernetes_version=version)) as s:
        info = json.loads(s.kubectl("version", "-o", "json").stdout)["serverVersion"]
        assert (info["major"], info["minor"], info["gitVersion"]) == (
            "1",
            version.split(".")[1],
            f"v{version}.0-simarena",
        )
        described = s.kubectl("describe", "pods").stdout
        # slightly-bad-cpu asks 17 cpu of 16-cpu nodes: the texts of the selected version (versions.RULES).
        if version == "1.33":
            assert "3 No preemption victims found for incoming pod." in described
            assert "no new claims to deallocate" not in described
        else:
            assert "no new claims to deallocate, preemption:" in described
            assert "3 Preemption is not helpful for scheduling." in described


def test_docs_table_is_the_modules_rules() -> None:
    from pytest_simarena.backends.embedded.versions import rules_markdown

    text = (ROOT / "docs" / "embedded-cluster.md").read_text(encoding="utf-8")
    begin, end = "<!-- versions-table: begin -->\n", "\n<!-- versions-table: end -->"
    assert text[text.index(begin) + len(begin) : text.index(end)] == rules_markdown(), (
        "docs/embedded-cluster.md's versions table differs from versions.RULES: paste rules_markdown()"
    )


def test_scenario_cluster_map_with_a_file(tmp_path: Path) -> None:
    from pytest_simarena.scenario.model import _cluster

    (tmp_path / "c.yaml").write_text('nodeGroups: [{name: n, count: 1, cpu: "4", memory: 8Gi}]\n')
    chosen = _cluster({"file": "c.yaml", "kubernetesVersion": "1.34"}, tmp_path)
    assert (chosen.kind, chosen.kubernetes_version) == ("file", "1.34")
    assert _cluster({"file": "c.yaml"}, tmp_path).kind == "file"
    with pytest.raises(LookupError, match="file: a cluster file cannot be combined with nodes"):
        _cluster({"file": "c.yaml", "nodes": 2}, tmp_path)


def test_the_learning_env_plays_the_chosen_version() -> None:
    from pytest_simarena.rl.env import LearnEnv

    # cpu-far-over asks 32 cpu of 16-cpu nodes: the observation carries the chosen version's text.
    for version, tail in (("1.33", "3 No preemption victims found"), ("1.34", "3 Preemption is not helpful")):
        env = LearnEnv(
            "family:cpu-far-over", max_steps=1, cluster=ClusterSettings(kubernetes_version=version)
        )
        try:
            _, info = env.reset(seed=3)
        finally:
            env.close()
        text = info["observation"].failed_scheduling
        assert tail in text and ("no new claims to deallocate" in text) == (version != "1.33")


def test_train_and_simulate_take_the_flag() -> None:
    train = argparse.ArgumentParser()
    add_settings(train, "train")
    assert "--kubernetes-version" in train.format_help()
    simulate = argparse.ArgumentParser()
    add_settings(simulate, "simulate")
    args = simulate.parse_args(["--kubernetes-version", "1.36", "--nodes", "2"])
    assert build_spec(cluster_settings(args)).kubernetes_version == "1.36"


def test_the_run_table_shows_only_the_filter_reasons(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    main(["run", SLIGHT, "--policy", "noop", "--steps", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    table = "".join(line for line in out.splitlines() if "│" in line)  # the why column, not the full text
    assert "3 Insufficient cpu" in table and "no new claims" not in table
    assert "step 0 FailedScheduling: 0/3 nodes are available: 3 Insufficient cpu. no new claims" in out


@pytest.mark.parametrize("version", ["1.33", "1.34.1", "1.37"])
@pytest.mark.parametrize("isolated", [False, True])
def test_the_fast_path_speaks_the_clusters_version(version: str, isolated: bool) -> None:
    # backends/embedded/fastpath.py computes covered steps without the scheduler: its FailedScheduling
    # texts must be the engine's for the cluster's version (slightly-bad-cpu: 17 cpu on 16-cpu nodes).
    from pytest_simarena.backends.embedded import EmbeddedCluster
    from pytest_simarena.episode.loop import clear_step_memos, run_episode
    from pytest_simarena.trace.io import load_trace

    texts = []
    for fast in (True, False):
        clear_step_memos()
        cluster = EmbeddedCluster(ClusterSpec.default().with_version(version), seed=0, isolated=isolated)
        cluster.fast = fast
        result = run_episode(load_trace(SLIGHT), "noop", backend=cluster, max_steps=2)
        texts.append([step.observation.failed_scheduling for step in result.steps])
    assert texts[0] == texts[1]
    assert ("no new claims to deallocate" in str(texts[0][0])) == (version != "1.33")


def test_a_case_pinned_to_a_version_cannot_run_on_a_real_cluster() -> None:
    from pytest_simarena.scenario.model import ClusterChoice

    pool = ClusterPool("kube")
    with pytest.raises(SimArenaError) as err:
        pool.get(ClusterChoice("default", kubernetes_version="1.35"))
    assert str(err.value).startswith(
        "cluster default (3 nodes x 16 cpu / 32Gi / 110 pods) at Kubernetes 1.35 can only be simulated"
    )


def test_a_run_log_from_before_versions_replays_under_1_33(tmp_path: Path) -> None:
    # Logs written before clusters had a version carry no kubernetesVersion: they were recorded under
    # the texts the engine printed then, 1.33's (versions.UNRECORDED), and replay that way.
    from pytest_simarena.backends.embedded import EmbeddedCluster
    from pytest_simarena.episode.loop import run_episode
    from pytest_simarena.episode.replay import replay_run
    from pytest_simarena.trace.io import load_trace

    backend = EmbeddedCluster(ClusterSpec.default().with_version("1.33"), seed=2)
    run_episode(load_trace(SLIGHT), "noop", backend=backend, seed=2, max_steps=2, out_dir=tmp_path)
    summary_file = tmp_path / "summary.json"
    summary = json.loads(summary_file.read_text())
    del summary["options"]["clusterSpec"]["kubernetesVersion"]
    summary_file.write_text(json.dumps(summary))
    report = replay_run(tmp_path)
    assert report.reproduced, report.difference
