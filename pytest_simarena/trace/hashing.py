"""SimKube's object hashes: SipHash-1-3 over the serde_json byte stream (notes/simkube.md §1.8).

SimKube hashes JSON values with Rust's ``DefaultHasher`` (SipHash-1-3, keys 0/0) fed by
``sk-core/src/jsonutils.rs``. The ``index`` values of a trace are ``sk_hash(obj["spec"])`` of the object as
traced (§1.6) and the inner keys of ``pod_lifecycles`` are ``sk_hash(stable_pod_spec(pod_spec))`` (§1.7).
The driver only checks index membership, so the exact values matter for fidelity, not for replay.
"""

from __future__ import annotations

import struct
from typing import Any

from .model import Obj, Trace, WorkloadRef, gvk_of, template_path

_MASK = (1 << 64) - 1
_NULL = bytes(8)  # Option::None discriminant as isize, little-endian (§1.8)
_STR_END = b"\xff"  # serde's str hashing appends 0xff


def _rotl(x: int, b: int) -> int:
    return ((x << b) | (x >> (64 - b))) & _MASK


def siphash13(data: bytes, k0: int = 0, k1: int = 0) -> int:
    """SipHash-1-3 of ``data`` (Rust's DefaultHasher when keys are 0, 0)."""
    v0 = 0x736F6D6570736575 ^ k0
    v1 = 0x646F72616E646F6D ^ k1
    v2 = 0x6C7967656E657261 ^ k0
    v3 = 0x7465646279746573 ^ k1
    n = len(data)
    end = n - n % 8
    # Inlined SipRound: this loop is the hot part when rebuilding the index of a large trace.
    words = struct.unpack_from(f"<{end // 8}Q", data) if end else ()
    tail = int.from_bytes(data[end:], "little") | ((n & 0xFF) << 56)
    for m in (*words, tail):
        v3 ^= m
        v0 = (v0 + v1) & _MASK
        v1 = ((v1 << 13) | (v1 >> 51)) & _MASK ^ v0
        v0 = ((v0 << 32) | (v0 >> 32)) & _MASK
        v2 = (v2 + v3) & _MASK
        v3 = ((v3 << 16) | (v3 >> 48)) & _MASK ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = ((v3 << 21) | (v3 >> 43)) & _MASK ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = ((v1 << 17) | (v1 >> 47)) & _MASK ^ v2
        v2 = ((v2 << 32) | (v2 >> 32)) & _MASK
        v0 ^= m
    v2 ^= 0xFF
    for _ in range(3):
        v0 = (v0 + v1) & _MASK
        v1 = _rotl(v1, 13) ^ v0
        v0 = _rotl(v0, 32)
        v2 = (v2 + v3) & _MASK
        v3 = _rotl(v3, 16) ^ v2
        v0 = (v0 + v3) & _MASK
        v3 = _rotl(v3, 21) ^ v0
        v2 = (v2 + v1) & _MASK
        v1 = _rotl(v1, 17) ^ v2
        v2 = _rotl(v2, 32)
    return v0 ^ v1 ^ v2 ^ v3


def hash_stream(value: Any) -> bytes:
    """The bytes SimKube's ``hash_json`` feeds to the hasher for a JSON value (§1.8).

    Iterative, so deeply nested values cannot raise RecursionError.
    """
    out = bytearray()
    stack: list[Any] = [value]
    marker = object()  # a following bytes item is emitted verbatim (a map key)
    while stack:
        v = stack.pop()
        if v is marker:
            out += stack.pop()
        elif v is None:
            out += _NULL
        elif isinstance(v, bool):
            out.append(1 if v else 0)
        elif isinstance(v, int):
            # u64 for non-negative ints, i64 (two's complement) for negative ones: same 8 bytes.
            out += (v & _MASK).to_bytes(8, "little")
        elif isinstance(v, float):
            out += struct.pack("<d", 0.0 if v == 0 else v)
        elif isinstance(v, str):
            out += v.encode("utf-8", "surrogatepass")
            out += _STR_END
        elif isinstance(v, list | tuple):
            stack.extend(reversed(v))
        elif isinstance(v, dict):
            # Keys in sorted order (serde_json's BTreeMap), no length prefix.
            for key in sorted(v, reverse=True):
                stack.append(v[key])
                stack.append(str(key).encode("utf-8", "surrogatepass") + _STR_END)
                stack.append(marker)
        else:
            raise TypeError(f"cannot hash a {type(v).__name__} as JSON")
    return bytes(out)


