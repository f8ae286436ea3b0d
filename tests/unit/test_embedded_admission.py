"""Admission on the embedded cluster (issue 15): what the fidelity table does not pin down case by case.

Bad policy objects are one line naming the object and the field; a LimitRange or quota added later
governs only pods created after it; a quota deleted lets the refused pods in; a Job reports FailedCreate.
"""

from __future__ import annotations

from typing import Any

from test_embedded_kit import NS, container, deployment, events, pods_of, run, trace

Obj = dict[str, Any]


def quota(hard: Obj, name: str = "q") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"hard": hard},
    }


def limit_range(*items: Obj, name: str = "lr") -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"limits": list(items)},
    }


def test_bad_policy_objects_are_one_line_naming_the_object_and_field() -> None:
    bad_lr = limit_range({"type": "Containers", "max": {"cpu": "1"}})
    bad_quota = quota({"requests.cpu": "two"})
    cluster, _ = run(trace((0, [bad_lr, bad_quota])), 1)
    lines = [line for line in cluster.event_log if " error " in line]
    assert len(lines) == 2
    assert lines[0].endswith(
        'error events[0].applied_objs[0]: The LimitRange "lr" is invalid: spec.limits[0].type: '
        'Invalid value: "Containers": must be a standard limit type or fully qualified'
    )
    assert 'The ResourceQuota "q" is invalid: spec.hard[requests.cpu]: Invalid value: ' in lines[1]
    assert all("\n" not in line for line in lines)
    assert cluster.admission.objects("LimitRange") == [] and cluster.admission.objects("ResourceQuota") == []


def test_a_limit_range_the_api_server_refuses_is_a_failed_apply_and_never_stored() -> None:
    # validation.go ValidateLimitRange: min 2 > max 1 (and, once defaulted, > default and defaultRequest 1)
    bad_lr = limit_range({"type": "Container", "min": {"cpu": "2"}, "max": {"cpu": "1"}})
    cluster, snap = run(trace((0, [bad_lr, deployment("web", 1, cpu="500m", memory="64Mi")])), 5)
    (line,) = [line for line in cluster.event_log if " error " in line]
    assert line.endswith(
        'error events[0].applied_objs[0]: The LimitRange "lr" is invalid: [spec.limits[0].min[cpu]: Invalid '
        'value: "2": min value 2 is greater than max value 1, spec.limits[0].defaultRequest[cpu]: Invalid '
        'value: "1": min value 2 is greater than default request value 1, spec.limits[0].default[cpu]: '
        'Invalid value: "2": min value 2 is greater than default value 1]'
    )
    assert [e["reason"] for e in events(snap, "FailedApply")] == ["FailedApply"]
    assert cluster.admission.objects("LimitRange") == []
    assert len(pods_of(snap, "web-")) == 1  # no LimitRange judged the pod


def test_a_valid_limit_range_with_every_field_in_order_is_stored() -> None:
    # a fully qualified type is valid (validation.go validateLimitRangeTypeName) and limits no pod
    # min <= defaultRequest <= default <= max and 1 <= ratio <= max/min (1 / 100m = 10): no error
    good = {
        "type": "Container",
        "min": {"cpu": "100m"},
        "max": {"cpu": "1"},
        "default": {"cpu": "500m"},
        "defaultRequest": {"cpu": "200m"},
        "maxLimitRequestRatio": {"cpu": "10"},
    }
    other = {"type": "example.com/widget", "max": {"cpu": "1m"}}
    tr = trace(
        (
            0,
            [
                limit_range(good, {"type": "Pod", "max": {"cpu": "2"}}, other),
                deployment("web", 1, cpu="500m"),
            ],
        )
    )
    cluster, snap = run(tr, 5)
    assert not [line for line in cluster.event_log if " error " in line]
    assert len(pods_of(snap, "web-")) == 1
    assert len(cluster.admission.objects("LimitRange")) == 1


def test_policy_added_later_governs_only_new_pods_and_a_deleted_quota_lets_them_in() -> None:
    web = deployment("web", 2, cpu="500m", memory="128Mi")
    tr = trace(
        (0, [web]),
        (10, [quota({"pods": "2"}), limit_range({"type": "Container", "min": {"cpu": "1"}})]),
        (20, [deployment("web", 3, cpu="500m", memory="128Mi")]),
        (40, [], [quota({}), limit_range()]),
    )
    cluster, snap = run(tr, 30)
    # the two pods from before stay (admission only judges creation), the third is refused by both;
    # LimitRanger validates before ResourceQuota, so its message is the one reported
    assert len(pods_of(snap, "web-")) == 2
    refused = events(snap, "FailedCreate")
    assert refused and refused[-1]["message"].endswith(
        "is forbidden: minimum cpu usage per Container is 1, but request is 500m"
    )
    (q,) = cluster.admission.objects("ResourceQuota", [NS])
    assert q.to_api(cluster.clock)["status"]["used"] == {"pods": "2"}
    cluster.run(60)  # both deleted at 40 s: the rate-limited retry is admitted
    assert len(pods_of(cluster.observe("virtual"), "web-")) == 3


def test_a_job_refused_by_quota_records_failed_create_and_retries() -> None:
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "batch", "namespace": "default"},
        "spec": {
            "completions": 1,
            "template": {
                "metadata": {"labels": {"app": "batch"}},
                "spec": {"restartPolicy": "Never", "containers": [container(requests={"cpu": "1"})]},
            },
        },
    }
    tr = trace((0, [quota({"requests.memory": "1Gi"}), job]))
    tr.config["trackedObjects"]["batch/v1.Job"] = {"podSpecTemplatePaths": ["/spec/template"]}
    _, snap = run(tr, 5)
    refused = [e for e in events(snap, "FailedCreate") if e["involvedObject"]["kind"] == "Job"]
    assert len(refused) > 1  # requeued with the rate limiter, a new generated name each time
    assert refused[0]["message"].startswith('Error creating: pods "batch-')
    assert refused[0]["message"].endswith(
        '" is forbidden: failed quota: q: must specify requests.memory for: web'
    )
    assert pods_of(snap, "batch-") == []
