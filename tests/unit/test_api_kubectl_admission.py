"""The real kubectl against the served embedded cluster: ResourceQuota and LimitRange (issue 15)."""

from __future__ import annotations

from pathlib import Path

import yaml
from api_helpers import needs_kubectl, served

pytestmark = needs_kubectl

QUOTA = {
    "apiVersion": "v1",
    "kind": "ResourceQuota",
    "metadata": {"name": "compute"},
    "spec": {"hard": {"requests.cpu": "60", "requests.memory": "64Gi", "pods": "10"}},
}
LIMITS = {
    "apiVersion": "v1",
    "kind": "LimitRange",
    "metadata": {"name": "limits"},
    "spec": {"limits": [{"type": "Container", "max": {"memory": "8Gi"}, "min": {"cpu": "100m"}}]},
}


def _pod(name: str, cpu: str) -> dict[str, object]:
    container = {"name": "app", "image": "nginx", "resources": {"requests": {"cpu": cpu, "memory": "1Gi"}}}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"containers": [container]},
    }


def test_describe_quota_shows_used_and_hard_and_a_pod_over_it_is_forbidden(tmp_path: Path) -> None:
    # slightly-bad-cpu: 3 Pending pods of 17 cpu and 2Gi each -> the quota controller counts 51 cpu, 6Gi.
    with served() as s:
        (tmp_path / "quota.yaml").write_text(yaml.safe_dump(QUOTA))
        s.kubectl("apply", "-f", str(tmp_path / "quota.yaml"))
        rows = [line.split() for line in s.kubectl("describe", "quota", "compute").stdout.splitlines()]
        assert ["Resource", "Used", "Hard"] in rows
        assert ["pods", "3", "10"] in rows
        assert ["requests.cpu", "51", "60"] in rows
        assert ["requests.memory", "6Gi", "64Gi"] in rows
        (tmp_path / "big.yaml").write_text(yaml.safe_dump(_pod("big", "10")))
        refused = s.kubectl("apply", "-f", str(tmp_path / "big.yaml"), check=False)
        assert refused.returncode == 1
        assert refused.stderr.strip() == (
            'Error from server (Forbidden): error when creating "'
            + str(tmp_path / "big.yaml")
            + '": pods "big" is forbidden: exceeded quota: compute, requested: requests.cpu=10, '
            "used: requests.cpu=51, limited: requests.cpu=60"
        )
        (tmp_path / "small.yaml").write_text(yaml.safe_dump(_pod("small", "2")))
        s.kubectl("apply", "-f", str(tmp_path / "small.yaml"))
        rows = [line.split() for line in s.kubectl("describe", "quota", "compute").stdout.splitlines()]
        assert ["requests.cpu", "53", "60"] in rows and ["pods", "4", "10"] in rows
        assert s.kubectl("get", "quota", "-o", "name").stdout.split() == ["resourcequota/compute"]
        # printers.go printResourceQuota: NAME AGE REQUEST LIMIT, "<resource>: <used>/<hard>" sorted
        header, row = s.kubectl("get", "quota").stdout.splitlines()
        assert header.split() == ["NAME", "AGE", "REQUEST", "LIMIT"]
        assert row.split(None, 2)[0] == "compute"
        assert row.split(None, 2)[2].strip() == "pods: 4/10, requests.cpu: 53/60, requests.memory: 7Gi/64Gi"


def test_limit_range_is_served_and_its_defaults_reach_new_pods(tmp_path: Path) -> None:
    with served() as s:
        (tmp_path / "limits.yaml").write_text(yaml.safe_dump(LIMITS))
        s.kubectl("apply", "-f", str(tmp_path / "limits.yaml"))
        header = s.kubectl("get", "limitrange").stdout.splitlines()[0]
        assert header.split() == ["NAME", "CREATED", "AT"]  # printLimitRange: Name, Created At
        text = s.kubectl("describe", "limitrange", "limits").stdout
        # kubectl's describer: Type, Resource, Min, Max, Default Request, Default Limit, Max Ratio
        row = next(line.split() for line in text.splitlines() if line.split()[:2] == ["Container", "memory"])
        assert row == ["Container", "memory", "-", "8Gi", "8Gi", "8Gi", "-"]
        (tmp_path / "pod.yaml").write_text(yaml.safe_dump(_pod("p", "500m")))
        s.kubectl("apply", "-f", str(tmp_path / "pod.yaml"))
        limits = s.kubectl("get", "pod", "p", "-o", "jsonpath={.spec.containers[0].resources.limits.memory}")
        assert limits.stdout == "8Gi"
        (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(_pod("tiny", "50m")))
        refused = s.kubectl("apply", "-f", str(tmp_path / "tiny.yaml"), check=False)
        assert refused.returncode == 1
        assert refused.stderr.strip().endswith(
            'pods "tiny" is forbidden: minimum cpu usage per Container is 100m, but request is 50m'
        )


def test_a_limit_range_the_api_server_refuses_is_a_422_naming_the_field(tmp_path: Path) -> None:
    # validation.go ValidateLimitRange: "ratio %s is greater than max/min = %f"; kubectl prints the Status.
    bad = {
        **LIMITS,
        "spec": {
            "limits": [
                {
                    "type": "Container",
                    "min": {"cpu": "100m"},
                    "max": {"cpu": "300m"},
                    "maxLimitRequestRatio": {"cpu": "4"},
                }
            ]
        },
    }
    with served() as s:
        (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
        refused = s.kubectl("apply", "-f", str(tmp_path / "bad.yaml"), check=False)
        assert refused.returncode == 1
        assert "Traceback" not in refused.stderr
        assert refused.stderr.strip().endswith(
            'The LimitRange "limits" is invalid: spec.limits[0].maxLimitRequestRatio[cpu]: '
            'Invalid value: "4": ratio 4 is greater than max/min = 3.000000'
        ), refused.stderr
        assert s.kubectl("get", "limitrange", "-o", "name").stdout.split() == []
