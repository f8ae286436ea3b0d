"""Properties of quota admission for any workloads and quota (hypothesis).

- admission never lets a quota's ``status.used`` exceed its ``status.hard`` (resourcequota/controller.go
  CheckRequest refuses the pod that would);
- ``status.used`` equals what the namespace's live pods use (pods.go PodUsageFunc summed): admission's
  increments and the controller's recount agree, also after deletions;
- the same seed and inputs give the same event log.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simarena.backends.embedded import EmbeddedCluster
from pytest_simarena.quantities import parse_quantity
from pytest_simarena.trace.model import Trace

Obj = dict[str, Any]
T0 = 1_700_000_000
SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _deployment(name: str, replicas: int, cpu: int, memory: int) -> Obj:
    container = {
        "name": "app",
        "image": "x",
        "resources": {"requests": {"cpu": f"{cpu}m", "memory": f"{memory}Mi"}},
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [container]}},
        },
    }


workloads = st.lists(
    st.tuples(st.integers(0, 6), st.integers(1, 2000), st.integers(1, 2048)), min_size=1, max_size=3
)


@SETTINGS
@given(
    workloads=workloads,
    hard_cpu=st.integers(0, 8000),
    hard_pods=st.integers(0, 12),
    delete_first=st.booleans(),
)
def test_used_never_exceeds_hard_and_matches_live_pods(
    workloads: list[tuple[int, int, int]], hard_cpu: int, hard_pods: int, delete_first: bool
) -> None:
    quota = {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": "default"},
        "spec": {"hard": {"requests.cpu": f"{hard_cpu}m", "pods": str(hard_pods), "requests.memory": "8Gi"}},
    }
    deps = [_deployment(f"w{i}", *w) for i, w in enumerate(workloads)]
    events: list[Obj] = [{"ts": T0, "applied_objs": [quota, *deps], "deleted_objs": []}]
    if delete_first:
        events.append({"ts": T0 + 20, "applied_objs": [], "deleted_objs": [deps[0]]})
    logs = []
    for _ in range(2):
        c = EmbeddedCluster(seed=3)
        c.start(Trace(events=json.loads(json.dumps(events))), "virtual")
        c.run(60)
        (q,) = c.admission.objects("ResourceQuota")
        status = q.to_api(c.clock)["status"]
        for key, used in status["used"].items():
            assert parse_quantity(used) <= parse_quantity(status["hard"][key]), (key, status)
        live = [p for by_name in c.pods.values() for p in by_name.values() if p.active]
        cpu = sum(
            (parse_quantity(p.tmpl.spec["containers"][0]["resources"]["requests"]["cpu"]) for p in live),
            Fraction(0),
        )
        assert parse_quantity(status["used"]["requests.cpu"]) == cpu
        assert int(status["used"]["pods"]) == len(live)
        logs.append(c.event_log)
    assert logs[0] == logs[1]