def sk_hash(value: Any) -> int:
    """SimKube's ``hash_option``/``hash_json`` of a JSON value (None hashes as a missing Option)."""
    return siphash13(hash_stream(value))


def stable_pod_spec(pod_spec: Obj) -> Obj:
    """``PodExt::stable_spec`` (§1.7): the pod spec without node/service-account and kube-api-access parts."""
    spec = {
        k: v for k, v in pod_spec.items() if k not in ("nodeName", "serviceAccount", "serviceAccountName")
    }
    volumes = spec.get("volumes") or []
    spec["volumes"] = [
        v
        for v in volumes
        if not (isinstance(v, dict) and str(v.get("name", "")).startswith("kube-api-access"))
    ]
    for key in ("containers", "initContainers"):
        if key not in spec:
            continue
        cleaned = []
        for c in spec[key] or []:
            if not isinstance(c, dict):
                cleaned.append(c)
                continue
            c = {k: v for k, v in c.items() if k != "ports"}
            mounts = c.get("volumeMounts") or []
            c["volumeMounts"] = [
                m
                for m in mounts
                if not (isinstance(m, dict) and str(m.get("name", "")).startswith("kube-api-access"))
            ]
            cleaned.append(c)
        spec[key] = cleaned
    return spec


def lifecycle_hash(pod_spec: Obj) -> int:
    """The inner ``pod_lifecycles`` key for pods with this spec (§1.7)."""
    return sk_hash(stable_pod_spec(pod_spec))


def lifecycle_key(obj: Obj) -> tuple[str, str]:
    """The outer ``pod_lifecycles`` key ``(gvk, "ns/name")`` of an owner object."""
    ref = WorkloadRef.of(obj)
    return (ref.gvk, ref.key)


def pod_spec_of(obj: Obj, config: Obj | None = None) -> Obj | None:
    """The pod spec inside ``obj`` (the object's own ``spec`` for a Pod), or None."""
    path = template_path(gvk_of(obj), config)
    if path is None:
        return None
    cur: Any = obj
    for part in [p for p in path.split("/") if p]:
        cur = cur.get(part) if isinstance(cur, dict) else None
    spec = cur.get("spec") if isinstance(cur, dict) else None
    return spec if isinstance(spec, dict) else None


def compute_index(trace: Trace) -> dict[str, dict[str, int]]:
    """The index SimKube's tracer would have written: every object seen, hash of its last applied spec.

    Deleted objects keep the hash of their last applied version (the tracer keeps deleted objects, §1.6);
    an object only ever seen deleted is hashed from the deleted copy.
    """
    index: dict[str, dict[str, int]] = {}
    for event in trace.events:
        for obj in event.get("applied_objs") or []:
            ref = WorkloadRef.of(obj)
            index.setdefault(ref.gvk, {})[ref.key] = sk_hash(obj.get("spec"))
        for obj in event.get("deleted_objs") or []:
            ref = WorkloadRef.of(obj)
            bucket = index.setdefault(ref.gvk, {})
            if ref.key not in bucket:
                bucket[ref.key] = sk_hash(obj.get("spec"))
    return index


def rebuild_index(trace: Trace) -> Trace:
    """Replace ``trace.index`` with :func:`compute_index` (after building or editing); returns it."""
    trace.index = compute_index(trace)
    return trace
