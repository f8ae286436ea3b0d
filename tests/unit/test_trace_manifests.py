"""Your own workload as a trace (issue 11): ``simarena trace from-manifests`` and trace/manifests.py."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest
import yaml

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.cli import main
from pytest_simarena.errors import SimArenaWarning, TraceError
from pytest_simarena.kubeview import summarize
from pytest_simarena.trace import Trace, dumps, load_trace, validate
from pytest_simarena.trace.manifests import trace_from_manifests


def deployment(name: str = "web", *, replicas: int = 3, cpu: Any = "18", **extra: Any) -> dict[str, Any]:
    """A Deployment manifest as a user writes it; ``cpu: "18"`` is more than a 16-cpu node has."""
    obj: dict[str, Any] = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": {"app": name}},
                "spec": {
                    "containers": [
                        {
                            "name": name,
                            "image": "nginx:1.27",
                            "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}},
                        }
                    ]
                },
            },
        },
    }
    obj.update(extra)
    return obj


def edited(obj: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """``obj`` with the dotted ``path`` (list indexes as numbers) set to ``value``."""
    *parents, last = path.split(".")
    cur: Any = obj
    for part in parents:
        cur = cur[int(part)] if isinstance(cur, list) else cur[part]
    cur[last] = value
    return obj


def write(path: Path, *docs: Any) -> Path:
    path.write_text(yaml.safe_dump_all(docs, sort_keys=False))
    return path


def _replay(trace: Trace, seconds: float = 300) -> dict[tuple[str, str], Any]:
    cluster = EmbeddedCluster(ClusterSpec.default(), seed=0)
    cluster.start(trace)
    cluster.run(seconds)
    return {(s.kind, s.name): s for s in summarize(cluster.observe())}


# --- the trace it builds ---------------------------------------------------------------------------------


ALL_KINDS = """
apiVersion: v1
kind: ConfigMap
metadata: {name: web-config}
data: {mode: fast}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db, namespace: shop}
spec:
  serviceName: db
  replicas: 2
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      containers: [{name: db, image: postgres:17, resources: {requests: {cpu: 1, memory: 2Gi}}}]
---
apiVersion: batch/v1
kind: Job
metadata: {name: migrate, namespace: shop}
spec:
  template:
    spec:
      restartPolicy: Never
      containers: [{name: migrate, image: migrate:1, resources: {requests: {cpu: 100m}}}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: report, namespace: shop}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: report, image: report:1}]
