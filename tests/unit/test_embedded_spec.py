"""Cluster specs (Python, YAML, JSON) and SimKube's virtualization rewrite (simkube.md §3.4, §5)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster, NodeGroup
from pytest_simarena.errors import SimArenaError
from pytest_simarena.trace.virtualize import build_virtual_obj


def test_default_is_three_kwok_virtual_nodes() -> None:
    nodes = EmbeddedCluster().observe(None).nodes
    assert [n["metadata"]["name"] for n in nodes] == ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    for node in nodes:
        assert node["status"]["allocatable"] == {"cpu": "16", "memory": "32Gi", "pods": "110"}
        assert node["status"]["capacity"] == node["status"]["allocatable"]
        assert node["metadata"]["labels"]["type"] == "virtual"
        assert node["spec"]["taints"] == [{"key": "kwok-provider", "value": "true", "effect": "NoSchedule"}]


def test_yaml_and_json_files_with_allocatable_override(tmp_path: Path) -> None:
    yaml_file = tmp_path / "cluster.yaml"
    yaml_file.write_text(
        "nodeGroups:\n"
        "  - name: big\n    count: 2\n    cpu: '32'\n    memory: 64Gi\n    pods: 50\n"
        "    labels: {type: virtual}\n    taints: ['kwok-provider=true:NoSchedule']\n"
        "    allocatable: {cpu: 31500m}\n"
        "  - name: edge\n    count: 1\n    cpu: 4\n    memory: 8Gi\n"
    )
    spec = ClusterSpec.from_file(yaml_file)
    nodes = EmbeddedCluster(spec).observe(None).nodes
    assert [n["metadata"]["name"] for n in nodes] == ["big-0", "big-1", "edge-0"]
    assert nodes[0]["status"]["allocatable"] == {"cpu": "31500m", "memory": "64Gi", "pods": "50"}
    assert nodes[0]["status"]["capacity"]["cpu"] == "32"
    assert "taints" not in nodes[2]["spec"]
    json_file = tmp_path / "cluster.json"
    json_file.write_text(json.dumps({"nodeGroups": [{"name": "n", "count": 1, "cpu": "2", "memory": "4Gi"}]}))
    assert ClusterSpec.from_file(json_file).total_nodes() == 1


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        ({"nodeGroups": [{"name": "a", "count": 1, "cpu": "2 cores", "memory": "1Gi"}]}, "nodeGroups[0].cpu"),
        ({"nodeGroups": [{"name": "a", "count": -1, "cpu": "2", "memory": "1Gi"}]}, "nodeGroups[0].count"),
        ({"nodeGroups": [{"name": "a", "count": 1, "cpu": "2"}]}, "nodeGroups[0].memory: required"),
        (
            {"nodeGroups": [{"name": "a", "count": 1, "cpu": "2", "memory": "1Gi", "gpu": 1}]},
            "unknown field(s) ['gpu']",
        ),
        (
            {
                "nodeGroups": [
                    {"name": "a", "count": 1, "cpu": "2", "memory": "1Gi", "taints": ["x=y:Sometimes"]}
                ]
            },
            "taints[0]",
        ),
        ({"nodes": []}, "unknown key(s) ['nodes']"),
        ({"nodeGroups": []}, "nodeGroups: must be a non-empty list"),
    ],
)
def test_bad_cluster_files_name_file_and_field(tmp_path: Path, data: object, needle: str) -> None:
    path = tmp_path / "c.json"
    path.write_text(json.dumps(data))
    with pytest.raises(SimArenaError) as info:
        ClusterSpec.from_file(path)
    message = str(info.value)
    assert message.startswith(str(path)) and needle in message and "\n" not in message


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(SimArenaError, match="cannot read cluster file"):
        ClusterSpec.from_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("nodeGroups: [unclosed\n")
    with pytest.raises(SimArenaError, match="not valid YAML"):
        ClusterSpec.from_file(bad)


def test_node_group_checks_in_python() -> None:
    with pytest.raises(SimArenaError, match=r"NodeGroup 'x'.memory"):
        NodeGroup("x", 1, "1", "lots")
    spec = ClusterSpec.uniform(5, "8", "16Gi", 20, labels={"zone": "a"}, taints=[])
    assert spec.total_nodes() == 5 and spec.node_groups[0].labels == {"zone": "a"}


def test_add_node_defaults_to_a_virtual_node_and_rejects_duplicates() -> None:
    cluster = EmbeddedCluster()
    cluster.add_node("extra", "8", "16Gi")
    node = cluster.observe(None).nodes[-1]
    assert (
        node["metadata"]["labels"]["type"] == "virtual"
        and node["spec"]["taints"][0]["key"] == "kwok-provider"
    )
    with pytest.raises(SimArenaError, match="already exists"):
        cluster.add_node("extra", "8", "16Gi")


DEPLOYMENT = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "web", "namespace": "shop", "labels": {"team": "a"}, "annotations": {}},
    "spec": {
        "replicas": 1,
        "template": {
            "metadata": {"labels": {"app": "web"}},
            "spec": {
                "containers": [{"name": "web", "image": "x", "ports": [{"containerPort": 80}]}],
                "tolerations": [{"key": "other", "operator": "Exists"}],
            },
        },
    },
    "status": {"replicas": 1},
}


@pytest.mark.parametrize("share", [False, True])
def test_virtualize_matches_the_driver_rewrite(share: bool) -> None:
    before = copy.deepcopy(DEPLOYMENT)
    new = build_virtual_obj(DEPLOYMENT, "virtual", root={"name": "sim-root", "uid": "u1"}, share=share)
    assert before == DEPLOYMENT  # the traced object is never modified
    meta = new["metadata"]
    assert meta["namespace"] == "virtual-shop"
    assert meta["labels"] == {
        "team": "a",
        "simkube.io/simulation": "simarena",
        "app.kubernetes.io/name": "web",
        "simkube.io/virtual": "true",
    }
    assert meta["ownerReferences"] == [
        {
            "apiVersion": "simkube.io/v1",
            "kind": "SimulationRoot",
            "name": "sim-root",
            "uid": "u1",
            "blockOwnerDeletion": True,
        }
    ]
    assert "status" not in new
    template = new["spec"]["template"]
    assert template["metadata"]["annotations"] == {"static.simkube.io/original-namespace": "shop"}
    assert template["spec"]["nodeSelector"] == {"type": "virtual"}
    assert template["spec"]["tolerations"] == [
        {"key": "other", "operator": "Exists"},
        {"key": "kwok-provider", "operator": "Exists", "effect": "NoSchedule"},
    ]
    assert template["spec"]["containers"] == [{"name": "web", "image": "x"}]


def test_virtualize_a_bare_pod_rewrites_the_object_itself() -> None:
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "testing"},
        "spec": {"containers": []},
    }
    new = build_virtual_obj(pod, "sim", sim_name="x" * 80)
    assert new["metadata"]["namespace"] == "sim-testing"
    assert new["metadata"]["annotations"]["static.simkube.io/original-namespace"] == "testing"
    assert new["metadata"]["labels"]["simkube.io/simulation"] == "x" * 63  # label values are cut to 63
    assert new["spec"]["nodeSelector"] == {"type": "virtual"}
