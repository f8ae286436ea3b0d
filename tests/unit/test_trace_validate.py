"""validate(): Kubernetes/replay errors and SimKube's own validator rules as warnings."""

from __future__ import annotations

import copy
import warnings
from pathlib import Path
from typing import Any

import pytest
from broken_corpus import valid_trace_copy

from pytest_simarena.errors import SimArenaWarning
from pytest_simarena.trace import Problem, Trace, load_trace, validate
from pytest_simarena.trace.hashing import rebuild_index


def _trace(edit: Any = None) -> Trace:
    data = valid_trace_copy()
    if edit is not None:
        edit(data)
    trace = Trace(events=data["events"], config=data["config"], index=data["index"])
    return rebuild_index(trace)


def _web(data: dict[str, Any]) -> dict[str, Any]:
    web: dict[str, Any] = data["events"][0]["applied_objs"][0]
    return web


def _container(data: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = _web(data)["spec"]["template"]["spec"]["containers"][0]
    return found


def _codes(problems: list[Problem], severity: str) -> list[str]:
    return [p.code for p in problems if p.severity == severity]


def test_a_clean_trace_has_no_problems() -> None:
    assert validate(_trace()) == []


def test_validation_trace_triggers_every_simkube_rule_as_warnings(shared_traces: Path) -> None:
    # SimKube's testutils/data/validation_trace.json is built to trigger every validator (notes §4).
    problems = validate(load_trace(shared_traces / "simkube" / "validation_trace.json"))
    assert _codes(problems, "error") == []
    assert set(_codes(problems, "warning")) >= {"W0000", "E0001", "E0002", "E0003", "E0004", "E0005"}
    by_code = {p.code: str(p) for p in problems}
    assert by_code["E0001"] == (
        "warning E0001: events[0].applied_objs[0] (Deployment default/test-deployment): "
        "spec.template.spec.serviceAccountName: service_account_missing: ServiceAccount "
        "default/the-service-account is not applied earlier in the trace; pods cannot be created"
    )
    assert "volume_secret_missing: Secret default/the-secret" in by_code["E0004"]
    assert "volume_configmap_missing: ConfigMap default/the-config-map" in by_code["E0005"]


def test_referenced_objects_applied_earlier_satisfy_simkube_rules() -> None:
    def edit(data: dict[str, Any]) -> None:
        spec = _web(data)["spec"]["template"]["spec"]
        spec["serviceAccountName"] = "runner"
        spec["volumes"] = [{"name": "cfg", "configMap": {"name": "settings"}}]
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "runner", "namespace": "default"},
        }
        data["events"][0]["applied_objs"].insert(0, account)

    problems = validate(_trace(edit))
    assert _codes(problems, "warning") == ["E0005"]  # the ServiceAccount is there; the ConfigMap is not


def test_deleted_service_account_counts_as_missing_again() -> None:
    def edit(data: dict[str, Any]) -> None:
        later = copy.deepcopy(_web(data))
        later["spec"]["template"]["spec"]["serviceAccountName"] = "runner"
        account = {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": "runner", "namespace": "default"},
        }
        data["events"][0]["applied_objs"].insert(0, account)
        data["events"][1]["deleted_objs"].append(account)
        # Within one event the driver applies before it deletes, so the re-apply comes one event later.
        data["events"].append({"ts": 1730390520, "applied_objs": [later], "deleted_objs": []})

    problems = validate(_trace(edit))
    assert [p.location.split(" ")[0] for p in problems if p.code == "E0001"] == ["events[2].applied_objs[0]"]


def test_default_service_account_is_not_reported() -> None:
    problems = validate(
        _trace(lambda d: _web(d)["spec"]["template"]["spec"].update(serviceAccountName="default"))
    )
    assert problems == []


def test_request_above_limit_uses_kubernetes_wording() -> None:
    def edit(data: dict[str, Any]) -> None:
        _container(data)["resources"] = {"limits": {"cpu": "2"}, "requests": {"cpu": "3000m"}}

    problems = validate(_trace(edit))
    assert [str(p) for p in problems] == [
        "error request_exceeds_limit: events[0].applied_objs[0] (Deployment default/web): "
        'spec.template.spec.containers[0].resources.requests: Invalid value: "3": '
        "must be less than or equal to cpu limit of 2"
    ]


def test_equal_request_and_limit_is_fine() -> None:
    def edit(data: dict[str, Any]) -> None:
        _container(data)["resources"] = {"limits": {"memory": "1Gi"}, "requests": {"memory": "1024Mi"}}

    assert validate(_trace(edit)) == []


def test_non_monotonic_ts_is_an_error() -> None:
    problems = validate(_trace(lambda d: d["events"][1].update(ts=100)))
    assert [(p.code, p.location) for p in problems] == [("ts_not_monotonic", "events[1]: ts")]


