"""trace.model: where pod templates live (built-in paths, then the trace config; simkube notes 1.5)."""

from __future__ import annotations

from typing import Any

from pytest_simarena.trace.model import pod_template, pod_templates, template_path, template_paths


def test_builtin_kinds_use_their_builtin_path_whatever_the_config_says() -> None:
    config = {"trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/other"]}}}
    assert template_paths("apps/v1.Deployment", config) == ["/spec/template"]
    # SimKube lists ReplicaSet as "/spec" (an upstream bug); its template really is at /spec/template.
    assert template_path("apps/v1.ReplicaSet") == "/spec/template"
    assert template_path("v1.Pod") == ""
    assert template_path("v1.ConfigMap") is None


def test_custom_kinds_read_the_config_plural_or_legacy_singular_without_wildcards() -> None:
    gvk = "example.com/v1.Widget"
    plural = {"trackedObjects": {gvk: {"podSpecTemplatePaths": ["/spec/a/*/template", "/spec/b", "/spec/c"]}}}
    assert template_paths(gvk, plural) == ["/spec/b", "/spec/c"]
    singular = {"trackedObjects": {gvk: {"podSpecTemplatePath": "/spec/b"}}}
    assert template_path(gvk, singular) == "/spec/b"
    assert template_paths(gvk, {"trackedObjects": {gvk: {"podSpecTemplatePaths": "not a list"}}}) == []


def test_pod_templates_returns_every_template_dict_and_a_pod_itself() -> None:
    gvk = "example.com/v1.Widget"
    config = {"trackedObjects": {gvk: {"podSpecTemplatePaths": ["/spec/b", "/spec/c", "/spec/missing"]}}}
    widget: dict[str, Any] = {
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "spec": {"b": {"spec": {"containers": []}}, "c": {"spec": {}}},
    }
    assert pod_templates(widget, config) == [widget["spec"]["b"], widget["spec"]["c"]]
    assert pod_template(widget, config) is widget["spec"]["b"]
    pod = {"apiVersion": "v1", "kind": "Pod", "spec": {"containers": []}}
    assert pod_templates(pod)[0] is pod


def test_a_bad_usage_quantity_names_the_container_resource_and_field() -> None:
    import pytest

    from pytest_simarena.errors import TraceError
    from pytest_simarena.trace.usage import read_usage

    template = {"metadata": {"annotations": {"simarena.io/usage": '{"web": {"memory": "lots"}}'}}}
    with pytest.raises(TraceError) as info:
        read_usage(template)
    assert info.value.field == 'metadata.annotations["simarena.io/usage"]'
    message = str(info.value)
    assert "container 'web' memory" in message and '"lots" is not a Kubernetes quantity' in message
