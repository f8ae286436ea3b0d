"""The live embedded cluster: a running session read and written like a Kubernetes API.

The library layer under ``simarena serve`` (the REST API in :mod:`pytest_simarena.api`), the MCP server
and live episodes; see :class:`LiveSession`.
"""

from __future__ import annotations

from .errors import ApiError as ApiError
from .replay import LiveReplay as LiveReplay
from .replay import replay_live as replay_live
from .resources import RESOURCES as RESOURCES
from .resources import Resource as Resource
from .runfolder import is_live_run as is_live_run
from .session import LiveSession as LiveSession
from .session import WriteRecord as WriteRecord

__all__ = [
    "RESOURCES",
    "ApiError",
    "LiveReplay",
    "LiveSession",
    "Resource",
    "WriteRecord",
    "is_live_run",
    "replay_live",
]
