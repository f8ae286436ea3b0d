"""Namespace (run prefix) names for tests: DNS-1123 labels built from the test id and the xdist worker."""

from __future__ import annotations

import hashlib
import re

MAX_LABEL = 63  # DNS-1123 label length (kubernetes notes: namespace names are DNS-1123 labels)
# The prefix becomes "<prefix>-<original namespace>" (SimKube's virtual namespace rule), so leave room
# for "-default" and most namespace names.
MAX_PREFIX = 40

_NOT_DNS = re.compile(r"[^a-z0-9-]+")
_DASHES = re.compile(r"-{2,}")


def dns_label(text: str, *, max_len: int = MAX_LABEL) -> str:
    """Lower-case, ``[a-z0-9-]``, starts and ends alphanumeric, at most ``max_len`` characters.

    >>> dns_label("test_cpu[Slightly Bad]")
    'test-cpu-slightly-bad'
    """
    label = _DASHES.sub("-", _NOT_DNS.sub("-", text.lower())).strip("-")
    return (label[:max_len].rstrip("-") or "x") if label else "x"


def namespace_name(
    test_id: str, worker: str = "master", *, prefix: str = "sa", max_len: int = MAX_PREFIX
) -> str:
    """``sa-gw0-slightly-bad-heuristic-1a2b3c``: readable, unique per test and worker, stable across runs.

    The 6-hex-digit hash of the full test id keeps names distinct when truncation makes them collide.

    >>> namespace_name("cpu.yaml::slightly-bad[slightly-bad-cpu-heuristic]", "gw1")
    'sa-gw1-slightly-bad-cpu-heuristic-cbe794'
    """
    digest = hashlib.sha256(test_id.encode()).hexdigest()[:6]
    # The most specific part of the id (the parameters, else the test name) is the most useful to read.
    readable = test_id.rsplit("::", 1)[-1]
    if "[" in readable:
        readable = readable[readable.index("[") + 1 :].rstrip("]")
    head = dns_label(f"{prefix}-{worker}")
    room = max_len - len(head) - len(digest) - 2
    body = dns_label(readable, max_len=max(room, 1))
    return f"{head}-{body}-{digest}"
