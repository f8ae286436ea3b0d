"""kube backend labels, selectors and DNS-1123 names (apimachinery validation rules, kubernetes.md §2.3)."""

from __future__ import annotations

import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_simarena.backends.kube import labels as L
from pytest_simarena.errors import BackendError


def test_our_labels_carry_managed_by_run_and_prefix() -> None:
    assert L.our_labels("20261122t214201-42", "simarena-gw0-test-cpu") == {
        "app.kubernetes.io/managed-by": "pytest-simarena",
        "simarena.io/run": "20261122t214201-42",
        "simarena.io/prefix": "simarena-gw0-test-cpu",
    }


def test_cleanup_selects_by_run_and_the_prefix_selector_only_finds_other_runs() -> None:
    sel = L.selector(L.run_labels("r2", "p1"))
    assert sel == "app.kubernetes.io/managed-by=pytest-simarena,simarena.io/prefix=p1,simarena.io/run=r2"
    assert L.parse_selector(sel) == L.run_labels("r2", "p1")
    old_run = {"metadata": {"labels": L.our_labels("19990101t000000-1", "p1")}}
    this_run = {"metadata": {"labels": L.our_labels("r2", "p1")}}
    other_prefix = {"metadata": {"labels": L.our_labels("19990101t000000-1", "p2")}}
    unlabelled = {"metadata": {"name": "users-pod"}}
    objs = [old_run, this_run, other_prefix, unlabelled]
    assert L.select(objs, L.run_labels("r2", "p1")) == [this_run]
    assert L.select(objs, L.prefix_labels("p1")) == [old_run, this_run]
    assert L.run_of(old_run) == "19990101t000000-1" and L.run_of(unlabelled) == ""


def test_parse_selector_rejects_set_based_expressions() -> None:
    with pytest.raises(ValueError, match="only equality selectors"):
        L.parse_selector("app!=web")
    assert L.parse_selector("a==1, b=2") == {"a": "1", "b": "2"}


def test_a_label_with_another_value_does_not_match() -> None:
    obj = {"metadata": {"labels": {"app.kubernetes.io/managed-by": "helm", "simarena.io/prefix": "p1"}}}
    assert not L.matches(obj, L.prefix_labels("p1"))
    assert not L.matches({"metadata": None}, {"a": "b"})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("test_cpu[very-bad]", "test-cpu-very-bad"),
        ("UPPER.case/Name", "upper-case-name"),
        ("---", "x"),
    ],
)
def test_dns_label_sanitizes(text: str, expected: str) -> None:
    assert L.dns_label(text) == expected


def test_long_names_are_cut_with_a_hash_and_stay_distinct() -> None:
    a = L.dns_label("t" * 80 + "a", 40)
    b = L.dns_label("t" * 80 + "b", 40)
    assert len(a) == len(b) == 40 and a != b
    assert L.is_dns_label(a) and L.is_dns_label(b)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=120), st.integers(min_value=8, max_value=63))
def test_dns_label_always_valid(text: str, max_len: int) -> None:
    out = L.dns_label(text, max_len)
    assert L.is_dns_label(out) and len(out) <= max_len


def test_virtual_namespace_name_is_simkubes_rule_and_checked() -> None:
    assert L.virtual_namespace_name("virtual", "default") == "virtual-default"
    with pytest.raises(BackendError, match=r"longer than 63 characters \(64\).*use a shorter prefix"):
        L.virtual_namespace_name("p" * 56, "default")
    with pytest.raises(BackendError, match="not a DNS-1123 label"):
        L.virtual_namespace_name("virtual", "Bad_NS")


def test_check_prefix() -> None:
    assert L.check_prefix("simarena-gw0-x") == "simarena-gw0-x"
    for bad in ("", "Upper", "-lead", "trail-", "a" * 64):
        with pytest.raises(BackendError, match="not a DNS-1123 label"):
            L.check_prefix(bad)


def test_run_id_is_a_label_value_from_time_pid_and_host() -> None:
    rid = L.new_run_id(now=0, pid=4242, host="abc123")
    assert rid == "19700101t000000-4242-abc123"
    assert L.is_label_value(rid)
    assert L.is_label_value(L.new_run_id()) and L.new_run_id().endswith(L.host_tag())
    with pytest.raises(BackendError, match="not a valid label value"):
        L.our_labels("has space", "p")


def test_simulation_name_fits_simkubes_service_name_limit() -> None:
    # sk-<sim>-driver-svc must be a 63-character DNS-1035 label (simkube.md §3.4)
    name = L.simulation_name("simarena-gw12-" + "x" * 40, "20261122t214201-123456")
    assert len(name) <= 49 and L.is_dns_label(name)
    assert len(f"sk-{name}-driver-svc") <= 63
    assert L.simulation_name("p", "r1") == "simarena-p-r1"


def test_add_labels_creates_metadata() -> None:
    obj: dict[str, object] = {"kind": "Pod"}
    L.add_labels(obj, {"a": "1"})
    assert obj["metadata"] == {"labels": {"a": "1"}}


def test_a_run_is_gone_only_when_it_was_this_hosts_and_its_process_ended() -> None:
    here = L.host_tag()
    dead, alive = (lambda _pid: False), (lambda _pid: True)
    assert L.run_is_gone(f"20261203t090000-4242-{here}", alive=dead)
    assert not L.run_is_gone(f"20261203t090000-4242-{here}", alive=alive)  # running (or pid reused)
    assert not L.run_is_gone("20261203t090000-4242-000000", alive=dead)  # another host: cannot know
    assert not L.run_is_gone("r1", alive=dead)  # not a run id of ours: never taken as gone
    assert not L.run_is_gone(L.new_run_id(), alive=dead)  # this process
    assert not L.run_is_gone(f"20261203t090000-{os.getpid()}-{here}")
