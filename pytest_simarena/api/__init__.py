"""The Kubernetes REST API over a live embedded cluster (``simarena serve``); see :class:`ApiServer`."""

from __future__ import annotations

from .server import DEFAULT_BODY_LIMIT as DEFAULT_BODY_LIMIT
from .server import DEFAULT_REQUEST_COST as DEFAULT_REQUEST_COST
from .server import ApiServer as ApiServer
from .watch import DEFAULT_WATCH_SECONDS as DEFAULT_WATCH_SECONDS

__all__ = ["DEFAULT_BODY_LIMIT", "DEFAULT_REQUEST_COST", "DEFAULT_WATCH_SECONDS", "ApiServer"]
