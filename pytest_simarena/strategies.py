"""Hypothesis strategies for pytest-simarena's data, public so users can property-test their own policies.

Everything generated is small (a few events, deployments and containers) so property tests stay fast, and
valid the way the Kubernetes API and SimKube would make it:

* :func:`quantities` - quantity *strings* in every notation Kubernetes accepts (``1500m``, ``1.5``, ``.5``,
  ``5.``, ``+2``, exponent forms ``1.5e3``/``15E2``, ``1536Mi``, ``1.5Gi``, ``1500000k``);
  the value they denote (``parse_cpu``/``parse_memory``) lies in the asked bounds.
* :func:`cpu_millicores`, :func:`memory_bytes` - the integer views, biased toward round and edge values.
* :func:`containers`, :func:`pod_templates`, :func:`workloads` - API-shaped camelCase dicts with keys
  sorted as SimKube stores them (apiVersion, kind, metadata, then sorted keys; nested maps sorted; see
  ``trace/normalize.simkube_order``); requests never exceed limits (kubernetes notes 2.3).
* :func:`traces` - valid SimKube v2 :class:`~pytest_simarena.trace.model.Trace` objects: 1-4 events with
  integer, non-decreasing ``ts``; 1-5 Deployments in one namespace; the index as SimKube's tracer computes it.
* :func:`action_sequences` - lists of :class:`~pytest_simarena.actions.Action` over a trace's workloads.

``notation="canonical"`` writes every quantity as :func:`~pytest_simarena.quantities.format_cpu` /
:func:`~pytest_simarena.quantities.format_memory` print it (what actions write back), ``"any"`` mixes all
notations. ``profile`` picks the resource ranges: ``"normal"`` (within the default safeguards),
``"near_capacity"`` (requests near one 16 cpu / 32Gi node and the caps), ``"broken"`` (up to twice the caps,
the mistakes this project repairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any, Literal

from hypothesis import strategies as st

from .actions import ACTION_TYPES, Action
from .quantities import (
    DECIMAL_SI,
    Quantity,
    format_cpu,
    format_memory,
    parse_cpu,
    parse_memory,
    parse_quantity,
)
from .safeguards import DEFAULT_SAFEGUARDS
from .trace.hashing import lifecycle_hash, rebuild_index
from .trace.model import Obj, Trace
from .trace.normalize import simkube_order
from .trace.usage import write_usage

__all__ = [
    "EPOCH",
    "action_sequences",
    "actions",
    "containers",
    "cpu_millicores",
    "memory_bytes",
    "near_capacity_traces",
    "pod_templates",
    "quantities",
    "traces",
    "workloads",
]

Notation = Literal["canonical", "any"]
Profile = Literal["normal", "near_capacity", "broken"]
Kind = Literal["cpu", "memory"]

Ki, Mi, Gi = 1024, 1024**2, 1024**3
EPOCH = 1730390400  # 2024-10-31T16:00:00Z, where the seed team's traces start
DEPLOYMENT_GVK = "apps/v1.Deployment"

# The default safeguards (16 cpu / 32Gi per container, 100 replicas; floors 1m / 4Mi).
CPU_FLOOR, CPU_CAP = (v or 0 for v in DEFAULT_SAFEGUARDS.bounds("cpu"))
MEMORY_FLOOR, MEMORY_CAP = (v or 0 for v in DEFAULT_SAFEGUARDS.bounds("memory"))
REPLICA_CAP = DEFAULT_SAFEGUARDS.bounds("replicas")[1] or 100

_ROUND_CPU = (1, 5, 10, 50, 100, 250, 500, 750, 1000, 1500, 2000, 4000, 8000, 8500, 15500, 15600, 16000)
_ROUND_MEMORY = tuple(n * Mi for n in (4, 64, 128, 256, 512, 1024, 1536, 2048, 4096, 8192, 16384, 32768))
_NAMES = ("web", "api", "checkout", "search", "frontend", "payments", "ledger", "worker", "db", "cache")
_SIDECARS = ("envoy", "log-shipper", "metrics", "init-db", "proxy", "agent", "sidecar", "cron", "app")
_DEC_SUFFIXES = (("n", -9), ("u", -6), ("m", -3), ("", 0), ("k", 3), ("M", 6), ("G", 9), ("T", 12))
_BIN_SUFFIXES = (("Ki", 1), ("Mi", 2), ("Gi", 3), ("Ti", 4))


# -- quantities


def _bounded(values: Sequence[int], low: int, high: int) -> list[int]:
    return [v for v in values if low <= v <= high]


def cpu_millicores(min_value: int = CPU_FLOOR, max_value: int = CPU_CAP) -> st.SearchStrategy[int]:
    """Millicores in ``[min_value, max_value]``, often round (500, 1000...) or at the edges."""
    round_values = [*_bounded(_ROUND_CPU, min_value, max_value), min_value, max_value]
    return st.one_of(st.sampled_from(round_values), st.integers(min_value, max_value))


def memory_bytes(min_value: int = MEMORY_FLOOR, max_value: int = MEMORY_CAP) -> st.SearchStrategy[int]:
    """Bytes in ``[min_value, max_value]``: round sizes, whole Mi, and arbitrary byte counts."""
    round_values = [*_bounded(_ROUND_MEMORY, min_value, max_value), min_value, max_value]
    whole_mi = st.integers(-(-min_value // Mi), max_value // Mi).map(lambda n: n * Mi)
    whole_mi = whole_mi.filter(lambda b: min_value <= b <= max_value)
    return st.one_of(st.sampled_from(round_values), whole_mi, st.integers(min_value, max_value))


def _decimal_text(value: Fraction) -> str | None:
    """Plain decimal text for a non-negative terminating fraction (``Fraction(3, 2)`` -> ``"1.5"``)."""
    scale = 0
    while (value * 10**scale).denominator != 1:
        scale += 1
        if scale > 30:
            return None
    digits = str(int(value * 10**scale)).rjust(scale + 1, "0")
    if scale == 0:
        return digits
    return f"{digits[:-scale]}.{digits[-scale:]}".rstrip("0").rstrip(".")


def _spellings(value: Fraction, kind: Kind) -> list[str]:
    """Every reasonably short way to write ``value`` (>= 0) as a quantity string."""
    out: list[str] = []
    for suffix, exponent in _DEC_SUFFIXES:
        text = _decimal_text(value / Fraction(10) ** exponent)
        if text is not None and len(text) <= 24:
            out.append(text + suffix)
    if kind == "memory":
        for suffix, power in _BIN_SUFFIXES:
            text = _decimal_text(value / Ki**power)
            if text is not None and len(text) <= 16:
                out.append(text + suffix)
    if value:
        scale = 0
        while (value * 10**scale).denominator != 1:
            scale += 1
        mantissa, exponent = int(value * 10**scale), -scale
        while mantissa % 10 == 0:
            mantissa //= 10
            exponent += 1
        digits = str(mantissa)
        out += [f"{digits}e{exponent}", f"{digits}E{exponent}"]
        if len(digits) > 1:
            out.append(f"{digits[0]}.{digits[1:]}e{exponent + len(digits) - 1}")
    return out


def _decorate(text: str, choice: int) -> str:
    """Legal variations of a spelling: a ``+`` sign, ``0.5`` as ``.5``, ``5`` as ``5.``, trailing zeros."""
    number_end = next((i for i, c in enumerate(text) if c not in "0123456789."), len(text))
    number, suffix = text[:number_end], text[number_end:]
    if choice == 1:
        return "+" + text
    if choice == 2 and number.startswith("0.") and len(number) > 2:
        return number[1:] + suffix
    if choice == 3 and "." not in number:
        return number + "." + suffix
    if choice == 4 and "." in number:
        return number + "00" + suffix
    return text


@st.composite
def _quantity_text(draw: st.DrawFn, value: Fraction, kind: Kind, notation: Notation) -> str:
    exact_unit = value * (1000 if kind == "cpu" else 1)
    if notation == "canonical" or draw(st.integers(0, 4)) == 0:
        if exact_unit.denominator == 1:
            unit = int(exact_unit)
            return format_cpu(unit) if kind == "cpu" else format_memory(unit)
        return str(Quantity(value, DECIMAL_SI))
    text = draw(st.sampled_from(_spellings(value, kind)))
    return _decorate(text, draw(st.integers(0, 6)))


def _unit_bounds(kind: Kind, min_value: int | str | None, max_value: int | str | None) -> tuple[int, int]:
    parse = parse_cpu if kind == "cpu" else parse_memory
    default = (CPU_FLOOR, CPU_CAP) if kind == "cpu" else (MEMORY_FLOOR, MEMORY_CAP)
    low = default[0] if min_value is None else min_value if isinstance(min_value, int) else parse(min_value)
    high = default[1] if max_value is None else max_value if isinstance(max_value, int) else parse(max_value)
    if low > high or low < 0:
        raise ValueError(f"empty or negative {kind} range [{low}, {high}]")
    return low, high


@st.composite
def quantities(
    draw: st.DrawFn,
    kind: Kind = "cpu",
    min_value: int | str | None = None,
    max_value: int | str | None = None,
    *,
    notation: Notation = "any",
) -> str:
    """A quantity string whose ``parse_cpu`` (millicores) / ``parse_memory`` (bytes) is within the bounds.

    Bounds are in those units or quantity strings (``quantities("memory", "4Mi", "32Gi")``); by default the
    safeguards' floor and cap. In ``"any"`` notation the exact value may sit below the unit (``0.5m``
    cpu, ``1500m`` bytes of memory): Kubernetes rounds it up, and so does the bound check.
    """
    low, high = _unit_bounds(kind, min_value, max_value)
    if kind == "cpu":
        unit = draw(cpu_millicores(low, high))
        value = Fraction(unit, 1000)
        if notation == "any" and unit > 0 and draw(st.integers(0, 5)) == 0:
            value -= Fraction(draw(st.integers(0, 10**6 - 1)), 10**9)  # sub-millicore: rounds up to unit
    else:
        unit = draw(memory_bytes(low, high))
        value = Fraction(unit)
        if notation == "any" and unit > 0 and draw(st.integers(0, 5)) == 0:
            value -= Fraction(draw(st.integers(0, 999)), 1000)  # milli-bytes: rounds up to unit
    text: str = draw(_quantity_text(value, kind, notation))
    return text


# -- containers, pod templates, workloads


def _ranges(kind: Kind, profile: Profile) -> tuple[int, int]:
    floor, cap = (CPU_FLOOR, CPU_CAP) if kind == "cpu" else (MEMORY_FLOOR, MEMORY_CAP)
    if profile == "near_capacity":
        return cap - cap // 16, cap  # 15-16 cpu, 30-32Gi
    if profile == "broken":
        return floor, 2 * cap
    return floor, cap


@st.composite
def _resource(
    draw: st.DrawFn, kind: Kind, profile: Profile, notation: Notation
) -> tuple[dict[str, str], int | None]:
    """``({"requests"?: text, "limits"?: text}, usage)`` for one resource of one container."""
    low, high = _ranges(kind, profile)
    units = cpu_millicores(low, high) if kind == "cpu" else memory_bytes(low, high)
    shape = draw(st.sampled_from(["both", "both", "request", "request", "limit", "equal", "none"]))
    request = draw(units) if shape != "none" else None
    limit: int | None = None
    if shape == "both" and request is not None:
        limit = draw(units.filter(lambda v: v >= request)) if request < high else request
    elif shape in ("limit", "equal"):
        limit = request
    values: dict[str, str] = {}
    for which, unit in (("requests", request if shape != "limit" else None), ("limits", limit)):
        if unit is not None:
            exact = Fraction(unit, 1000) if kind == "cpu" else Fraction(unit)
            if which == "requests" and notation == "any" and unit > 0 and draw(st.integers(0, 5)) == 0:
                # Finer than the unit (0.5m cpu, 1500m bytes): Kubernetes rounds it up when it counts.
                # Only requests are shaved, so the exact request never exceeds the limit.
                fine, most = (Fraction(1, 10**9), 10**6 - 1) if kind == "cpu" else (Fraction(1, 1000), 999)
                exact -= fine * draw(st.integers(0, most))
            values[which] = draw(_quantity_text(exact, kind, notation))
    # Simulated usage: below, at or above the limit (at the limit must not OOM; above must).
    reference = limit or request or high
    usage = draw(st.sampled_from([reference, reference // 2, reference + reference // 4, 0]))
    return values, usage


@st.composite
def _container_and_usage(
    draw: st.DrawFn,
    name: str,
    profile: Profile,
    notation: Notation,
    usage_at_limit: bool,
    sparse: bool = False,
) -> tuple[Obj, dict[str, str]]:
    requests: dict[str, str] = {}
    limits: dict[str, str] = {}
    usage: dict[str, str] = {}
    for kind in ("cpu", "memory"):
        values, used = draw(_resource(kind, profile, notation))
        if "requests" in values:
            requests[kind] = values["requests"]
        if "limits" in values:
            limits[kind] = values["limits"]
        if usage_at_limit and "limits" in values:
            used = parse_cpu(values["limits"]) if kind == "cpu" else parse_memory(values["limits"])
        if used is not None:
            usage[kind] = format_cpu(used) if kind == "cpu" else format_memory(used)
    resources: Obj = {}
    if limits:
        resources["limits"] = dict(sorted(limits.items()))
    if requests:
        resources["requests"] = dict(sorted(requests.items()))
    image = draw(st.sampled_from(["nginx:1.27", "busybox:1.36", "ghcr.io/example/app:v2", "redis:7"]))
    container: Obj = {
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": name,
        "resources": resources,  # the API always writes the map, possibly empty
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    }
    if sparse and not resources and draw(st.booleans()):
        del container["resources"]  # hand-written traces often leave the empty map out
    if draw(st.booleans()):
        container["ports"] = [{"containerPort": draw(st.integers(1, 65535)), "protocol": "TCP"}]
        container = dict(sorted(container.items()))
    return container, usage


def containers(
    name: str | None = None, *, profile: Profile = "normal", notation: Notation = "any"
) -> st.SearchStrategy[Obj]:
    """One API-shaped container (``name``, image, ``resources`` with requests <= limits...)."""
    names = st.just(name) if name else st.sampled_from(_SIDECARS)
    return names.flatmap(lambda n: _container_and_usage(n, profile, notation, False).map(lambda cu: cu[0]))


@st.composite
def pod_templates(
    draw: st.DrawFn,
    app: str = "web",
    *,
    min_containers: int = 1,
    max_containers: int = 3,
    profile: Profile = "normal",
    notation: Notation = "any",
    usage: bool | None = None,
    usage_at_limit: bool = False,
    sparse: bool = False,
) -> Obj:
    """A pod template as a Deployment carries it, optionally with the ``simarena.io/usage`` annotation.

    ``usage=None`` adds the annotation at random; ``usage_at_limit`` makes usage equal to every limit;
    ``sparse`` sometimes leaves out an empty ``resources`` map (the API always writes it; people do not).
    """
    names = draw(
        st.lists(
            st.sampled_from((app, *_SIDECARS)),
            min_size=min_containers,
            max_size=max_containers,
            unique=True,
        )
    )
    built = [draw(_container_and_usage(n, profile, notation, usage_at_limit, sparse)) for n in names]
    template: Obj = {
        "metadata": {"creationTimestamp": None, "labels": {"app": app}},
        "spec": {
            "containers": [c for c, _ in built],
            "dnsPolicy": "ClusterFirst",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {},
            "terminationGracePeriodSeconds": 30,
        },
    }
    with_usage = draw(st.booleans()) if usage is None else usage
    declared = {n: u for n, (_, u) in zip(names, built, strict=True) if u}
    if (with_usage or usage_at_limit) and declared:
        write_usage(template, declared)
    return template


@st.composite
def workloads(
    draw: st.DrawFn,
    name: str | None = None,
    namespace: str = "default",
    *,
    replicas: st.SearchStrategy[int] | None = None,
    profile: Profile = "normal",
    notation: Notation = "any",
    max_containers: int = 3,
    usage: bool | None = None,
    usage_at_limit: bool = False,
    sparse: bool = False,
) -> Obj:
    """A Deployment as SimKube's tracer stores it (the shape of the dsb-scaling trace's objects).

    ``sparse`` sometimes leaves out ``spec.replicas`` (the API defaults it to 1) and empty ``resources``.
    """
    app = name or draw(st.sampled_from(_NAMES))
    count = draw(replicas if replicas is not None else st.integers(0, 12))
    template = draw(
        pod_templates(
            app,
            max_containers=max_containers,
            profile=profile,
            notation=notation,
            usage=usage,
            usage_at_limit=usage_at_limit,
            sparse=sparse,
        )
    )
    obj = simkube_order(
        {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            # SimKube's sanitizer strips two annotations and always leaves the (empty) map behind.
            "metadata": {"annotations": {}, "labels": {"app": app}, "name": app, "namespace": namespace},
            "spec": {
                "progressDeadlineSeconds": 600,
                "replicas": count,
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": {"app": app}},
                "strategy": {
                    "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"},
                    "type": "RollingUpdate",
                },
                "template": template,
            },
        }
    )
    if sparse and draw(st.booleans()):
        del obj["spec"]["replicas"]
    return obj


# -- traces


@st.composite
def traces(
    draw: st.DrawFn,
    *,
    min_events: int = 1,
    max_events: int = 4,
    min_deployments: int = 1,
    max_deployments: int = 5,
    namespace: str | None = None,
    profile: Profile = "normal",
    notation: Notation = "any",
    max_containers: int = 3,
    replicas: st.SearchStrategy[int] | None = None,
    usage: bool | None = None,
    usage_at_limit: bool = False,
    deletions: bool = False,
    lifecycles: bool | None = None,
    sparse: bool = False,
) -> Trace:
    """A valid SimKube v2 trace of Deployments in one namespace, as SimKube's tracer would write it.

    Each Deployment is first applied in some event; later events may re-apply a new version (other
    replicas) so every event applies something. ``deletions`` lets the last event delete one Deployment;
    ``lifecycles`` adds pod lifecycles keyed by pod-spec hash (None: at random); ``sparse`` leaves out
    what the API would default (see :func:`workloads`).
    """
    ns = namespace or draw(st.sampled_from(["default", "dsb", "shop", "team-a"]))
    n_events = draw(st.integers(min_events, max_events))
    names = draw(
        st.lists(st.sampled_from(_NAMES), min_size=min_deployments, max_size=max_deployments, unique=True)
    )
    objs = [
        draw(
            workloads(
                n,
                ns,
                replicas=replicas,
                profile=profile,
                notation=notation,
                max_containers=max_containers,
                usage=usage,
                usage_at_limit=usage_at_limit,
                sparse=sparse,
            )
        )
        for n in names
    ]
    first = sorted(draw(st.lists(st.integers(0, n_events - 1), min_size=len(objs), max_size=len(objs))))
    first[0] = 0  # the first event applies something
    offsets = sorted(draw(st.lists(st.integers(0, 3600), min_size=n_events, max_size=n_events)))
    events: list[Obj] = []
    latest: dict[str, Obj] = {}
    for i in range(n_events):
        applied = [obj for obj, at in zip(objs, first, strict=True) if at == i]
        if not applied or (latest and draw(st.integers(0, 3)) == 0):
            # A later version of a Deployment already applied: only its replicas change (kubectl scale).
            name = draw(st.sampled_from(sorted(latest)))
            version = simkube_order({**latest[name], "spec": {**latest[name]["spec"]}})
            version["spec"]["replicas"] = draw(replicas if replicas is not None else st.integers(0, 12))
            applied = [o for o in applied if o["metadata"]["name"] != name] + [version]
        for obj in applied:
            latest[obj["metadata"]["name"]] = obj
        events.append({"ts": EPOCH + offsets[i], "applied_objs": applied, "deleted_objs": []})
    if deletions and n_events > 1 and draw(st.booleans()):
        last = {o["metadata"]["name"] for o in events[-1]["applied_objs"]}
        candidates = sorted(name for name in latest if name not in last)
        if candidates:
            gone = draw(st.sampled_from(candidates))
            events[-1]["deleted_objs"].append(simkube_order(latest[gone]))
    trace = Trace(
        events=events,
        config={"trackedObjects": {DEPLOYMENT_GVK: {"podSpecTemplatePaths": ["/spec/template"]}}},
    )
    if lifecycles if lifecycles is not None else draw(st.booleans()):
        trace.pod_lifecycles = draw(_lifecycles(trace))
    rebuild_index(trace)
    return trace


@st.composite
def _lifecycles(draw: st.DrawFn, trace: Trace) -> dict[Any, Any]:
    """SimKube's pod_lifecycles: ``{(gvk, "ns/name"): {pod-spec hash: [lifecycle, ...]}}`` (notes 1.7)."""
    out: dict[Any, Any] = {}
    for ref in trace.workloads():
        if not draw(st.booleans()):
            continue
        obj = trace.latest(ref)
        assert obj is not None
        spec_hash = lifecycle_hash(obj["spec"]["template"]["spec"])
        start = trace.start_ts + draw(st.integers(0, 600))
        entries = draw(
            st.lists(
                st.one_of(
                    st.just("Empty"),
                    st.builds(lambda s: {"Running": s}, st.integers(start, start + 60)),
                    st.builds(lambda a, d: {"Finished": [a, a + d]}, st.just(start), st.integers(0, 300)),
                ),
                min_size=1,
                max_size=3,
            )
        )
        out[(ref.gvk, ref.key)] = {spec_hash: entries}
    return out


