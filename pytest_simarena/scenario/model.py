"""Scenario files expanded into cases: one :class:`ScenarioCase` per trace x policy (x seed).

Pure data and file-system lookups; no pytest. The plugin turns each case into a test item whose id is
``<file>::<scenario>[<trace>-<policy>]`` (``-seed<N>`` appended when a scenario lists several seeds).
"""

from __future__ import annotations

import copy
import dataclasses
import glob
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_simarena.trace import catalog

from .loader import FieldPath, LoadedFile, load_file

Obj = dict[str, Any]

# The policy name of a scenario that names a ``command:`` agent (its param id is ``<trace>-command``).
COMMAND_POLICY = "command"
TRACE_SUFFIXES: tuple[str, ...] = catalog.TRACE_SUFFIXES
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE_ID = re.compile(r"[^A-Za-z0-9_.-]+")


@dataclass(frozen=True, slots=True)
class MarkSpec:
    """A pytest mark written in a scenario file: ``slow``, ``{xfail: reason}``, ``{skip: {reason: ...}}``."""

    name: str
    args: tuple[Any, ...] = ()
    kwargs: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def parse(cls, raw: Any) -> MarkSpec:
        if isinstance(raw, str):
            return cls(raw)
        ((name, value),) = raw.items()
        if value is None:
            return cls(name)
        if isinstance(value, str):
            # skip/xfail/skipif take a reason; any other mark gets the string as its argument.
            if name in ("skip", "xfail"):
                return cls(name, (), (("reason", value),))
            return cls(name, (value,))
        if isinstance(value, list):
            return cls(name, tuple(value))
        return cls(name, (), tuple(sorted(value.items())))


@dataclass(frozen=True, slots=True)
class ClusterChoice:
    """Which cluster a case runs on: the default, a cluster file, or uniform nodes."""

    kind: str  # "default" | "file" | "uniform"
    path: str | None = None
    nodes: int = 3
    cpu: str = "16"
    memory: str = "32Gi"
    pods: int = 110
    kubernetes_version: str | None = None  # the case's own (cluster map key kubernetesVersion)

    @property
    def key(self) -> tuple[Any, ...]:
        """Hashable identity (cases with equal keys may share one cluster)."""
        return (self.kind, self.path, self.nodes, self.cpu, self.memory, self.pods, self.kubernetes_version)

    def describe(self) -> str:
        if self.kind == "default":
            what = "default (3 nodes x 16 cpu / 32Gi / 110 pods)"
        elif self.kind == "file":
            what = f"file {self.path}"
        else:
            what = f"{self.nodes} nodes x {self.cpu} cpu / {self.memory} / {self.pods} pods"
        return what if self.kubernetes_version is None else f"{what} at Kubernetes {self.kubernetes_version}"

    @classmethod
    def uniform(cls, nodes: int, cpu: Any, memory: Any, pods: int = 110) -> ClusterChoice:
        return cls("uniform", None, int(nodes), str(cpu), str(memory), int(pods))


DEFAULT_CLUSTER = ClusterChoice("default")


