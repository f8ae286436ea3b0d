"""Invariants of the live session's patch and selector code (hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pytest_simarena.live.patch import merge_patch, strategic_merge
from pytest_simarena.live.selectors import label_matcher

keys = st.sampled_from(["a", "b", "c", "spec", "meta"])
scalars = st.one_of(st.integers(-5, 5), st.text("xyz", max_size=3), st.booleans())
# JSON objects without lists: there, strategic merge and RFC 7386 merge patch must agree.
trees = st.recursive(scalars, lambda inner: st.dictionaries(keys, inner, max_size=4), max_leaves=12)
objects = st.dictionaries(keys, trees, max_size=4)
patches = st.dictionaries(keys, st.one_of(st.none(), trees), max_size=4)
label_keys = st.sampled_from(["app", "tier", "team", "simkube.io/virtual"])
label_values = st.text("abc123", min_size=1, max_size=4)
# A shared 2-core machine: no per-example deadline (speed is measured by benchmarks, not here).
SETTINGS = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(objects, patches)
def test_merge_patch_is_idempotent_and_never_changes_its_inputs(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    before = repr((target, patch))
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once
    assert merge_patch(target, {}) == target
    assert repr((target, patch)) == before


@SETTINGS
@given(objects, patches)
def test_strategic_merge_without_lists_is_a_merge_patch(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    assert strategic_merge(target, patch) == merge_patch(target, patch)


@SETTINGS
@given(
    st.lists(st.sampled_from(["web", "side", "init"]), unique=True, min_size=1),
    st.lists(st.sampled_from(["web", "side", "log"]), unique=True),
)
def test_containers_merge_by_name(existing: list[str], patched: list[str]) -> None:
    target = {"containers": [{"name": n, "image": "old"} for n in existing]}
    patch = {"containers": [{"name": n, "image": "new"} for n in patched]}
    result = strategic_merge(target, patch)["containers"]
    names = [c["name"] for c in result]
    assert names == [*existing, *(n for n in patched if n not in existing)]
    assert all(c["image"] == ("new" if c["name"] in patched else "old") for c in result)


@SETTINGS
@given(st.dictionaries(label_keys, label_values, min_size=1))
def test_a_selector_of_an_objects_own_labels_matches_it(labels: dict[str, str]) -> None:
    obj = {"metadata": {"labels": labels}}
    equal = ",".join(f"{k}={v}" for k, v in labels.items())
    assert label_matcher(equal)(obj)
    assert label_matcher(",".join(f"{k} in ({v},zzz)" for k, v in labels.items()))(obj)
    key, value = next(iter(labels.items()))
    assert not label_matcher(f"{key}!={value}")(obj)
    assert not label_matcher(f"!{key}")(obj)
    assert label_matcher("absent-key notin (x)")(obj)
