"""A repeated quota refusal (the ReplicaSet's retries) answers as a fresh CheckRequest would."""

from __future__ import annotations

import contextlib
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.backends.embedded.admission import Admission, Forbidden
from pytest_simarena.backends.embedded.clock import Clock
from pytest_simarena.backends.embedded.pods import InvalidObject, PodTemplate, shared_template
from pytest_simarena.backends.embedded.quota import check

NS = "ns"
CPUS = ["100m", "250m", "500m", "1"]
TEMPLATES = [
    shared_template(
        {"metadata": {}, "spec": {"containers": [{"name": "c", "resources": {"requests": req}}]}},
        field_prefix="spec.template.spec",
        kind="Deployment",
        name="web",
    )
    for req in ({"cpu": c, "memory": "64Mi"} for c in CPUS)
]
HARD = st.dictionaries(
    st.sampled_from(["pods", "requests.cpu", "cpu", "requests.memory", "count/pods"]),
    st.sampled_from(["0", "1", "2", "3", "500m", "1500m", "128Mi", "1Gi"]),
    min_size=1,
)
STEP = st.one_of(
    st.tuples(st.just("admit"), st.integers(0, len(TEMPLATES) - 1)),
    st.tuples(st.just("release"), st.just(0)),
    st.tuples(st.just("quota"), st.tuples(st.sampled_from(["a", "b"]), HARD)),
)


def _quota(name: str, hard: dict[str, str]) -> dict[str, Any]:
    return {"kind": "ResourceQuota", "metadata": {"name": name, "namespace": NS}, "spec": {"hard": hard}}


def _expected(admission: Admission, tmpl: PodTemplate) -> str | None:
    """CheckRequest computed afresh on the admission's current quotas (no refusal remembered)."""
    quotas = admission.quotas[NS]
    problem, _ = check([quotas[k] for k in sorted(quotas)], tmpl)
    return problem


@settings(max_examples=150, deadline=None)
@given(first=HARD, steps=st.lists(STEP, max_size=30))
def test_repeated_refusals_equal_fresh_checks(first: dict[str, str], steps: list[Any]) -> None:
    admission = Admission(Clock(seed=0), lambda ns: [])
    try:
        admission.apply(_quota("a", first))
    except InvalidObject:
        return
    for kind, arg in steps:
        if kind == "release":
            admission.pod_released(NS)  # the recount gives every quota a new used
            continue
        if kind == "quota":
            with contextlib.suppress(InvalidObject):
                admission.apply(_quota(*arg))
            continue
        tmpl = TEMPLATES[arg]
        admission._sync(NS)
        want = _expected(admission, tmpl)
        used_before = {n: dict(q.used) for n, q in admission.quotas[NS].items()}
        try:
            admission.admit(NS, "web-abcde", tmpl)
            got = None
        except Forbidden as exc:
            got = str(exc)
            # a refusal changes no quota's usage
            assert {n: dict(q.used) for n, q in admission.quotas[NS].items()} == used_before
        assert got == (None if want is None else f'pods "web-abcde" is forbidden: {want}')


def test_a_refusal_is_remembered_until_the_usage_changes() -> None:
    admission = Admission(Clock(seed=0), lambda ns: [])
    admission.apply(_quota("a", {"requests.cpu": "300m"}))
    small, big = TEMPLATES[0], TEMPLATES[2]
    for _ in range(3):  # the ReplicaSet's retries: the same message each time
        try:
            admission.admit(NS, "web-x", big)
            raise AssertionError("admitted over the quota")
        except Forbidden as exc:
            assert "exceeded quota: a, requested: requests.cpu=500m, used: requests.cpu=0" in str(exc)
    admission.admit(NS, "web-y", small)  # usage now 100m: the next refusal says so
    try:
        admission.admit(NS, "web-z", big)
        raise AssertionError("admitted over the quota")
    except Forbidden as exc:
        assert "used: requests.cpu=100m" in str(exc)
