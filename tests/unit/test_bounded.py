"""BoundedDict: the step memos' bound by count."""

from __future__ import annotations

import pickle

from pytest_simarena.bounded import BoundedDict


def test_a_full_dict_is_emptied_before_a_new_key() -> None:
    memo: BoundedDict[int, str] = BoundedDict(3)
    for key in range(3):
        memo[key] = str(key)
    memo[1] = "one"  # an existing key is replaced without emptying
    assert memo == {0: "0", 1: "one", 2: "2"}
    memo[3] = "3"
    assert memo == {3: "3"}
    for key in range(100):
        memo[key] = str(key)
        assert len(memo) <= 3


def test_pickles_as_an_empty_memo_of_the_same_bound() -> None:
    memo: BoundedDict[str, int] = BoundedDict(5)
    memo["a"] = 1
    copy = pickle.loads(pickle.dumps(memo))
    assert type(copy) is BoundedDict and copy == {} and copy.max_entries == 5