def test_negative_replicas_and_quantities_are_errors() -> None:
    def edit(data: dict[str, Any]) -> None:
        _web(data)["spec"]["replicas"] = -1
        _container(data)["resources"]["requests"]["memory"] = "-1Gi"

    problems = validate(_trace(edit))
    messages = [p.message for p in problems]
    assert "Invalid value: -1: must be greater than or equal to 0" in messages
    assert 'Invalid value: "-1Gi": must be greater than or equal to 0' in messages
    assert set(_codes(problems, "error")) == {"negative_replicas", "negative_quantity"}


def test_untracked_builtin_kind_is_an_error() -> None:
    problems = validate(_trace(lambda d: d["config"].update(trackedObjects={})))
    assert _codes(problems, "error") == ["untracked_kind"]
    assert "config.trackedObjects has no entry for apps/v1.Deployment" in problems[0].message


@pytest.mark.parametrize(
    ("edit", "code"),
    [
        (
            lambda d: _web(d)["spec"]["template"]["spec"].update(restartPolicy="Never"),
            "unsupported_restart_policy",
        ),
        (
            lambda d: _web(d)["spec"]["template"]["spec"]["containers"].append({"name": "web"}),
            "duplicate_container_name",
        ),
        (lambda d: _web(d)["spec"]["template"]["spec"].update(containers=[]), "no_containers"),
        (lambda d: _web(d)["spec"].pop("template"), "missing_pod_template"),
    ],
)
def test_objects_the_api_would_reject(edit: Any, code: str) -> None:
    assert _codes(validate(_trace(edit)), "error") == [code]


def test_custom_kind_whose_template_path_is_missing_is_an_error() -> None:
    def edit(data: dict[str, Any]) -> None:
        web = _web(data)
        web["apiVersion"], web["kind"] = "example.com/v1", "WebApp"
        data["config"]["trackedObjects"] = {
            "example.com/v1.WebApp": {"podSpecTemplatePaths": ["/spec/podTemplate"]}
        }

    problems = validate(_trace(edit))
    assert [(p.code, p.location) for p in problems] == [
        ("template_path_not_found", "events[0].applied_objs[0] (WebApp default/web): spec.podTemplate")
    ]
    assert '"/spec/podTemplate", which this object does not have' in problems[0].message


def test_custom_kind_with_its_template_is_validated_like_a_builtin() -> None:
    def edit(data: dict[str, Any]) -> None:
        web = _web(data)
        web["apiVersion"], web["kind"] = "example.com/v1", "WebApp"
        data["config"]["trackedObjects"] = {
            "example.com/v1.WebApp": {"podSpecTemplatePaths": ["/spec/template"]}
        }
        _container(data)["resources"] = {"limits": {"memory": "1Gi"}, "requests": {"memory": "2Gi"}}

    assert _codes(validate(_trace(edit)), "error") == ["request_exceeds_limit"]


def test_usage_for_an_unknown_container_is_an_error() -> None:
    def edit(data: dict[str, Any]) -> None:
        _web(data)["spec"]["template"]["metadata"]["annotations"] = {
            "simarena.io/usage": '{"wbe": {"cpu": "1"}}'
        }

    problems = validate(_trace(edit))
    assert [p.code for p in problems] == ["usage_unknown_container"]
    assert 'spec.template.metadata.annotations["simarena.io/usage"]' in problems[0].location


def test_incomplete_index_is_a_warning() -> None:
    trace = _trace()
    trace.index = {}
    problems = validate(trace)
    assert [(p.severity, p.code) for p in problems] == [("warning", "index_incomplete")]


def test_repeated_versions_report_a_problem_once() -> None:
    def edit(data: dict[str, Any]) -> None:
        _web(data)["status"] = {"replicas": 2}
        data["events"][1]["applied_objs"].append(_web(data))

    assert _codes(validate(_trace(edit)), "warning") == ["W0000"]


@pytest.mark.parametrize(
    "name", ["simkube/cronjob.sktrace", "simkube/bare-pods.sktrace", "simkube/dsb-scaling.sktrace",
             "sim-arena/trace-v2.msgpack", "sim-arena/trace-cpu-heavy.msgpack",
             "sim-arena/generated-trace-0003.msgpack"],
)  # fmt: skip
def test_real_traces_have_no_errors(shared_traces: Path, name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SimArenaWarning)
        trace = load_trace(shared_traces / name)
    assert _codes(validate(trace), "error") == []


def test_env_and_env_from_references_name_the_exact_field() -> None:
    # SimKube envvar_secret_missing / envvar_configmap_missing (notes §4): env[].valueFrom and envFrom[].
    def edit(data: dict[str, Any]) -> None:
        _container(data)["env"] = [
            {"name": "A", "value": "plain"},
            {"name": "B", "valueFrom": {"configMapKeyRef": {"name": "settings", "key": "b"}}},
        ]
        _container(data)["envFrom"] = [{"secretRef": {"name": "creds"}}]

    where = {p.code: p.location for p in validate(_trace(edit)) if p.severity == "warning"}
    base = "spec.template.spec.containers[0]"
    assert where["E0003"].endswith(f"{base}.env[1].valueFrom.configMapKeyRef.name")
    assert where["E0002"].endswith(f"{base}.envFrom[0].secretRef.name")