def near_capacity_traces(**kwargs: Any) -> st.SearchStrategy[Trace]:
    """Traces whose requests sit near one 16 cpu / 32Gi node and the safeguards' caps."""
    return traces(profile="near_capacity", **kwargs)


# -- actions


def _amounts(action_type: str) -> st.SearchStrategy[str | int | None]:
    if action_type.endswith("_cpu"):
        return st.one_of(st.none(), quantities("cpu", 1, 4000))
    if action_type.endswith("_memory"):
        return st.one_of(st.none(), quantities("memory", Mi, 4 * Gi))
    if action_type.startswith("scale_"):
        return st.one_of(st.none(), st.integers(1, 40))
    return st.none()


@st.composite
def actions(
    draw: st.DrawFn, trace: Trace, *, types: Sequence[str] = ACTION_TYPES, missing: bool = True
) -> Action:
    """One action on one of ``trace``'s Deployments (sometimes a missing workload or container)."""
    action_type = draw(st.sampled_from(list(types)))
    if action_type == "noop":
        return Action("noop")
    refs = trace.workloads()
    names = [r.name for r in refs]
    wander = missing and draw(st.integers(0, 9)) == 0  # now and then, a name that is not there
    workload = draw(st.sampled_from(names)) if names and not wander else "ghost"
    container: str | None = None
    if action_type not in ("scale_up", "scale_down", "set_replicas") and draw(st.booleans()):
        known = sorted(
            {
                c["name"]
                for ref in refs
                if ref.name == workload
                for obj in trace.versions_of(ref)
                for c in obj["spec"]["template"]["spec"]["containers"]
            }
        )
        wander = missing and draw(st.integers(0, 9)) == 0
        container = draw(st.sampled_from(known)) if known and not wander else "nope"
    if action_type == "set_replicas":
        return Action(action_type, workload, replicas=draw(st.integers(0, 2 * REPLICA_CAP)))
    if action_type == "set_resources":
        resource: Kind = draw(st.sampled_from(["cpu", "memory"]))
        high = 2 * (CPU_CAP if resource == "cpu" else MEMORY_CAP)
        request = draw(st.one_of(st.none(), quantities(resource, 0, high)))
        limit = draw(st.one_of(st.none(), quantities(resource, 0, high)))
        # Compare exact values, as the API (and Action) does: 1m > 999999n although both round up to 1m.
        if request is not None and limit is not None and parse_quantity(request) > parse_quantity(limit):
            request, limit = limit, request
        if request is None and limit is None:
            request = draw(quantities(resource))
        return Action(
            action_type,
            workload,
            container=container,
            requests={resource: request} if request is not None else None,
            limits={resource: limit} if limit is not None else None,
        )
    return Action(action_type, workload, container=container, amount=draw(_amounts(action_type)))


def action_sequences(
    trace: Trace, *, min_size: int = 0, max_size: int = 8, types: Sequence[str] = ACTION_TYPES
) -> st.SearchStrategy[list[Action]]:
    """Lists of actions over ``trace``'s workloads (use with ``traces().flatmap(...)`` or ``st.data()``)."""
    return st.lists(actions(trace, types=types), min_size=min_size, max_size=max_size)
