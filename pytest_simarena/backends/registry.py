"""Backends by name: ``embedded`` (default, in-process), ``kube`` (a real cluster), or entry points.

>>> make_backend("embedded").name
'embedded'

Options: ``seed`` (embedded: the simulator's one random generator), ``cluster`` (embedded: a cluster spec
file, see ``ClusterSpec.from_file``), ``spec`` (a ``ClusterSpec``) or ``uniform`` (``{"nodes", "cpu",
"memory", "pods"}``, as a trace's metadata notes its intended cluster), ``kubernetes_version`` (embedded:
the version the cluster plays, over the spec's own); anything else is passed to the
backend's constructor. ``kube`` is imported lazily so the kubernetes client is loaded only when used.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

from pytest_simarena.errors import BackendUnavailable, UnknownNameError

from .protocol import ClusterBackend

ENTRY_POINT_GROUP = "simarena.backends"
BUILTIN_BACKENDS = ("embedded", "kube")


def available_backends() -> list[str]:
    """Built-in backend names plus those registered under the ``simarena.backends`` entry point."""
    return sorted({*BUILTIN_BACKENDS, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})


def _embedded(options: dict[str, Any]) -> ClusterBackend:
    from .embedded import ClusterSpec, EmbeddedCluster

    spec = options.pop("spec", None)
    cluster = options.pop("cluster", None)
    uniform = options.pop("uniform", None)
    if spec is None and cluster is not None:
        spec = ClusterSpec.from_file(Path(cluster))
    if spec is None and uniform is not None:
        spec = ClusterSpec.uniform(
            int(uniform["nodes"]), uniform["cpu"], uniform["memory"], int(uniform.get("pods", 110))
        )
    version = options.pop("kubernetes_version", None)
    if version is not None:
        spec = (spec if spec is not None else ClusterSpec.default()).with_version(version)
    seed = options.pop("seed", 0)
    backend: ClusterBackend = EmbeddedCluster(spec, seed=seed, **options)
    return backend


def _kube(options: dict[str, Any]) -> ClusterBackend:
    try:
        module = importlib.import_module("pytest_simarena.backends.kube")
    except ImportError as exc:
        raise BackendUnavailable(
            f"the kube backend cannot be imported ({exc}); reinstall pytest-simarena, which depends on "
            "the kubernetes client (pip install --force-reinstall pytest-simarena 'kubernetes>=29')"
        ) from None
    factory = getattr(module, "make_backend", None) or getattr(module, "KubeCluster", None)
    if factory is None:
        raise BackendUnavailable("the kube backend is not available in this version of pytest-simarena")
    for embedded_only in ("spec", "cluster", "uniform", "kubernetes_version"):
        options.pop(embedded_only, None)
    backend: ClusterBackend = factory(**options)
    return backend


def make_backend(name: str, **options: Any) -> ClusterBackend:
    """A new backend called ``name``; UnknownNameError with a did-you-mean for unknown names."""
    if name == "embedded":
        return _embedded(dict(options))
    if name == "kube":
        return _kube(dict(options))
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name == name:
            factory = ep.load()
            backend: ClusterBackend = factory(**options)
            return backend
    raise UnknownNameError("backend", name, available_backends())
