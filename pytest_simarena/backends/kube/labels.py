"""Our labels on everything the kube backend creates, label selectors, and DNS-1123 names.

Everything we create carries ``app.kubernetes.io/managed-by=pytest-simarena`` (the recommended label's
convention for the tool that manages an object), ``simarena.io/run=<run id>`` (which process created it)
and ``simarena.io/prefix=<prefix>`` (which test's run prefix it belongs to). Cleanup selects on all three
(:func:`run_labels`), so two sessions that use one prefix never delete each other's objects; managed-by +
prefix alone (:func:`prefix_labels`) only *finds* other runs of a prefix, to refuse a prefix in use. An
object without our labels is never selected. A run id names its host and process, so a run's leftovers
can be proven stale when that process is gone (:func:`run_is_gone`).

Kubernetes name rules (kubernetes.md §2.3, apimachinery validation): a namespace name is a DNS-1123
label (``[a-z0-9]([-a-z0-9]*[a-z0-9])?``, at most 63 characters); a label value is at most 63
characters of ``[A-Za-z0-9_.-]``, beginning and ending alphanumeric (or empty).
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pytest_simarena.errors import BackendError

MANAGED_BY_KEY = "app.kubernetes.io/managed-by"
MANAGED_BY = "pytest-simarena"
RUN_KEY = "simarena.io/run"
PREFIX_KEY = "simarena.io/prefix"
# Set only on namespaces this backend created: the one proof that deleting the namespace is ours to do.
CREATED_KEY = "simarena.io/created"

DNS_LABEL_MAX = 63
LABEL_VALUE_MAX = 63
_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")

# SimKube's controller names the driver Service ``sk-<sim>-driver-svc`` (simkube.md §3.4); a Service name
# is a DNS-1035 label of at most 63 characters, so a simulation name may use 63 - 14 = 49.
SIM_NAME_MAX = DNS_LABEL_MAX - len("sk-") - len("-driver-svc")


def is_dns_label(text: str) -> bool:
    """True iff ``text`` is a valid DNS-1123 label (namespace names, most object names)."""
    return len(text) <= DNS_LABEL_MAX and bool(_DNS_LABEL.match(text))


def is_label_value(text: str) -> bool:
    """True iff ``text`` is a valid label value."""
    return len(text) <= LABEL_VALUE_MAX and bool(_LABEL_VALUE.match(text))


def dns_label(text: str, max_len: int = DNS_LABEL_MAX) -> str:
    """``text`` made into a DNS-1123 label of at most ``max_len`` characters.

    Lowercased, runs of other characters become one ``-``; a name that had to be cut keeps a 6-character
    hash of the whole text so two long names that share a beginning stay distinct.
    """
    if max_len < 8:
        raise ValueError(f"max_len={max_len}: a DNS label this short cannot hold a distinguishing hash")
    cleaned = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
    if len(cleaned) <= max_len:
        return cleaned
    digest = hashlib.sha256(text.encode()).hexdigest()[:6]
    head = cleaned[: max_len - len(digest) - 1].rstrip("-")
    return f"{head}-{digest}"


def virtual_namespace_name(prefix: str, original_namespace: str) -> str:
    """``<prefix>-<ns>`` (SimKube's rule, simkube.md §3.4), checked to be a valid namespace name."""
    name = f"{prefix}-{original_namespace}"
    if not is_dns_label(name):
        problem = (
            f"longer than {DNS_LABEL_MAX} characters ({len(name)})"
            if len(name) > DNS_LABEL_MAX
            else "not a DNS-1123 label (lowercase letters, digits and '-', alphanumeric at both ends)"
        )
        raise BackendError(
            f"namespace {name!r} (prefix {prefix!r} + trace namespace {original_namespace!r}) is {problem}; "
            "use a shorter prefix"
        )
    return name


def check_prefix(prefix: str) -> str:
    """``prefix`` if it can start namespace names and be a label value; BackendError otherwise."""
    if not prefix or not is_dns_label(prefix) or not is_label_value(prefix):
        raise BackendError(
            f"run prefix {prefix!r} is not a DNS-1123 label (lowercase letters, digits and '-', "
            f"alphanumeric at both ends, at most {DNS_LABEL_MAX} characters)"
        )
    return prefix


def host_tag(hostname: str | None = None) -> str:
    """Six hex digits naming this host in run ids (a hash: host names need not be label values)."""
    return hashlib.sha256((hostname or socket.gethostname()).encode()).hexdigest()[:6]


def new_run_id(now: float | None = None, pid: int | None = None, host: str | None = None) -> str:
    """A run id (a label value): UTC time, process id and host tag, ``20261122t214201-4242-3f9a1c``."""
    stamp = time.strftime("%Y%m%dt%H%M%S", time.gmtime(time.time() if now is None else now))
    return f"{stamp}-{os.getpid() if pid is None else pid}-{host or host_tag()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but is not ours to signal (EPERM)
        return True
    return True


def run_is_gone(run_id: str, *, host: str | None = None, alive: Callable[[int], bool] = _pid_alive) -> bool:
    """True only when ``run_id`` was made on this host by a process that no longer exists.

    Anything else (another host, a run id of another form, a live pid, possibly reused) counts as in use:
    a run that is wrongly taken as gone would have its objects deleted under it.
    """
    match = re.fullmatch(r"\d{8}t\d{6}-(\d+)-([0-9a-f]{6})", run_id)
    if match is None or match.group(2) != (host or host_tag()):
        return False
    pid = int(match.group(1))
    return pid != os.getpid() and not alive(pid)


def our_labels(run_id: str, prefix: str) -> dict[str, str]:
    """The labels every object we create carries."""
    for value in (run_id, prefix):
        if not is_label_value(value):
            raise BackendError(f"{value!r} is not a valid label value (at most 63 of [A-Za-z0-9_.-])")
    return {MANAGED_BY_KEY: MANAGED_BY, RUN_KEY: run_id, PREFIX_KEY: prefix}


def run_labels(run_id: str, prefix: str) -> dict[str, str]:
    """What selects the objects of one run of ``prefix`` for cleanup: the same three labels."""
    return our_labels(run_id, prefix)


def prefix_labels(prefix: str) -> dict[str, str]:
    """What finds every run's objects of ``prefix`` (to detect a prefix in use; never to delete)."""
    return {MANAGED_BY_KEY: MANAGED_BY, PREFIX_KEY: prefix}


def run_of(obj: Mapping[str, Any]) -> str:
    """The run id an object of ours carries (``""`` without one)."""
    return str(labels_of(obj).get(RUN_KEY, ""))


def selector(labels: Mapping[str, str]) -> str:
    """An equality-based label selector string, keys sorted: ``a=1,b=2``."""
    return ",".join(f"{k}={labels[k]}" for k in sorted(labels))


def parse_selector(text: str) -> dict[str, str]:
    """The ``key=value`` pairs of an equality-based selector (``==`` accepted, as the API server does)."""
    out: dict[str, str] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, value = part.replace("==", "=").partition("=")
        if not sep or not key.strip() or "!" in key:
            raise ValueError(f"{part!r}: only equality selectors (key=value) are supported")
        out[key.strip()] = value.strip()
    return out


def labels_of(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    meta = obj.get("metadata")
    labels = meta.get("labels") if isinstance(meta, Mapping) else None
    return labels if isinstance(labels, Mapping) else {}


def matches(obj: Mapping[str, Any], wanted: Mapping[str, str]) -> bool:
    """True iff ``obj`` carries every label of ``wanted`` with that value (as the API server selects)."""
    labels = labels_of(obj)
    return all(labels.get(k) == v for k, v in wanted.items())


def select(objs: Iterable[Mapping[str, Any]], wanted: Mapping[str, str]) -> list[Mapping[str, Any]]:
    """The objects of ``objs`` that ``wanted`` selects, in order."""
    return [o for o in objs if matches(o, wanted)]


def add_labels(obj: dict[str, Any], labels: Mapping[str, str]) -> dict[str, Any]:
    """Set ``labels`` on ``obj``'s metadata in place (creating metadata/labels as needed); returns ``obj``."""
    meta = obj.get("metadata")
    if not isinstance(meta, dict):
        meta = obj["metadata"] = {}
    current = meta.get("labels")
    if not isinstance(current, dict):
        current = meta["labels"] = {}
    current.update(labels)
    return obj


def simulation_name(prefix: str, run_id: str) -> str:
    """The Simulation's name: ``simarena-<prefix>-<run id>``, fitted to SimKube's 49-character limit."""
    return dns_label(f"simarena-{prefix}-{run_id}", SIM_NAME_MAX)
