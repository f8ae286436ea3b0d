"""The real kubectl against the served embedded cluster: PriorityClasses and pods naming them."""

from __future__ import annotations

import json
from pathlib import Path

from api_helpers import needs_kubectl, served

pytestmark = needs_kubectl

CLASSES = """
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: urgent}
value: 1000000
description: goes first
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: polite}
value: 10
preemptionPolicy: Never
"""

URGENT_POD = """
apiVersion: v1
kind: Pod
metadata: {name: urgent}
spec:
  priorityClassName: urgent
  containers: [{name: app, image: x, resources: {requests: {cpu: "15"}}}]
"""


def test_kubectl_lists_priority_classes_and_a_pod_gets_its_priority(tmp_path: Path) -> None:
    with served() as s:
        (tmp_path / "classes.yaml").write_text(CLASSES)
        s.kubectl("apply", "-f", str(tmp_path / "classes.yaml"))
        out = s.kubectl("get", "priorityclass").stdout.splitlines()
        # printers.go priorityClassColumnDefinitions
        assert out[0].split() == ["NAME", "VALUE", "GLOBAL-DEFAULT", "AGE", "PREEMPTIONPOLICY"]
        rows = {line.split()[0]: line.split() for line in out[1:]}
        assert rows["system-cluster-critical"][1] == "2000000000"
        assert rows["polite"][1:3] == ["10", "false"] and rows["polite"][-1] == "Never"
        assert rows["urgent"][-1] == "PreemptLowerPriority"
        assert (
            json.loads(s.kubectl("get", "pc", "urgent", "-o", "json").stdout)["description"] == "goes first"
        )
        # The canonical pods (priority 0, 17 cpu) are Pending; a 15-cpu urgent pod fits a node on its own.
        (tmp_path / "pod.yaml").write_text(URGENT_POD)
        s.kubectl("apply", "-f", str(tmp_path / "pod.yaml"))
        pod = json.loads(s.kubectl("get", "pod", "urgent", "-o", "json").stdout)
        assert (pod["spec"]["priority"], pod["spec"]["preemptionPolicy"]) == (1000000, "PreemptLowerPriority")
        missing = tmp_path / "missing.yaml"
        missing.write_text(
            URGENT_POD.replace("name: urgent}", "name: lost}").replace("urgent\n", "nowhere\n")
        )
        done = s.kubectl("apply", "-f", str(missing), check=False)
        assert done.returncode != 0
        assert 'pods "lost" is forbidden: no PriorityClass with name nowhere was found' in done.stderr
        s.kubectl("delete", "priorityclass", "polite")
        assert "polite" not in s.kubectl("get", "priorityclass", "-o", "name").stdout
