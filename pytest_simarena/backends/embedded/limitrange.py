"""LimitRange: the object, its API defaulting, and the LimitRanger admission plugin's two phases.

Follows kubernetes/kubernetes:

* pkg/apis/core/v1/defaults.go ``SetDefaults_LimitRangeItem``: a Container item's ``default`` takes each
  missing resource from ``max``, ``defaultRequest`` from ``default`` and then from ``min``;
* plugin/pkg/admission/limitranger/admission.go ``PodMutateLimitFunc`` (``mergeContainerResources``):
  containers and init containers that omit a request or limit get the item's ``defaultRequest`` /
  ``default`` and the pod the ``kubernetes.io/limit-ranger`` annotation;
* ``PodValidateLimitFunc``: ``min``/``max``/``maxLimitRequestRatio`` per container (Container items) and
  on the pod's summed requests and limits (Pod items), every violation collected into one aggregate error
  (``utilerrors.NewAggregate``: one message alone, several as ``[a, b]``, duplicates once);
* pkg/apis/core/validation/validation.go ``ValidateLimitRange`` (run on the defaulted object): a type that
  is not a qualified name or neither standard nor prefixed (validateLimitRangeTypeName), a type listed
  twice, ``default``/``defaultRequest`` on a Pod item, a PersistentVolumeClaim item without a storage min
  or max, and per resource min <= defaultRequest <= default <= max, min <= max,
  ``maxLimitRequestRatio`` >= 1 and <= max/min, and default == defaultRequest for a resource that may not be
  overcommitted (pkg/apis/core/helper/helpers.go ``IsOvercommitAllowed``: extended resources, hugepages);
  every error collected into one aggregate.

Deviation: Go ranges over the item's ``min``/``max`` maps (and ValidateLimitRange over a set of resource
names) in random order, so with several violated resources the real message lists them in any order; here
resources go in name order (cpu before memory). Not checked: resource names (validateLimitRangeResourceName).
A non-string ``type`` is refused with this module's own text (the API server's decoder refuses it).
"""

from __future__ import annotations

import json
import re
from fractions import Fraction
from math import ceil
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import QuantityError
from pytest_simarena.quantities import Quantity, parse

from .pods import InvalidObject
from .policy import StoredObject, container_list, pod_list

if TYPE_CHECKING:
    from .clock import Clock

Obj = dict[str, Any]
ResourceList = dict[str, Quantity]

ANNOTATION = "kubernetes.io/limit-ranger"
LIMIT_TYPES = ("Container", "Pod", "PersistentVolumeClaim")
_FIELDS = ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio")


class LimitRangeItem:
    """One ``spec.limits[i]`` after API defaulting (quantities parsed, the written text kept)."""

    __slots__ = ("lists", "type")

    def __init__(self, type_: str, lists: dict[str, ResourceList]) -> None:
        self.type = type_
        self.lists = lists

    def get(self, field: str) -> ResourceList:
        return self.lists.get(field, {})

    def to_api(self) -> Obj:
        out: Obj = {"type": self.type}
        for field in _FIELDS:
            if field in self.lists:
                out[field] = {k: str(v) for k, v in sorted(self.lists[field].items())}
        return out


class LimitRange(StoredObject):
    """A LimitRange object as stored (defaulted spec) and served."""

    __slots__ = ("items",)

    def __init__(self, obj: Obj, *, uid: str, created: float) -> None:
        super().__init__(obj, uid=uid, created=created)
        self.items = _parse_items(obj, self.name)

    def to_api(self, clock: Clock) -> Obj:
        return {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": self.api_metadata(clock),
            "spec": {"limits": [item.to_api() for item in self.items]},
        }


def _invalid(name: str, field: str, problem: str) -> InvalidObject:
    return InvalidObject(f'The LimitRange "{name}" is invalid: {field}: {problem}')


