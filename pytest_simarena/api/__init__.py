"""The Kubernetes REST API over a live embedded cluster (``simarena serve``); see :class:`ApiServer`."""

from __future__ import annotations

from .server import ApiServer as ApiServer

__all__ = ["ApiServer"]
