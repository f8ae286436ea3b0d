"""The simulated cluster's nodes: ClusterSpec and NodeGroup (Python or a small YAML/JSON file), Node objects.

The default is the seed team's SimKube setup: KWOK virtual nodes of 16 cpu / 32Gi / 110 pods, labelled
``type: virtual`` and tainted ``kwok-provider=true:NoSchedule`` (simkube.md §5: SimKube's driver gives
every simulated pod the matching nodeSelector and toleration), three of them. Allocatable equals capacity
unless given (kubernetes.md §7.3: KWOK nodes report what their object says; no kubelet reservations).

File format::

    nodeGroups:
      - name: big            # nodes big-0, big-1, ...
        count: 2
        cpu: "32"
        memory: 64Gi
        pods: 110            # optional
        labels: {type: virtual}
        taints: ["kwok-provider=true:NoSchedule"]   # or {key, value, effect} maps
        allocatable: {cpu: 31500m}                  # optional, per resource; default = capacity
    kubernetesVersion: "1.35"  # optional: whose rules and messages (versions.py); default the newest
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import QuantityError, SimArenaError
from pytest_simarena.quantities import format_cpu, format_memory, parse_cpu, parse_memory

from . import versions

if TYPE_CHECKING:
    from .clock import Clock

Obj = dict[str, Any]

TAINT_EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")
KWOK_LABELS: dict[str, str] = {"type": "virtual"}
KWOK_TAINT: dict[str, str] = {"key": "kwok-provider", "value": "true", "effect": "NoSchedule"}
_GROUP_KEYS = ("name", "count", "cpu", "memory", "pods", "labels", "taints", "allocatable", "unschedulable")


@lru_cache(maxsize=1024)
def _cpu(value: str | int | float) -> int:
    return parse_cpu(value)


@lru_cache(maxsize=1024)
def _mem(value: str | int | float) -> int:
    return parse_memory(value)


@lru_cache(maxsize=1024)
def _cpu_text(millicores: int) -> str:
    return format_cpu(millicores)


@lru_cache(maxsize=1024)
def _mem_text(num_bytes: int) -> str:
    return format_memory(num_bytes)


def parse_taint(value: Any, where: str = "taints") -> dict[str, str]:
    """A taint from ``{"key", "value", "effect"}`` or ``"key=value:Effect"`` / ``"key:Effect"``."""
    if isinstance(value, str):
        body, sep, effect = value.rpartition(":")
        if not sep or not body:
            raise SimArenaError(f"{where}: {value!r} is not a taint (expected key=value:Effect)")
        key, _, val = body.partition("=")
        taint = {"key": key, "value": val, "effect": effect}
    elif isinstance(value, Mapping):
        unknown = set(value) - {"key", "value", "effect"}
        if unknown:
            raise SimArenaError(f"{where}: unknown taint field(s) {sorted(unknown)} (key, value, effect)")
        taint = {
            "key": str(value.get("key", "")),
            "value": str(value.get("value", "")),
            "effect": str(value.get("effect", "")),
        }
    else:
        raise SimArenaError(f"{where}: {value!r} is not a taint (a key=value:Effect string or a map)")
    if not taint["key"]:
        raise SimArenaError(f"{where}: taint {value!r} has no key")
    if taint["effect"] not in TAINT_EFFECTS:
        raise SimArenaError(
            f"{where}: taint effect {taint['effect']!r} must be one of {', '.join(TAINT_EFFECTS)}"
        )
    return taint


def _count(value: Any, where: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise SimArenaError(f"{where}: must be an integer >= {minimum}, got {value!r}")
    return value


def _quantity(value: Any, where: str, *, memory: bool) -> int:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise SimArenaError(
            f"{where}: must be a quantity such as {'32Gi' if memory else '16'}, got {value!r}"
        )
    try:
        parsed = parse_memory(value) if memory else parse_cpu(value)
    except QuantityError as exc:
        raise SimArenaError(f"{where}: {exc}") from None
    if parsed < 0:
        raise SimArenaError(f"{where}: must not be negative, got {value!r}")
    return parsed


@dataclass(frozen=True)
class NodeGroup:
    """``count`` identical nodes named ``<name>-0`` .. ``<name>-<count-1>``.

    ``cpu``/``memory`` are capacities as quantities (``"16"``, ``"32Gi"``; a number is read as Kubernetes
    reads a JSON number). ``allocatable`` overrides capacity per resource (``{"cpu": "15500m"}``).
    """

    name: str
    count: int
    cpu: str | int | float
    memory: str | int | float
    pods: int = 110
    labels: Mapping[str, str] = field(default_factory=dict)
    taints: list[Any] = field(default_factory=list)
    allocatable: Mapping[str, Any] | None = None
    unschedulable: bool = False

    def __post_init__(self) -> None:
        self.check()

    def check(self, where: str | None = None) -> None:
        """Raise SimArenaError naming the bad field (``where`` prefixes it, e.g. ``file: nodeGroups[0]``)."""
        at = where or f"NodeGroup {self.name!r}"
        if not isinstance(self.name, str) or not self.name:
            raise SimArenaError(f"{at}.name: must be a non-empty string, got {self.name!r}")
        _count(self.count, f"{at}.count", minimum=0)
        _quantity(self.cpu, f"{at}.cpu", memory=False)
        _quantity(self.memory, f"{at}.memory", memory=True)
        _count(self.pods, f"{at}.pods", minimum=0)
        if not isinstance(self.labels, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in self.labels.items()
        ):
            raise SimArenaError(f"{at}.labels: must map strings to strings, got {self.labels!r}")
        if not isinstance(self.taints, list | tuple):
            raise SimArenaError(f"{at}.taints: must be a list, got {self.taints!r}")
        for i, taint in enumerate(self.taints):
            parse_taint(taint, f"{at}.taints[{i}]")
        if self.allocatable is not None:
            if not isinstance(self.allocatable, Mapping):
                raise SimArenaError(
                    f"{at}.allocatable: must be a map of cpu/memory/pods, got {self.allocatable!r}"
                )
            for key, value in self.allocatable.items():
                if key == "cpu":
                    _quantity(value, f"{at}.allocatable.cpu", memory=False)
                elif key == "memory":
                    _quantity(value, f"{at}.allocatable.memory", memory=True)
                elif key == "pods":
                    _count(value, f"{at}.allocatable.pods", minimum=0)
                else:
                    raise SimArenaError(f"{at}.allocatable: unknown resource {key!r} (cpu, memory, pods)")

    def node_names(self) -> list[str]:
        return [f"{self.name}-{i}" for i in range(self.count)]


@dataclass(frozen=True)
class ClusterSpec:
    """The nodes of an embedded cluster, as groups of identical nodes, and the Kubernetes version it plays."""

    node_groups: list[NodeGroup] = field(default_factory=list)
    kubernetes_version: str = versions.DEFAULT

    def __post_init__(self) -> None:
        try:
            object.__setattr__(self, "kubernetes_version", versions.check_version(self.kubernetes_version))
        except ValueError as exc:
            raise SimArenaError(f"cluster spec: kubernetesVersion: {exc}") from None

    def with_version(self, version: str | None) -> ClusterSpec:
        """This spec playing Kubernetes ``version`` (None keeps its own)."""
        if version is None:
            return self
        return ClusterSpec(list(self.node_groups), version)

    @classmethod
    def default(cls) -> ClusterSpec:
        """Three KWOK virtual nodes, 16 cpu / 32Gi / 110 pods, ``type=virtual``, ``kwok-provider`` taint."""
        return cls.uniform(3, "16", "32Gi")

    @classmethod
    def uniform(
        cls,
        count: int,
        cpu: str | int | float,
        memory: str | int | float,
        pods: int = 110,
        *,
        name: str = "kwok-node",
        labels: Mapping[str, str] | None = None,
        taints: list[Any] | None = None,
    ) -> ClusterSpec:
        """``count`` identical nodes; labels/taints default to SimKube's virtual-node ones (simkube.md §5)."""
        return cls(
            [
                NodeGroup(
                    name,
                    count,
                    cpu,
                    memory,
                    pods,
                    dict(KWOK_LABELS if labels is None else labels),
                    list([KWOK_TAINT] if taints is None else taints),
                )
            ]
        )

    def to_dict(self) -> Obj:
        """The ``{"nodeGroups": [...]}`` form :meth:`from_dict` reads (run logs record it for replay)."""
        groups: list[Obj] = []
        for g in self.node_groups:
            entry: Obj = {
                "name": g.name,
                "count": g.count,
                "cpu": g.cpu,
                "memory": g.memory,
                "pods": g.pods,
                "labels": dict(g.labels),
                "taints": [dict(t) if isinstance(t, Mapping) else t for t in g.taints],
            }
            if g.allocatable is not None:
                entry["allocatable"] = dict(g.allocatable)
            if g.unschedulable:
                entry["unschedulable"] = True
            groups.append(entry)
        return {"nodeGroups": groups, "kubernetesVersion": self.kubernetes_version}

    @classmethod
    def from_record(cls, data: Any, *, source: str) -> ClusterSpec:
        """A run log's recorded ``clusterSpec``: as :meth:`from_dict`, but a record without
        kubernetesVersion was made before clusters had one, under 1.33's rules (versions.UNRECORDED)."""
        if isinstance(data, Mapping) and "kubernetesVersion" not in data:
            data = {**data, "kubernetesVersion": versions.UNRECORDED}
        return cls.from_dict(data, source=source)

    @classmethod
    def from_dict(cls, data: Any, *, source: str = "cluster spec") -> ClusterSpec:
        """Build from ``{"nodeGroups": [...]}``; errors name ``source`` and the field."""
        if not isinstance(data, Mapping):
            raise SimArenaError(f"{source}: must be a map with a nodeGroups list")
        unknown = set(data) - {"nodeGroups", "kubernetesVersion"}
        if unknown:
            raise SimArenaError(
                f"{source}: unknown key(s) {sorted(unknown)} (expected nodeGroups, kubernetesVersion)"
            )
        version = data.get("kubernetesVersion", versions.DEFAULT)
        try:
            version = versions.check_version(version)
        except ValueError as exc:
            raise SimArenaError(f"{source}: kubernetesVersion: {exc}") from None
        groups = data.get("nodeGroups")
        if not isinstance(groups, list) or not groups:
            raise SimArenaError(f"{source}: nodeGroups: must be a non-empty list of node groups")
        built: list[NodeGroup] = []
        names: set[str] = set()
        for i, raw in enumerate(groups):
            where = f"{source}: nodeGroups[{i}]"
            if not isinstance(raw, Mapping):
                raise SimArenaError(f"{where}: must be a map, got {raw!r}")
            bad = set(raw) - set(_GROUP_KEYS)
            if bad:
                raise SimArenaError(
                    f"{where}: unknown field(s) {sorted(bad)} (known: {', '.join(_GROUP_KEYS)})"
                )
            for required in ("name", "count", "cpu", "memory"):
                if required not in raw:
                    raise SimArenaError(f"{where}.{required}: required")
            try:
                group = NodeGroup.__new__(NodeGroup)
                object.__setattr__(group, "name", raw["name"])
                object.__setattr__(group, "count", raw["count"])
                object.__setattr__(group, "cpu", raw["cpu"])
                object.__setattr__(group, "memory", raw["memory"])
                object.__setattr__(group, "pods", raw.get("pods", 110))
                object.__setattr__(group, "labels", dict(raw.get("labels") or {}))
                object.__setattr__(group, "taints", list(raw.get("taints") or []))
                object.__setattr__(group, "allocatable", raw.get("allocatable"))
                object.__setattr__(group, "unschedulable", bool(raw.get("unschedulable", False)))
            except (TypeError, ValueError) as exc:
                raise SimArenaError(f"{where}: {exc}") from None
            group.check(where)
            if group.name in names:
                raise SimArenaError(f"{where}.name: duplicate node group name {group.name!r}")
            names.add(group.name)
            built.append(group)
        return cls(built, version)

    @classmethod
    def from_file(cls, path: str | Path) -> ClusterSpec:
        """Load a YAML or JSON cluster file (see the module docstring for the format)."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise SimArenaError(f"{p}: cannot read cluster file ({exc.strerror or exc})") from None
        try:
            if p.suffix == ".json":
                data = json.loads(text)
            else:
                import yaml

                data = yaml.safe_load(text)
        except (ValueError, ImportError) as exc:
            raise SimArenaError(
                f"{p}: not valid {'JSON' if p.suffix == '.json' else 'YAML'} ({exc})"
            ) from None
        except Exception as exc:  # yaml.YAMLError has no common base with ValueError
            raise SimArenaError(f"{p}: not valid YAML ({str(exc).splitlines()[0]})") from None
        return cls.from_dict(data, source=str(p))

    def total_nodes(self) -> int:
        return sum(g.count for g in self.node_groups)

    def prototypes(self) -> list[Node]:
        """Empty Node objects for every node (parsed once per spec and cached; copy before use)."""
        cached: list[Node] | None = self.__dict__.get("_prototypes")
        if cached is None:
            cached = [Node.from_group(g, i) for g in self.node_groups for i in range(g.count)]
            object.__setattr__(self, "_prototypes", cached)
        return cached


class Node:
    """A node as the scheduler sees it: allocatable, the requests placed on it, and its pods."""

    __slots__ = (
        "alloc_cpu",
        "alloc_mem",
        "alloc_pods",
        "bucket",
        "bucket_pos",
        "cap_cpu",
        "cap_mem",
        "cap_pods",
        "created",
        "labels",
        "name",
        "npods",
        "nz_cpu",
        "nz_mem",
        "pods",
        "req_cpu",
        "req_mem",
        "shape",
        "shape_key",
        "taints",
        "uid",
        "unschedulable",
    )

    def __init__(
        self,
        name: str,
        *,
        cpu: int,
        memory: int,
        pods: int,
        labels: Mapping[str, str],
        taints: list[dict[str, str]],
        alloc_cpu: int | None = None,
        alloc_mem: int | None = None,
        alloc_pods: int | None = None,
        unschedulable: bool = False,
        uid: str = "",
        created: float = 0.0,
    ) -> None:
        self.name = name
        self.cap_cpu = cpu
        self.cap_mem = memory
        self.cap_pods = pods
        self.alloc_cpu = cpu if alloc_cpu is None else alloc_cpu
        self.alloc_mem = memory if alloc_mem is None else alloc_mem
        self.alloc_pods = pods if alloc_pods is None else alloc_pods
        # Well-known labels every node carries (kubelet sets hostname and os).
        self.labels = {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **labels}
        self.taints = taints
        self.unschedulable = unschedulable
        self.uid = uid
        self.created = created
        self.req_cpu = 0
        self.req_mem = 0
        self.nz_cpu = 0
        self.nz_mem = 0
        self.npods = 0
        self.pods: dict[str, Any] = {}
        self.shape: Any = None
        # The scheduler's grouping key, computed once per prototype and shared by its fresh copies.
        self.shape_key: Any = None
        self.bucket: Any = None
        self.bucket_pos = -1

    @classmethod
    def from_group(cls, group: NodeGroup, index: int, *, uid: str = "", created: float = 0.0) -> Node:
        alloc = dict(group.allocatable or {})
        return cls(
            f"{group.name}-{index}",
            cpu=_cpu(group.cpu),
            memory=_mem(group.memory),
            pods=group.pods,
            labels=dict(group.labels),
            taints=[parse_taint(t) for t in group.taints],
            alloc_cpu=_cpu(alloc["cpu"]) if "cpu" in alloc else None,
            alloc_mem=_mem(alloc["memory"]) if "memory" in alloc else None,
            alloc_pods=int(alloc["pods"]) if "pods" in alloc else None,
            unschedulable=group.unschedulable,
            uid=uid,
            created=created,
        )

    def fresh_copy(self, uid: str, created: float = 0.0) -> Node:
        """An empty node of the same shape (labels and taints are shared: nodes never change them)."""
        new = Node.__new__(Node)
        new.name = self.name
        new.cap_cpu, new.cap_mem, new.cap_pods = self.cap_cpu, self.cap_mem, self.cap_pods
        new.alloc_cpu, new.alloc_mem, new.alloc_pods = self.alloc_cpu, self.alloc_mem, self.alloc_pods
        new.labels = self.labels
        new.taints = self.taints
        new.unschedulable = self.unschedulable
        new.uid = uid
        new.created = created
        new.req_cpu = new.req_mem = new.nz_cpu = new.nz_mem = new.npods = 0
        new.pods = {}
        new.shape = None
        new.shape_key = self.shape_key
        new.bucket = None
        new.bucket_pos = -1
        return new

    def to_api(self, clock: Clock) -> Obj:
        """The Node as ``kubectl get node -o json`` shows it (a KWOK fake node)."""
        spec: Obj = {}
        if self.taints:
            spec["taints"] = [dict(t) for t in self.taints]
        if self.unschedulable:
            spec["unschedulable"] = True
        ts = clock.timestamp(self.created)
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": self.name,
                "uid": self.uid,
                "labels": dict(self.labels),
                "annotations": {"kwok.x-k8s.io/node": "fake"},
                "creationTimestamp": ts,
            },
            "spec": spec,
            "status": {
                "capacity": {
                    "cpu": _cpu_text(self.cap_cpu),
                    "memory": _mem_text(self.cap_mem),
                    "pods": str(self.cap_pods),
                },
                "allocatable": {
                    "cpu": _cpu_text(self.alloc_cpu),
                    "memory": _mem_text(self.alloc_mem),
                    "pods": str(self.alloc_pods),
                },
                "conditions": [
                    {
                        "type": "Ready",
                        "status": "True",
                        "reason": "KubeletReady",
                        "message": "kubelet is posting ready status",
                        "lastTransitionTime": ts,
                    }
                ],
                "nodeInfo": {"kubeletVersion": "fake", "operatingSystem": "linux", "architecture": "amd64"},
            },
        }