def _parse_items(obj: Obj, name: str) -> list[LimitRangeItem]:
    spec = obj.get("spec")
    if not isinstance(spec, dict):
        raise _invalid(name, "spec", "Required value")
    limits = spec.get("limits")
    if not isinstance(limits, list):
        raise _invalid(name, "spec.limits", "Required value")
    items = []
    errs: list[str] = []
    seen_types: set[str] = set()
    for i, raw in enumerate(limits):
        where = f"spec.limits[{i}]"
        if not isinstance(raw, dict):
            raise _invalid(name, where, "Invalid value: must be an object")
        type_ = raw.get("type", "")
        if not isinstance(type_, str):
            # Deviation: the API server's decoder refuses a non-string type with a text not read here.
            raise _invalid(name, f"{where}.type", f"Invalid value: {type_!r}: must be a string")
        errs.extend(f"{where}.type: Invalid value: {_json_string(type_)}: {m}" for m in _type_errors(type_))
        lists: dict[str, ResourceList] = {}
        for field in _FIELDS:
            found = raw.get(field)
            if found is None:
                continue
            if not isinstance(found, dict):
                raise _invalid(name, f"{where}.{field}", "Invalid value: must be a map of quantities")
            parsed: ResourceList = {}
            for res, value in found.items():
                try:
                    parsed[str(res)] = parse(value)
                except QuantityError as exc:
                    raise _invalid(
                        name, f"{where}.{field}[{res}]", f"Invalid value: {value!r}: {exc}"
                    ) from None
            lists[field] = parsed
        if type_ == "Container":
            # defaults.go SetDefaults_LimitRangeItem, in its order: max -> default -> defaultRequest, min.
            default = dict(lists.get("default", {}))
            request = dict(lists.get("defaultRequest", {}))
            for res, q in lists.get("max", {}).items():
                default.setdefault(res, q)
            for res, q in default.items():
                request.setdefault(res, q)
            for res, q in lists.get("min", {}).items():
                request.setdefault(res, q)
            if default:
                lists["default"] = default
            if request:
                lists["defaultRequest"] = request
        item = LimitRangeItem(type_, lists)
        if item.type in seen_types:
            errs.append(f'{where}.type: Duplicate value: "{item.type}"')
        seen_types.add(item.type)
        errs.extend(_item_errors(item, raw, where))
        items.append(item)
    if errs:
        raise InvalidObject(f'The LimitRange "{name}" is invalid: {aggregate(errs)}')
    return items


# validation.go ValidateLimitRange's order checks, in its order: (field reported, a, b, bad value, detail) for
# "a > b is refused"; the two ``default`` rules report min and max as the bad value, as the source does.
_ORDER_RULES = (
    ("min", "min", "max", "min", "min value {a} is greater than max value {b}"),
    (
        "defaultRequest",
        "min",
        "defaultRequest",
        "defaultRequest",
        "min value {a} is greater than default request value {b}",
    ),
    (
        "defaultRequest",
        "defaultRequest",
        "max",
        "defaultRequest",
        "default request value {a} is greater than max value {b}",
    ),
    (
        "defaultRequest",
        "defaultRequest",
        "default",
        "defaultRequest",
        "default request value {a} is greater than default limit value {b}",
    ),
    ("default", "min", "default", "min", "min value {a} is greater than default value {b}"),
    ("default", "default", "max", "max", "default value {a} is greater than max value {b}"),
)


