"""pytest-simarena: test and train agents that repair Kubernetes workloads, on SimKube traces."""

from __future__ import annotations

__version__ = "0.1.0"
