"""The official ``kubernetes`` client, imported only when a cluster is used (see the package docstring)."""

from __future__ import annotations

import importlib
from typing import Any

from pytest_simarena.errors import BackendUnavailable

INSTALL_HINT = "pip install 'kubernetes>=29' (the official Kubernetes Python client)"


def load_client() -> Any:
    """The ``kubernetes`` package, or BackendUnavailable saying how to install it."""
    try:
        return importlib.import_module("kubernetes")
    except ImportError as exc:
        raise BackendUnavailable(
            f"the kube backend needs the kubernetes client, which cannot be imported ({exc}); {INSTALL_HINT}"
        ) from None