# The bad value of a field.Invalid is rendered by json.Marshal (apimachinery field/errors.go ErrorBody), which
# quotes a Quantity's String() (quantity.go MarshalJSON).
def _item_errors(item: LimitRangeItem, raw: Obj, where: str) -> list[str]:
    """validation.go ValidateLimitRange's checks of one defaulted item, in its order (resources by name)."""
    errs = []
    if item.type == "Pod":
        for field in ("default", "defaultRequest"):
            if raw.get(field):
                errs.append(f"{where}.{field}: Forbidden: may not be specified when `type` is 'Pod'")
    if item.type == "PersistentVolumeClaim" and not (
        "storage" in item.get("min") or "storage" in item.get("max")
    ):
        errs.append(
            f"{where}.limits: Required value: "
            "either minimum or maximum storage value is required, but neither was provided"
        )
    low, high, ratios = item.get("min"), item.get("max"), item.get("maxLimitRequestRatio")
    # A Pod item's default and defaultRequest are not compared (validation.go leaves them out of its maps).
    default = item.get("default") if item.type != "Pod" else {}
    request = item.get("defaultRequest") if item.type != "Pod" else {}
    for res in sorted({*low, *high, *default, *request, *ratios}):
        lo, hi, d, r, ratio = low.get(res), high.get(res), default.get(res), request.get(res), ratios.get(res)

        def invalid(field: str, bad: Quantity, detail: str, res: str = res) -> None:
            errs.append(f'{where}.{field}[{res}]: Invalid value: "{bad}": {detail}')

        named = {"min": lo, "max": hi, "default": d, "defaultRequest": r}
        for field, first, second, bad, detail in _ORDER_RULES:
            a, b = named[first], named[second]
            if a is not None and b is not None and a.value > b.value:
                invalid(field, a if bad == first else b, detail.format(a=a, b=b))
        if ratio is not None and ratio.value < 1:
            invalid("maxLimitRequestRatio", ratio, f"ratio {ratio} is less than 1")
        if ratio is not None and lo is not None and hi is not None:
            allowed = _max_over_min(ratio, lo, hi)
            if allowed is not None and allowed[0] > allowed[1]:
                invalid(
                    "maxLimitRequestRatio", ratio, f"ratio {ratio} is greater than max/min = {allowed[1]:.6f}"
                )
        if not _overcommit_allowed(res) and d is not None and r is not None and d.value != r.value:
            invalid("defaultRequest", r, f"default value {d} must equal to defaultRequest value {r} in {res}")
    return errs


def _overcommit_allowed(res: str) -> bool:
    """helpers.go IsOvercommitAllowed: native (no ``/``, or ``kubernetes.io/``) and not ``hugepages-*``."""
    return ("/" not in res or "kubernetes.io/" in res) and not res.startswith("hugepages-")


_MAX_MILLI_VALUE = (2**63 - 1) // 1000  # resource.MaxMilliValue


def _up(value: Fraction) -> int:
    """quantity.go ``Value``: rounded up, away from zero."""
    return ceil(value) if value >= 0 else -ceil(-value)


def _max_over_min(ratio: Quantity, low: Quantity, high: Quantity) -> tuple[float, float] | None:
    """validation.go: the ratio and max/min as float64, in milli-units when all three fit (``Value`` and
    ``MilliValue`` round up); None where Go's float division gives +Inf or NaN (never exceeded)."""
    ratio_v, low_v, high_v = _up(ratio.value), _up(low.value), _up(high.value)
    as_ratio = float(ratio_v)
    if ratio_v < _MAX_MILLI_VALUE and low_v < _MAX_MILLI_VALUE and high_v < _MAX_MILLI_VALUE:
        as_ratio = float(_up(ratio.value * 1000)) / 1000
        low_v, high_v = _up(low.value * 1000), _up(high.value * 1000)
    if low_v == 0:
        return None
    return as_ratio, float(high_v) / float(low_v)


# -- the type's name (validation.go validateLimitRangeTypeName) ------------------------------------------

_LABEL_KEY_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_KEY_MSG = (
    "must consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character"
)
_DNS_LABEL_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS_SUBDOMAIN_FMT = _DNS_LABEL_FMT + "(\\." + _DNS_LABEL_FMT + ")*"
_DNS_SUBDOMAIN_MSG = (
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character"
)


def _type_errors(value: str) -> list[str]:
    """validateLimitRangeTypeName: IsQualifiedName's messages, else a standard type or one with a prefix."""
    errs = _qualified_name_errors(value)
    if not errs and "/" not in value and value not in LIMIT_TYPES:
        errs.append("must be a standard limit type or fully qualified")
    return errs