@dataclass(frozen=True, slots=True, kw_only=True)
class Expectations:
    """What a case's episode must show; ``None`` means "not checked" (see docs/scenarios.md)."""

    solved: bool | None = None
    within: int | None = None
    final: tuple[tuple[str, int | str], ...] = ()
    min_total_reward: float | None = None
    max_total_reward: float | None = None
    blocked: bool | None = None
    events_present: tuple[str, ...] = ()
    events_absent: tuple[str, ...] = ()
    hold: int | None = None
    error: bool | str = False

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> Expectations:
        events = raw.get("events") or {}
        return cls(
            solved=raw.get("solved"),
            within=raw.get("within"),
            final=tuple((k, v) for k, v in (raw.get("final") or {}).items()),
            min_total_reward=raw.get("min_total_reward"),
            max_total_reward=raw.get("max_total_reward"),
            blocked=raw.get("blocked"),
            events_present=tuple(events.get("present") or ()),
            events_absent=tuple(events.get("absent") or ()),
            hold=raw.get("hold"),
            error=raw.get("error", False),
        )

    def describe(self) -> list[str]:
        """One line per expectation, for reports."""
        out = []
        if self.solved is not None:
            out.append(f"solved: {str(self.solved).lower()}")
        if self.within is not None:
            out.append(f"within: {self.within} steps")
        for key, value in self.final:
            out.append(f"final.{key}: {value}")
        if self.min_total_reward is not None:
            out.append(f"min_total_reward: {self.min_total_reward}")
        if self.max_total_reward is not None:
            out.append(f"max_total_reward: {self.max_total_reward}")
        if self.blocked is not None:
            out.append(f"blocked: {str(self.blocked).lower()}")
        out += [f"event present: {e!r}" for e in self.events_present]
        out += [f"event absent: {e!r}" for e in self.events_absent]
        if self.hold is not None:
            out.append(f"hold: {self.hold}")
        if self.error:
            out.append(f"error: {self.error}")
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class ScenarioCase:
    """One test: a trace, a policy, a seed and everything needed to run and judge its episode.

    ``None`` in ``steps``, ``step_duration``, ``reward`` means "use the plugin setting".
    """

    file: Path
    scenario: str
    line: int
    param_id: str
    trace: Path
    policy: str
    seed: int | None = None
    description: str = ""
    workload: str | None = None
    namespace: str | None = None
    kind: str | None = None
    target: int | None = None
    cluster: ClusterChoice | None = None
    steps: int | None = None
    step_duration: float | None = None
    reward: str | None = None
    hold: int | None = None
    expect: Expectations = field(default_factory=Expectations)
    marks: tuple[MarkSpec, ...] = ()
    mode: str | None = None  # "replay" | "live"; None: live for live-only agents, else replay
    command: tuple[str, ...] = ()  # a command agent's argv (then policy is COMMAND_POLICY)
    budget: tuple[tuple[str, float], ...] = ()  # a live turn's limits: seconds, writes, wall_seconds
    requires: tuple[str, ...] = ()  # programs the agent needs on PATH (missing: the test is skipped)

    @property
    def test_id(self) -> str:
        """``cpu.yaml::slightly-bad[slightly-bad-cpu-heuristic]``: whatever the rootdir, worker and order."""
        return f"{self.file.name}::{self.scenario}[{self.param_id}]"

    def derived_seed(self, base_seed: int) -> int:
        """The case's seed: its explicit seed, else a stable hash of the test id and ``base_seed``."""
        if self.seed is not None:
            return self.seed
        return derive_seed(self.test_id, base_seed)


