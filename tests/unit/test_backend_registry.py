"""Backends by name: built-ins, did-you-mean, and the hint when the kube backend cannot load."""

from __future__ import annotations

import sys

import pytest

from pytest_simarena.backends.registry import available_backends, make_backend
from pytest_simarena.errors import BackendUnavailable, UnknownNameError


def test_builtin_backends_are_listed_and_made_by_name() -> None:
    assert {"embedded", "kube"} <= set(available_backends())
    assert make_backend("embedded", seed=3).name == "embedded"


def test_an_unknown_backend_suggests_the_close_name() -> None:
    with pytest.raises(UnknownNameError, match="embedded"):
        make_backend("embeded")


def test_a_broken_kube_install_names_a_real_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes the import fail, as a missing or broken kubernetes client would.
    monkeypatch.setitem(sys.modules, "pytest_simarena.backends.kube", None)
    with pytest.raises(BackendUnavailable) as info:
        make_backend("kube")
    message = str(info.value)
    assert "[kube]" not in message  # there is no such extra: kubernetes is a core dependency
    assert "pip install" in message and "kubernetes" in message