def _qualified_name_errors(value: str) -> list[str]:
    """apimachinery validate/content/kube.go IsLabelKey (= IsQualifiedName), its messages in its order."""
    examples = ("MyName", "my.name", "123-abc")
    parts = value.split("/")
    if len(parts) > 2:
        return [
            "a valid label key "
            + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, *examples)
            + " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')"
        ]
    errs = []
    if len(parts) == 2:
        prefix = parts[0]
        if not prefix:
            errs.append("prefix part must be non-empty")
        else:  # dns.go IsDNS1123Subdomain
            if len(prefix.encode()) > 253:
                errs.append("prefix part must be no more than 253 bytes")
            if not re.fullmatch(_DNS_SUBDOMAIN_FMT, prefix):
                errs.append(
                    "prefix part " + _regex_error(_DNS_SUBDOMAIN_MSG, _DNS_SUBDOMAIN_FMT, "example.com")
                )
    name = parts[-1]
    if not name:
        errs.append("name part must be non-empty")
    elif len(name.encode()) > 63:
        errs.append("name part must be no more than 63 bytes")
    if not re.fullmatch(_LABEL_KEY_FMT, name):
        errs.append("name part " + _regex_error(_LABEL_KEY_MSG, _LABEL_KEY_FMT, *examples))
    return errs


def _regex_error(msg: str, fmt: str, *examples: str) -> str:
    """content/errors.go RegexError (two spaces before each "or", as its loop writes them)."""
    shown = " or ".join(f"'{e}', " for e in examples)
    return f"{msg} (e.g. {shown}regex used for validation is '{fmt}')"


def _json_string(value: str) -> str:
    """json.Marshal of a string (Go escapes <, > and & too)."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


# -- admission: mutate -------------------------------------------------------------------------------


def default_pod(spec: Obj, ranges: list[LimitRange]) -> tuple[Obj, str | None]:
    """The pod spec after LimitRanger's Admit (defaults) and the annotation it sets, if any.

    Each LimitRange in turn merges its Container items' defaults into every container that omits the
    resource; the annotation is written by the last LimitRange that set something (admission.go
    ``mergePodResourceRequirements`` overwrites it).
    """
    annotation = None
    for lr in ranges:
        limits: ResourceList = {}
        requests: ResourceList = {}
        for item in lr.items:
            if item.type == "Container":
                requests.update(item.get("defaultRequest"))
                limits.update(item.get("default"))
        if not limits and not requests:
            continue
        notes: list[str] = []
        for key, label in (("containers", "container"), ("initContainers", "init container")):
            containers = spec.get(key)
            if not containers:
                continue
            merged = []
            for c in containers:
                c, note = _merge_container(c, requests, limits, label)
                merged.append(c)
                notes.extend(note)
            if any(a is not b for a, b in zip(merged, containers, strict=True)):
                spec = {**spec, key: merged}
        if notes:
            annotation = "LimitRanger plugin set: " + "; ".join(notes)
    return spec, annotation


def _merge_container(
    c: Obj, requests: ResourceList, limits: ResourceList, label: str
) -> tuple[Obj, list[str]]:
    resources = c.get("resources") or {}
    have_req = dict(resources.get("requests") or {})
    have_lim = dict(resources.get("limits") or {})
    set_req = sorted(k for k in requests if k not in have_req)
    set_lim = sorted(k for k in limits if k not in have_lim)
    if not set_req and not set_lim:
        return c, []
    for k in set_lim:
        have_lim[k] = str(limits[k])
    for k in set_req:
        have_req[k] = str(requests[k])
    new_resources = dict(resources)
    if have_lim:
        new_resources["limits"] = dict(sorted(have_lim.items()))
    if have_req:
        new_resources["requests"] = dict(sorted(have_req.items()))
    notes = []
    name = c.get("name", "")
    if set_req:
        notes.append(f"{', '.join(set_req)} request for {label} {name}")
    if set_lim:
        notes.append(f"{', '.join(set_lim)} limit for {label} {name}")
    return {**c, "resources": new_resources}, notes


# -- admission: validate -----------------------------------------------------------------------------


def violations(spec: Obj, ranges: list[LimitRange]) -> str | None:
    """LimitRanger's Validate: the first LimitRange's aggregate error message, or None when all pass."""
    for lr in ranges:
        errs: list[str] = []
        for item in lr.items:
            if item.type == "Container":
                for key in ("containers", "initContainers"):
                    for c in spec.get(key) or []:
                        requests, limits = container_list(c, "requests"), container_list(c, "limits")
                        errs.extend(_check(item, "Container", requests, limits))
            elif item.type == "Pod":
                errs.extend(_check(item, "Pod", pod_list(spec, "requests"), pod_list(spec, "limits")))
        if errs:
            return aggregate(errs)
    return None


def aggregate(errs: list[str]) -> str:
    """utilerrors.NewAggregate(errs).Error(): one message as is, several deduplicated inside ``[...]``."""
    unique = list(dict.fromkeys(errs))
    return unique[0] if len(unique) == 1 else "[" + ", ".join(unique) + "]"


def _check(item: LimitRangeItem, limit_type: str, requests: ResourceList, limits: ResourceList) -> list[str]:
    """One item's min, then max, then ratio constraints over the given requests and limits."""
    errs = []
    for field, constraint in (("min", _min), ("max", _max), ("maxLimitRequestRatio", _ratio)):
        for res, enforced in sorted(item.get(field).items()):
            err = constraint(limit_type, res, enforced, requests.get(res), limits.get(res))
            if err:
                errs.append(err)
    return errs


