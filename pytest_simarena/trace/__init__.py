"""The trace layer: SimKube v2 traces as plain data, their I/O, validation, edits and generator."""

from __future__ import annotations

from pytest_simarena.errors import TraceError as TraceError

from .diff import Change as Change
from .diff import diff_traces as diff_traces
from .diff import render_diff as render_diff
from .io import dump_trace as dump_trace
from .io import dumps as dumps
from .io import load_trace as load_trace
from .io import loads as loads
from .model import Trace as Trace
from .model import WorkloadRef as WorkloadRef
from .validate import Problem as Problem
from .validate import validate as validate

__all__ = [
    "Change",
    "Problem",
    "Trace",
    "TraceError",
    "WorkloadRef",
    "diff_traces",
    "dump_trace",
    "dumps",
    "load_trace",
    "loads",
    "render_diff",
    "validate",
]
