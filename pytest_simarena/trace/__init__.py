"""The trace layer: SimKube v2 traces as plain data, their I/O, validation, edits and generator."""

from __future__ import annotations

from pytest_simarena.errors import TraceError as TraceError

from .io import dump_trace as dump_trace
from .io import dumps as dumps
from .io import load_trace as load_trace
from .io import loads as loads
from .model import Trace as Trace
from .model import WorkloadRef as WorkloadRef

__all__ = ["Trace", "TraceError", "WorkloadRef", "dump_trace", "dumps", "load_trace", "loads"]