def _min(kind: str, res: str, enforced: Quantity, req: Quantity | None, lim: Quantity | None) -> str | None:
    """admission.go minConstraint (exact comparison, ``Quantity.String()`` in the text)."""
    if req is None:
        return f"minimum {res} usage per {kind} is {enforced}.  No request is specified"
    if enforced.value > req.value:
        return f"minimum {res} usage per {kind} is {enforced}, but request is {req}"
    if lim is not None and enforced.value > lim.value:
        return f"minimum {res} usage per {kind} is {enforced}, but limit is {lim}"
    return None


def _max(kind: str, res: str, enforced: Quantity, req: Quantity | None, lim: Quantity | None) -> str | None:
    """admission.go maxConstraint: a max needs a limit; the limit, then the request, must not exceed it."""
    if lim is None:
        return f"maximum {res} usage per {kind} is {enforced}.  No limit is specified"
    if lim.value > enforced.value:
        return f"maximum {res} usage per {kind} is {enforced}, but limit is {lim}"
    if req is not None and req.value > enforced.value:
        return f"maximum {res} usage per {kind} is {enforced}, but request is {req}"
    return None


def _ratio(kind: str, res: str, enforced: Quantity, req: Quantity | None, lim: Quantity | None) -> str | None:
    """admission.go limitRequestRatioConstraint; the ratio printed with six decimals (``%f``)."""
    head = f"{res} max limit to request ratio per {kind} is {enforced}"
    if req is None or req.value == 0:
        return f"{head}, but no request is specified or request is 0"
    if lim is None or lim.value == 0:
        return f"{head}, but no limit is specified or limit is 0"
    if lim.value > req.value * enforced.value:
        return f"{head}, but provided ratio is {_six_decimals(lim.value / req.value)}"
    return None


def _six_decimals(value: Fraction) -> str:
    """``fmt.Sprintf("%f", ratio)``: six decimals, rounded half to even."""
    scaled = value * 10**6
    whole = round(scaled)  # Fraction rounding is exact, half to even
    return f"{whole // 10**6}.{whole % 10**6:06d}"