def derive_seed(test_id: str, base_seed: int) -> int:
    """A 31-bit seed from a test id and a base seed (SHA-256; never Python's per-process ``hash``)."""
    digest = hashlib.sha256(f"{base_seed}:{test_id}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def safe_id(text: str) -> str:
    """Characters pytest ids and shells handle well (``mod:Policy`` -> ``mod_Policy``)."""
    return _UNSAFE_ID.sub("_", text).strip("_") or "x"


trace_stem = catalog.stem


# --------------------------------------------------------------------------------------------------------
# Resolution of traces, policies, clusters


@dataclass(frozen=True, slots=True)
class Context:
    """Where names are looked up while expanding a file."""

    rootpath: Path
    trace_dirs: tuple[Path, ...] = ()
    builtin_policies: tuple[str, ...] = ()
    # check_policy(name, folder of the scenario file) raises LookupError for a name that cannot be used
    check_policy: Callable[[str, Path], None] | None = None


def resolve_traces(spec: str, *, base: Path, ctx: Context) -> list[Path]:
    """Paths for one ``traces:`` entry: a glob, a path (relative to the file, then rootdir), or a name
    looked up in ``ctx.trace_dirs`` (the project's folders, then the packaged traces).

    Raises:
        LookupError: nothing matches; the message lists close trace names.
    """
    roots = [base, ctx.rootpath]
    if _GLOB_CHARS.search(spec):
        for root in roots:
            pattern = spec if Path(spec).is_absolute() else str(root / spec)
            found = sorted(Path(p) for p in glob.glob(pattern, recursive=True) if Path(p).is_file())
            if found:
                return [p.resolve() for p in found]
        raise LookupError(f"no trace file matches {spec!r} (searched from {base} and {ctx.rootpath})")
    for root in roots:
        candidate = Path(spec) if Path(spec).is_absolute() else root / spec
        if candidate.is_file():
            return [candidate.resolve()]
    named = catalog.by_name(spec, ctx.trace_dirs)
    if named is not None:
        return [named.resolve()]
    raise LookupError(catalog.not_found(spec, ctx.trace_dirs))


def _cluster(raw: Any, base: Path) -> ClusterChoice:
    if isinstance(raw, dict):
        # A map: node fields (uniform nodes), or {file: path}; either may add kubernetesVersion, which alone
        # is the default cluster at that version.
        rest = {k: v for k, v in raw.items() if k != "kubernetesVersion"}
        if "file" in rest and len(rest) > 1:
            others = ", ".join(sorted(k for k in rest if k != "file"))
            raise LookupError(f"file: a cluster file cannot be combined with {others}")
        if "file" in rest:
            choice = _cluster(str(rest["file"]), base)
        elif not rest:
            choice = DEFAULT_CLUSTER
        else:
            choice = ClusterChoice.uniform(
                rest.get("nodes", 3), rest.get("cpu", "16"), rest.get("memory", "32Gi"), rest.get("pods", 110)
            )
        if "kubernetesVersion" not in raw:
            return choice
        from pytest_simarena.backends.embedded.versions import check_version

        try:
            version = check_version(raw["kubernetesVersion"])
        except ValueError as exc:
            raise LookupError(f"kubernetesVersion: {exc}") from None
        return dataclasses.replace(choice, kubernetes_version=version)
    if raw == "default":
        return DEFAULT_CLUSTER
    path = Path(raw) if Path(raw).is_absolute() else base / raw
    if not path.is_file():
        raise LookupError(f"cluster file {raw!r} not found (relative to {base})")
    return ClusterChoice("file", str(path.resolve()))


# --------------------------------------------------------------------------------------------------------
# Expansion


@dataclass(frozen=True, slots=True)
class Scenario:
    """One entry of ``scenarios:`` with its cases (empty only when it names no trace)."""

    name: str
    line: int
    cases: tuple[ScenarioCase, ...]


# Older key -> the setting's name (pytest_simarena/settings.py); both spellings are accepted in files.
OLDER_KEYS = {"steps": "max_steps", "step_duration": "step_seconds"}


def current_names(loaded: LoadedFile, where: FieldPath, mapping: Mapping[str, Any]) -> Obj:
    """``mapping`` with older keys renamed to the settings' names; both spellings at once is an error."""
    out = dict(mapping)
    for old, new in OLDER_KEYS.items():
        if old in out:
            if new in out:
                raise loaded.error((*where, old), f"{old!r} is the older name of {new!r}; give only {new!r}")
            out[new] = out.pop(old)
    return out


def _merge(defaults: Mapping[str, Any], own: Mapping[str, Any]) -> Obj:
    """A scenario's keys over the file defaults: ``expect`` and ``policies`` merge, marks add up."""
    out: Obj = copy.deepcopy(dict(defaults))
    for key, value in own.items():
        if key == "expect" and isinstance(out.get("expect"), dict):
            out["expect"] = merge_expect(out["expect"], value)
        elif key == "marks" and "marks" in out:
            out["marks"] = [*out["marks"], *value]
        elif key == "policies" and isinstance(out.get("policies"), dict):
            out["policies"] = merge_policies(out["policies"], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def merge_policies(base: Mapping[str, Any], over: Any) -> Any:
    """A scenario's ``policies`` over the file defaults' mapping.

    A mapping merges per policy (``expect`` key by key, ``marks`` added); a list picks policies, each
    keeping its defaults entry; ``all`` keeps the defaults' policies and adds any other built-in.
    """
    if isinstance(over, dict):
        out: Obj = {name: copy.deepcopy(entry) for name, entry in base.items()}
        for name, entry in over.items():
            mine = dict(out.get(name) or {})
            for key, value in (entry or {}).items():
                if key == "expect":
                    mine["expect"] = merge_expect(mine.get("expect") or {}, value)
                elif key == "marks":
                    mine["marks"] = [*(mine.get("marks") or []), *value]
                else:
                    mine[key] = copy.deepcopy(value)
            out[name] = mine or None
        return out
    if isinstance(over, list):
        return {name: copy.deepcopy(base.get(name)) for name in over}
    return copy.deepcopy(over)


def merge_expect(base: Mapping[str, Any], over: Mapping[str, Any] | None) -> Obj:
    out: Obj = copy.deepcopy(dict(base))
    for key, value in (over or {}).items():
        if key in ("final", "events") and isinstance(out.get(key), dict) and isinstance(value, dict):
            out[key] = {**out[key], **value}
        else:
            out[key] = copy.deepcopy(value)
    return out


def _policies(raw: Any, ctx: Context) -> list[tuple[str, Obj]]:
    if raw is None or raw == "all":
        return [(p, {}) for p in ctx.builtin_policies]
    if isinstance(raw, dict) and "all" in raw:
        # {"all": entry, "vpa": ...}: every built-in policy with ``entry``, named ones merged over it.
        shared = raw["all"] or {}
        named = {k: v for k, v in raw.items() if k != "all"}
        merged = merge_policies({p: copy.deepcopy(shared) for p in ctx.builtin_policies}, named)
        return [(name, entry or {}) for name, entry in merged.items()]
    if isinstance(raw, list):
        out: list[tuple[str, Obj]] = []
        for name in raw:
            if name == "all":
                out += [(p, {}) for p in ctx.builtin_policies]
            else:
                out.append((name, {}))
        return out
    return [(name, entry or {}) for name, entry in raw.items()]


def expand(loaded: LoadedFile, ctx: Context) -> list[Scenario]:
    """Every scenario of a loaded file with its cases.

    Raises:
        ScenarioError: an unknown trace, policy, cluster file, or duplicate test id, as
            ``file:line: field: ...``.
    """
    defaults: Obj = current_names(loaded, ("defaults",), loaded.data.get("defaults") or {})
    base = loaded.path.parent
    scenarios: list[Scenario] = []
    seen_names: dict[str, int] = {}
    for i, raw in enumerate(loaded.data["scenarios"]):
        where: FieldPath = ("scenarios", i)
        raw = current_names(loaded, where, raw)
        merged = _merge(defaults, raw)
        name = merged["name"]
        line = loaded.line_of(where)
        if name in seen_names:
            raise loaded.error(
                (*where, "name"), f"duplicate scenario name {name!r} (first at line {seen_names[name]})"
            )
        seen_names[name] = line

        def origin(key: str, i: int = i, raw: Obj = raw) -> FieldPath:
            return ("scenarios", i, key) if key in raw else ("defaults", key)

        if "traces" not in merged:
            raise loaded.error(where, "'traces' is required (here or under 'defaults')")
        traces: list[Path] = []
        for j, spec in enumerate(merged["traces"]):
            try:
                traces += resolve_traces(spec, base=base, ctx=ctx)
            except LookupError as exc:
                raise loaded.error((*origin("traces"), j), str(exc.args[0])) from None
        traces = list(dict.fromkeys(traces))  # a trace named twice runs once
        stems: dict[str, Path] = {}
        for t in traces:
            stem = trace_stem(t)
            if stem in stems:
                raise loaded.error(origin("traces"), f"two traces named {stem!r}: {stems[stem]} and {t}")
            stems[stem] = t

        cluster = None
        if "cluster" in merged:
            try:
                cluster = _cluster(merged["cluster"], base)
            except LookupError as exc:
                raise loaded.error(origin("cluster"), str(exc.args[0])) from None

        command: tuple[str, ...] = tuple(merged.get("command") or ())
        if command and "policies" in raw:
            raise loaded.error(
                origin("command"), "a scenario names either 'policies' or a 'command', not both"
            )
        policies = [(COMMAND_POLICY, {})] if command else _policies(merged.get("policies"), ctx)
        if not policies:
            raise loaded.error(origin("policies"), "no policies (and no built-in policy registry available)")
        if ctx.check_policy is not None and not command:
            for pname, _ in policies:
                try:
                    ctx.check_policy(pname, base)
                except LookupError as exc:
                    raise loaded.error(origin("policies"), str(exc)) from None
        seeds: Sequence[int | None] = merged.get("seeds") or [None]
        scenario_expect = merged.get("expect") or {}
        scenario_marks = [MarkSpec.parse(m) for m in merged.get("marks") or ()]

        cases: list[ScenarioCase] = []
        # What every case of the scenario shares, and each policy's expectations and marks: the same for
        # every trace (Expectations and MarkSpec are frozen), built once rather than per trace.
        shared: Obj = {
            "file": loaded.path,
            "scenario": name,
            "line": line,
            "description": merged.get("description", ""),
            "workload": merged.get("workload"),
            "namespace": merged.get("namespace"),
            "kind": merged.get("kind"),
            "target": merged.get("target"),
            "cluster": cluster,
            "steps": merged.get("max_steps"),
            "step_duration": merged.get("step_seconds"),
            "reward": merged.get("reward"),
            "hold": merged.get("hold"),
            "mode": merged.get("mode"),
            "command": command,
            "budget": tuple(sorted((merged.get("budget") or {}).items())),
            "requires": tuple(merged.get("requires") or ()),
        }
        per_policy = [
            (
                pname,
                safe_id(pname),
                Expectations.from_mapping(merge_expect(scenario_expect, entry.get("expect"))),
                (*scenario_marks, *(MarkSpec.parse(m) for m in entry.get("marks") or ())),
            )
            for pname, entry in (policies if traces else ())
        ]
        for trace in traces:
            stem = trace_stem(trace)
            for pname, policy_id, expect, marks in per_policy:
                for seed in seeds:
                    param = f"{stem}-{policy_id}"
                    if len(seeds) > 1:
                        param += f"-seed{seed}"
                    cases.append(
                        ScenarioCase(
                            param_id=param,
                            trace=trace,
                            policy=pname,
                            seed=seed,
                            expect=expect,
                            marks=marks,
                            **shared,
                        )
                    )
        ids: dict[str, None] = {}
        for case in cases:
            if case.param_id in ids:
                raise loaded.error(where, f"two cases would share the id {case.param_id!r}")
            ids[case.param_id] = None
        scenarios.append(Scenario(name, line, tuple(cases)))
    return scenarios


def load_scenarios(path: Path | str, ctx: Context) -> list[Scenario]:
    """Load, check and expand a scenario file (raises ScenarioError naming ``file:line``)."""
    return expand(load_file(path), ctx)


def all_cases(scenarios: Iterable[Scenario]) -> list[ScenarioCase]:
    return [c for s in scenarios for c in s.cases]