---
apiVersion: v1
kind: Service
metadata: {name: db, namespace: shop}
spec: {selector: {app: db}, ports: [{port: 5432}]}
"""


def test_every_workload_kind_and_referenced_object_becomes_a_valid_trace(tmp_path: Path) -> None:
    (tmp_path / "app.yaml").write_text(ALL_KINDS)
    write(
        tmp_path / "web.yml",
        deployment(
            cpu=0.5,
            status={"replicas": 3},
            metadata={
                "name": "web",
                "labels": {"app": "web"},
                "resourceVersion": "42",
                "uid": "abc",
                "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}", "team": "a"},
            },
        ),
    )
    (tmp_path / "notes.txt").write_text("not a manifest")
    trace = trace_from_manifests([tmp_path])

    (event,) = trace.events
    kinds = [(o["kind"], o["metadata"]["namespace"], o["metadata"]["name"]) for o in event["applied_objs"]]
    # Helm's install order: what pods reference first; file order within a kind
    assert kinds == [
        ("ConfigMap", "default", "web-config"),
        ("Service", "shop", "db"),
        ("Deployment", "default", "web"),
        ("StatefulSet", "shop", "db"),
        ("Job", "shop", "migrate"),
        ("CronJob", "shop", "report"),
    ]
    assert trace.config == {
        "trackedObjects": {
            "apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]},
            "apps/v1.StatefulSet": {"podSpecTemplatePaths": ["/spec/template"]},
            "batch/v1.CronJob": {"podSpecTemplatePaths": ["/spec/jobTemplate/spec/template"]},
            "batch/v1.Job": {"podSpecTemplatePaths": ["/spec/template"]},
        }
    }
    web = event["applied_objs"][2]
    # stored as SimKube's tracer stores it (notes/simkube.md 1.3)
    assert "status" not in web
    assert web["metadata"] == {
        "annotations": {"team": "a"},
        "labels": {"app": "web"},
        "name": "web",
        "namespace": "default",
    }
    assert web["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"] == {
        "cpu": "500m",
        "memory": "1Gi",
    }
    assert event["applied_objs"][0]["metadata"]["annotations"] == {}
    assert set(trace.index) == {gvk for gvk in trace.config["trackedObjects"]} | {
        "v1.ConfigMap",
        "v1.Service",
    }

    out = tmp_path / "app.sktrace"
    assert main(["trace", "from-manifests", str(tmp_path), "--out", str(out)]) == 0
    assert main(["trace", "validate", str(out)]) == 0
    assert [p for p in validate(load_trace(out)) if p.severity == "error"] == []
    summaries = _replay(load_trace(out))
    assert summaries[("StatefulSet", "db")].ready == 2
    assert summaries[("Deployment", "web")].ready == 3
    assert summaries[("Job", "migrate")].running == 1  # no lifecycle data: runs on, as under SimKube
    assert summaries[("CronJob", "report")].total >= 1  # */5: its first Job has started


def test_the_output_is_byte_identical_for_the_same_manifests(tmp_path: Path) -> None:
    write(tmp_path / "web.yaml", deployment())
    later = write(tmp_path / "scale.yaml", deployment(replicas=5))
    one, two = tmp_path / "1.sktrace", tmp_path / "2.json"
    for out in (one, two):
        assert (
            main(
                [
                    "trace",
                    "from-manifests",
                    str(tmp_path / "web.yaml"),
                    "--out",
                    str(out),
                    "--at",
                    "60s",
                    str(later),
                ]
            )
            == 0
        )
    assert one.read_bytes() == dumps(load_trace(one), canonical=True)  # SimKube's key order throughout
    assert load_trace(one).events == load_trace(two).events
    assert dumps(trace_from_manifests([tmp_path / "web.yaml"], later=[(60, later)])) == one.read_bytes()


def test_later_events_replay_at_their_offset(tmp_path: Path) -> None:
    first = write(tmp_path / "web.yaml", deployment(replicas=2, cpu="1"))
    scale = write(tmp_path / "scale.yaml", deployment(replicas=4, cpu="1"))
    trace = trace_from_manifests([first], later=[(600, scale)])
    assert [e["ts"] - trace.start_ts for e in trace.events] == [0, 600]
    assert _replay(trace, 300)[("Deployment", "web")].ready == 2
    assert _replay(trace, 900)[("Deployment", "web")].ready == 4


def test_json_manifests_and_lists_and_a_default_namespace(tmp_path: Path) -> None:
    listed = {
        "apiVersion": "v1",
        "kind": "List",
        "items": [deployment("a", cpu="1"), deployment("b", cpu="1")],
    }
    (tmp_path / "all.json").write_text(json.dumps(listed))
    trace = trace_from_manifests([tmp_path / "all.json"], namespace="team-a")
    assert [str(r) for r in trace.workloads()] == ["Deployment team-a/a", "Deployment team-a/b"]


def test_a_broken_deployment_of_your_own_is_solved_by_the_heuristic(tmp_path: Path) -> None:
    """The Must-show path: manifest -> trace -> `simarena run` solves it (cpu 18 on 16-cpu nodes)."""
    write(tmp_path / "web.yaml", deployment())
    out = tmp_path / "web.sktrace"
    assert main(["trace", "from-manifests", str(tmp_path / "web.yaml"), "--out", str(out)]) == 0
    before = _replay(load_trace(out))[("Deployment", "web")]
    assert (before.ready, before.pending) == (0, 3)
    assert main(["run", str(out), "--policy", "heuristic", "--out", str(tmp_path / "run")]) == 0  # 0 = solved


# --- one line per bad manifest ---------------------------------------------------------------------------

DEP = "(Deployment default/web)"
LIMIT_RANGE: dict[str, Any] = {"apiVersion": "v1", "kind": "LimitRange", "metadata": {"name": "limits"}}
QUOTA: dict[str, Any] = {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "compute"}}
BAD: list[tuple[str, Any, str]] = [
    (
        "yaml-syntax",
        "apiVersion: v1\nkind: [ConfigMap\n",
        "bad.yaml:3: invalid YAML: while parsing a flow sequence",
    ),
    (
        "not-a-map",
        "- a\n- b\n",
        'bad.yaml:1: document 1: expected a Kubernetes object (a map), got array ["a", "b"]',
    ),
    (
        "no-kind",
        {"apiVersion": "v1", "metadata": {"name": "x"}},
        "bad.yaml:1: document 1: kind: Required value",
    ),
    (
        "unsupported-kind",
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "x"}},
        "document 1 (ClusterRole default/x): kind: kind ClusterRole is not supported: a trace from",
    ),
    (
        "old-api-version",
        deployment(apiVersion="extensions/v1beta1"),
        f'{DEP}: apiVersion: Unsupported value: "extensions/v1beta1": Deployment is served as apps/v1',
    ),
    (
        "bad-name",
        deployment("Web_1"),
        '(Deployment default/Web_1): metadata.name: Invalid value: "Web_1": a lowercase RFC 1123 subdomain',
    ),
    ("no-name", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {}}, "metadata.name: Required value"),
    (
        "no-image",
        edited(deployment(), "spec.template.spec.containers.0.image", ""),
        f"document 1 {DEP}: spec.template.spec.containers[0].image: Required value",
    ),
    (
        "bad-quantity",
        deployment(cpu="lots"),
        f'{DEP}: spec.template.spec.containers[0].resources.requests.cpu: "lots" is not a Kubernetes',
    ),
    (
        "negative-replicas",
        deployment(replicas=-1),
        f"document 1 {DEP}: spec.replicas: Invalid value: -1: must be greater than or equal to 0",
    ),
    (
        "selector-mismatch",
        edited(deployment(), "spec.selector.matchLabels", {"app": "api"}),
        f'{DEP}: spec.template.metadata.labels: Invalid value: {{"app": "web"}}: `selector` does not match',
    ),
    (
        "job-restart-always",
        {
            "apiVersion": "batch/v1",
            "kind": "Job",
            "metadata": {"name": "j"},
            "spec": {"template": {"spec": {"containers": [{"name": "j", "image": "j"}]}}},
        },
        '(Job default/j): spec.template.spec.restartPolicy: Required value: valid values: "OnFailure"',
    ),
    (
        "template-metadata-not-a-map",
        edited(deployment(), "spec.template.metadata", 3),
        f"document 1 {DEP}: spec.template.metadata: expected a map, got integer 3",
    ),
    # Namespace policy and PriorityClass: what the embedded API server refuses on apply (the replay would
    # only record FailedApply), refused here with the manifest's file, document, object and field.
    (
        "limitrange-bad-quantity",
        LIMIT_RANGE | {"spec": {"limits": [{"type": "Container", "max": {"cpu": "2 cores"}}]}},
        "document 1 (LimitRange default/limits): spec.limits[0].max[cpu]: Invalid value: '2 cores'",
    ),
    (
        "limitrange-bad-type",
        LIMIT_RANGE | {"spec": {"limits": [{"type": "Widget", "max": {"cpu": "2"}}]}},
        '(LimitRange default/limits): spec.limits[0].type: Invalid value: "Widget": '
        "must be a standard limit type or fully qualified",
    ),
    # validation.go ValidateLimitRange, on the defaulted object (defaults.go: Container default = max)
    (
        "limitrange-default-request-above-max",
        LIMIT_RANGE
        | {"spec": {"limits": [{"type": "Container", "max": {"cpu": "1"}, "defaultRequest": {"cpu": "2"}}]}},
        '(LimitRange default/limits): [spec.limits[0].defaultRequest[cpu]: Invalid value: "2": '
        "default request value 2 is greater than max value 1, "
        'spec.limits[0].defaultRequest[cpu]: Invalid value: "2": '
        "default request value 2 is greater than default limit value 1]",
    ),
    (
        "limitrange-pod-default-request",
        LIMIT_RANGE | {"spec": {"limits": [{"type": "Pod", "defaultRequest": {"memory": "1Gi"}}]}},
        "(LimitRange default/limits): spec.limits[0].defaultRequest: Forbidden: "
        "may not be specified when `type` is 'Pod'",
    ),
    (
        "limitrange-duplicate-type",
        LIMIT_RANGE
        | {"spec": {"limits": [{"type": "Pod", "max": {"cpu": "4"}}, {"type": "Pod", "max": {"cpu": "2"}}]}},
        '(LimitRange default/limits): spec.limits[1].type: Duplicate value: "Pod"',
    ),
    (
        "limitrange-pvc-without-storage",
        LIMIT_RANGE | {"spec": {"limits": [{"type": "PersistentVolumeClaim", "max": {"cpu": "1"}}]}},
        "(LimitRange default/limits): spec.limits[0].limits: Required value: "
        "either minimum or maximum storage value is required, but neither was provided",
    ),
    (
        "limitrange-gpu-default-request-not-default",
        LIMIT_RANGE
        | {
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"nvidia.com/gpu": "2"},
                        "defaultRequest": {"nvidia.com/gpu": "1"},
                    }
                ]
            }
        },
        '(LimitRange default/limits): spec.limits[0].defaultRequest[nvidia.com/gpu]: Invalid value: "1": '
        "default value 2 must equal to defaultRequest value 1 in nvidia.com/gpu",
    ),
    (
        "limitrange-type-two-slashes",
        LIMIT_RANGE | {"spec": {"limits": [{"type": "a/b/c", "max": {"cpu": "2"}}]}},
        '(LimitRange default/limits): spec.limits[0].type: Invalid value: "a/b/c": '
        "a valid label key must consist of alphanumeric characters, '-', '_' or '.', "
        "and must start and end with an alphanumeric character "
        "(e.g. 'MyName',  or 'my.name',  or '123-abc', "
        "regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') "
        "with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
    ),
    (
        "resourcequota-bad-quantity",
        QUOTA | {"spec": {"hard": {"requests.cpu": "lots"}}},
        "document 1 (ResourceQuota default/compute): spec.hard[requests.cpu]: Invalid value: 'lots'",
    ),
    (
        "resourcequota-bad-scope",
        QUOTA | {"spec": {"hard": {"pods": "2"}, "scopes": ["Nonsense"]}},
        '(ResourceQuota default/compute): spec.scopes[0]: Unsupported value: "Nonsense"',
    ),
    (
        "resourcequota-negative",
        QUOTA | {"spec": {"hard": {"requests.cpu": "-1"}}},
        '(ResourceQuota default/compute): spec.hard[requests.cpu]: Invalid value: "-1": must be greater than',
    ),
    (
        "priorityclass-no-value",
        {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "high"}},
        "document 1 (PriorityClass default/high): value: Required value",
    ),
    (
        "priorityclass-value-too-high",
        {
            "apiVersion": "scheduling.k8s.io/v1",
            "kind": "PriorityClass",
            "metadata": {"name": "high"},
            "value": 2000000000,
        },
        "(PriorityClass default/high): value: Forbidden: maximum allowed value of a user defined priority is",
    ),
]


@pytest.mark.parametrize(("content", "expected"), [(c, e) for _, c, e in BAD], ids=[n for n, _, _ in BAD])
def test_a_bad_manifest_is_one_line_naming_file_document_object_and_field(
    content: Any,
    expected: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    bad = Path("bad.yaml")
    if isinstance(content, str):
        bad.write_text(content)
    else:
        write(bad, content)
    assert main(["trace", "from-manifests", str(bad), "--out", "t.sktrace"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("simarena: error: bad.yaml:"), err
    assert expected in err[0], err[0]
    assert not Path("t.sktrace").exists()


def test_the_document_number_and_line_point_at_the_bad_document(tmp_path: Path) -> None:
    path = write(tmp_path / "two.yaml", deployment("api", cpu="1"), deployment(cpu="x1"))
    with pytest.raises(TraceError) as info:
        trace_from_manifests([path])
    second_line = path.read_text().splitlines().index("---") + 2
    assert str(info.value).startswith(
        f"{path}:{second_line}: document 2 {DEP}: spec.template.spec.containers[0]"
    )


def test_duplicates_namespaces_and_empty_inputs(tmp_path: Path) -> None:
    dup = write(tmp_path / "dup.yaml", deployment(), deployment())
    with pytest.raises(
        TraceError, match=r"document 2 .*: metadata.name: Duplicate value: .*dup.yaml:1 document 1"
    ):
        trace_from_manifests([dup])
    shop = write(tmp_path / "shop.yaml", deployment(metadata={"name": "web", "namespace": "shop"}))
    with pytest.raises(
        TraceError, match='the namespace from the provided object "shop" does not match the namespace "team"'
    ):
        trace_from_manifests([shop], namespace="team")
    ns = write(tmp_path / "ns.yaml", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "shop"}})
    with (
        pytest.warns(SimArenaWarning, match='Namespace "shop" skipped'),
        pytest.raises(TraceError, match="no objects"),
    ):
        trace_from_manifests([ns])
    (tmp_path / "empty").mkdir()
    with pytest.raises(TraceError, match=r"empty: no manifests \(\.yaml, \.yml, \.json\) in this folder"):
        trace_from_manifests([tmp_path / "empty"])
    with pytest.raises(TraceError, match=r"missing\.yaml: no such file"):
        trace_from_manifests([tmp_path / "missing.yaml"])


def test_simkube_validator_findings_are_warnings(tmp_path: Path) -> None:
    web = deployment(cpu="1")
    web["spec"]["template"]["spec"]["volumes"] = [{"name": "cfg", "configMap": {"name": "web-config"}}]
    path = write(tmp_path / "web.yaml", web)
    with pytest.warns(
        SimArenaWarning,
        match=r"web.yaml:1: document 1 \(Deployment default/web\): .*volume_configmap_missing",
    ):
        trace_from_manifests([path])
    cfg = write(
        tmp_path / "cfg.yaml", {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"}}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace_from_manifests([path, cfg])  # the referenced ConfigMap is there: no warning


@pytest.mark.parametrize("at", ["-5", "soon", "1.5"])
def test_a_bad_offset_is_one_line(at: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "web.yaml", deployment())
    assert (
        main(
            [
                "trace",
                "from-manifests",
                str(path),
                "--out",
                str(tmp_path / "t.sktrace"),
                "--at",
                at,
                str(path),
            ]
        )
        == 2
    )
    assert f"--at {at!r}" in capsys.readouterr().err


def test_help_names_the_command() -> None:
    with pytest.raises(SystemExit) as info:
        main(["trace", "from-manifests", "--help"])
    assert info.value.code == 0


def test_manifest_text_is_read_as_kubernetes_reads_it(tmp_path: Path) -> None:
    """Timestamps stay strings (sigs.k8s.io/yaml), so a date label is not a non-JSON value."""
    path = tmp_path / "web.yaml"
    path.write_text(
        yaml.safe_dump(deployment(cpu="1"), sort_keys=False).replace(
            "app: web", "app: web, since: 2024-01-01}", 0
        )
    )
    text = yaml.safe_dump(deployment(cpu="1"), sort_keys=False)
    path.write_text(
        text.replace("  labels:\n    app: web\n", "  labels:\n    app: web\n    since: 2024-01-01\n", 1)
    )
    trace = trace_from_manifests([path])
    assert trace.events[0]["applied_objs"][0]["metadata"]["labels"]["since"] == "2024-01-01"


def test_standard_input_as_kubectl_reads_it(tmp_path: Path) -> None:
    """`helm template ... | simarena trace from-manifests - --out t.sktrace` (a real pipe, a real process)."""
    import subprocess
    import sys

    out = tmp_path / "t.sktrace"
    code = "import sys; from pytest_simarena.cli import main; sys.exit(main(sys.argv[1:]))"
    done = subprocess.run(
        [sys.executable, "-c", code, "trace", "from-manifests", "-", "--out", str(out)],
        input=yaml.safe_dump(deployment()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert [str(r) for r in load_trace(out).workloads()] == ["Deployment default/web"]
    bad = subprocess.run(
        [sys.executable, "-c", code, "trace", "from-manifests", "-", "--out", str(out)],
        input=yaml.safe_dump(deployment(cpu="x")),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2
    assert bad.stderr.startswith(
        "simarena: error: <stdin>:1: document 1 (Deployment default/web): spec.template"
    )


def test_resource_quota_and_limit_range_come_first_and_are_enforced(tmp_path: Path) -> None:
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "compute"},
        "spec": {"hard": {"requests.cpu": "2"}},
    }
    limits = {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "limits"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "4Gi"}}]},
    }
    trace = trace_from_manifests([write(tmp_path / "app.yaml", deployment(cpu="1"), limits, quota)])
    assert [o["kind"] for o in trace.events[0]["applied_objs"]] == [
        "ResourceQuota",
        "LimitRange",
        "Deployment",
    ]
    cluster = EmbeddedCluster(ClusterSpec.default(), seed=0)
    cluster.start(trace)
    cluster.run(30)
    snap = cluster.observe()
    assert len(snap.pods) == 2  # 2 cpu of quota, 1 cpu per pod: the third is refused
    refused = [e["message"] for e in snap.events if e["reason"] == "FailedCreate"]
    assert (
        refused and "exceeded quota: compute, requested: requests.cpu=1, used: requests.cpu=2" in refused[0]
    )
    # the LimitRange's max defaulted every container's memory limit (defaults.go SetDefaults_LimitRangeItem)
    assert {p["spec"]["containers"][0]["resources"]["limits"]["memory"] for p in snap.pods} == {"4Gi"}


def test_trace_validate_reports_a_policy_object_the_api_server_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # a trace written by other tools (here: from_manifests without the CLI's checks) is checked on validate
    quota = QUOTA | {"spec": {"hard": {"requests.cpu": "lots"}}}
    trace = trace_from_manifests([write(tmp_path / "q.yaml", quota, deployment(cpu="1"))])
    (tmp_path / "t.sktrace").write_bytes(dumps(trace))
    assert main(["trace", "validate", str(tmp_path / "t.sktrace")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"simarena: error: {tmp_path / 't.sktrace'}: events[0].applied_objs[0] ")
    assert "(ResourceQuota default/compute): spec.hard[requests.cpu]: Invalid value: 'lots'" in err[0]


@pytest.mark.parametrize(("policy", "solved"), [("heuristic", True), ("vpa", True), ("noop", False)])
def test_a_quota_on_limitrange_defaulted_requests_is_solved_by_heuristic_and_vpa(
    policy: str, solved: bool, tmp_path: Path
) -> None:
    # The container states no resources: the LimitRange's defaultRequest (500m) fills them in before the
    # quota check (limitranger mutates, resourcequota validates), so 4 of 5 pods fit requests.cpu 2.
    # The repair states a request the quota admits for 5 pods (400m), which overrides the default.
    limits = LIMIT_RANGE | {"spec": {"limits": [{"type": "Container", "defaultRequest": {"cpu": "500m"}}]}}
    quota = QUOTA | {"spec": {"hard": {"requests.cpu": "2"}}}
    bare = edited(deployment(replicas=5), "spec.template.spec.containers.0.resources", {})
    out = tmp_path / "shop.sktrace"
    assert (
        main(
            [
                "trace",
                "from-manifests",
                str(write(tmp_path / "a.yaml", limits, quota, bare)),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    code = main(["run", str(out), "--policy", policy, "--max-steps", "3", "--out", str(tmp_path / "run")])
    assert code == (0 if solved else 1)
