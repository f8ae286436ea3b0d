"""``simarena trace ...``: inspect, validate, diff, apply, generate and convert SimKube traces.

A thin shell over the trace layer. Exit codes: 0 success; 1 ``validate`` found problems in some file (a
file it cannot read counts; each file gets its own line) or ``diff`` found differences; 2 bad input
(unreadable file, unknown workload, malformed action, an output name that is not .sktrace/.msgpack/.json);
3 an action was blocked by a safeguard. Every error is one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

from pytest_simarena.errors import ActionError, SimArenaError, TraceError
from pytest_simarena.trace.model import Obj, Trace, containers, describe, pod_template

from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_command, err, note_input, whole_number

EXIT_BLOCKED = 3


def register(subparsers: Any) -> None:
    """Add ``simarena trace`` and its sub-commands."""
    trace = subparsers.add_parser(
        "trace",
        help="Inspect, validate, diff, apply actions to, generate and convert traces; build from manifests",
    )
    sub = trace.add_subparsers(dest="trace_command", metavar="SUBCOMMAND")
    trace.set_defaults(handler=lambda _args: _usage(trace))

    p = add_command(
        sub,
        "inspect",
        help="summarize a trace: events, time span, workloads and their resources",
        exit_codes="0 done, 2 unreadable trace",
        handler=cmd_inspect,
    )
    p.add_argument("file", metavar="FILE", help="a SimKube trace (.sktrace msgpack or JSON)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = add_command(
        sub,
        "validate",
        help="check traces: format errors, and SimKube validator findings as warnings",
        exit_codes="0 every file valid (warnings allowed), 1 some file has errors or cannot be read",
        handler=cmd_validate,
    )
    p.add_argument("files", metavar="FILE", nargs="+", help="SimKube traces")

    p = add_command(
        sub,
        "diff",
        help="what changed between two traces, per workload and field (exit 1 if any)",
        exit_codes="0 no differences, 1 differences, 2 unreadable trace",
        handler=cmd_diff,
    )
    p.add_argument("a", metavar="A", help="the trace before")
    p.add_argument("b", metavar="B", help="the trace after")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")

    p = add_command(
        sub,
        "apply",
        help="apply one action to a workload and write the edited trace",
        exit_codes="0 applied or nothing to change (OUT written either way), 2 bad input or "
        "unknown workload, 3 blocked by a safeguard (OUT not written)",
        handler=cmd_apply,
    )
    p.add_argument("file", metavar="FILE", help="the trace to edit")
    p.add_argument("--workload", required=True, metavar="NAME", help="name of the workload to edit")
    p.add_argument(
        "--action",
        required=True,
        metavar="ACTION",
        help="Action type: bump_cpu, reduce_memory, scale_up, ...",
    )
    p.add_argument(
        "--amount",
        metavar="Q",
        help="step: a quantity for cpu/memory (500m, 256Mi), a count for scale_*; set_replicas: the count",
    )
    p.add_argument("--container", metavar="C", help="only this container (default: every container)")
    p.add_argument("--kind", default="Deployment", metavar="K", help="workload kind (default: Deployment)")
    p.add_argument("--namespace", metavar="NS", help="workload namespace (default: any)")
    p.add_argument("--out", required=True, metavar="OUT", help="the edited trace (.sktrace/.msgpack/.json)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")

    p = add_command(
        sub,
        "generate",
        help="write generated broken-workload traces (or the canonical ones)",
        exit_codes="0 written, 2 bad input (unknown family, unwritable DIR)",
        handler=cmd_generate,
    )
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write <family>-<nnn>.sktrace into")
    p.add_argument("--seed", type=int, default=0, metavar="N", help="same seed, same bytes (default 0)")
    p.add_argument(
        "--count", type=whole_number(0), default=10, metavar="N", help="how many traces (default 10)"
    )
    p.add_argument(
        "--family",
        action="append",
        metavar="F",
        help="only this family (repeatable; docs/traces.md lists them)",
    )
    p.add_argument("--canonical", action="store_true", help="write the 4 canonical traces instead")

    p = add_command(
        sub,
        "convert",
        help="convert between msgpack (.sktrace/.msgpack) and SimKube JSON (.json)",
        exit_codes="0 written, 2 unreadable IN, unwritable OUT or an OUT name of no known format",
        handler=cmd_convert,
    )
    p.add_argument("src", metavar="IN", help="the trace to read")
    p.add_argument("dst", metavar="OUT", help="where to write it; the suffix chooses the format")

    p = add_command(
        sub,
        "from-manifests",
        help="build a trace from Kubernetes YAML manifests (your own workload as a trace)",
        exit_codes="0 written, 2 a bad manifest (one line naming file, document, object and field), "
        "unreadable input or an OUT name of no known format",
        handler=cmd_from_manifests,
    )
    p.add_argument(
        "sources",
        metavar="FILE_OR_DIR",
        nargs="+",
        help="manifests: YAML/JSON files or folders, - for standard input",
    )
    p.add_argument(
        "--out", required=True, metavar="TRACE", help="the trace to write (.sktrace/.msgpack/.json)"
    )
    p.add_argument(
        "--at",
        nargs=2,
        action="append",
        default=[],
        metavar=("SECONDS", "FILE"),
        help="apply FILE's manifests SECONDS after the start (a scale, an update; repeatable)",
    )
    p.add_argument("--namespace", metavar="NS", help="namespace of objects that name none (default: default)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


TRACE_SUFFIXES = (".sktrace", ".msgpack", ".json")


def _check_out(path: str) -> None:
    """Refuse an output name whose suffix chooses no format (it would get msgpack silently)."""
    if Path(path).suffix.lower() not in TRACE_SUFFIXES:
        raise SimArenaError(f"{path}: the output must end in {', '.join(TRACE_SUFFIXES)}")


def _load(path: str) -> Trace:
    from pytest_simarena.trace.io import load_trace

    note_input(path)  # an unexpected error while working on it still names the file
    return load_trace(path)


# ---------------------------------------------------------------------------------------------------------
# inspect


def _where(trace: Trace, obj: Obj) -> str | None:
    """``events[i].applied_objs[j]`` of ``obj`` in ``trace``, for error messages."""
    for i, j, candidate in trace.applied():
        if candidate is obj:
            return f"events[{i}].applied_objs[{j}]"
    return None


def _container_summary(trace: Trace, obj: Obj) -> list[Obj]:
    from pytest_simarena.trace.usage import format_usage, read_usage

    try:
        usage = read_usage(pod_template(obj, trace.config))
    except TraceError as exc:
        # usage.py knows the field inside the template; the object and file are only known here
        raise TraceError(
            exc.problem,
            path=trace.path,
            location=_where(trace, obj),
            obj=describe(obj),
            field=f"template.{exc.field}" if exc.field else "template",
        ) from None
    out = []
    for c in containers(obj, trace.config):
        resources = c.get("resources") or {}
        used = usage.get(str(c.get("name")), {})
        out.append(
            {
                "name": c.get("name"),
                "requests": dict(resources.get("requests") or {}),
                "limits": dict(resources.get("limits") or {}),
                "usage": {key: format_usage(key, amount) for key, amount in used.items()},
            }
        )
    return out


def inspect_trace(trace: Trace) -> Obj:
    """A JSON-able summary of ``trace`` (what ``simarena trace inspect --json`` prints)."""
    from pytest_simarena.trace.manifests import WORKLOAD_KINDS

    workloads = []
    others: list[Obj] = []
    for ref in trace.workloads():
        if ref.kind not in WORKLOAD_KINDS:
            # ResourceQuotas, LimitRanges, PriorityClasses, ConfigMaps...: objects without pods of their own.
            others.append({"kind": ref.kind, "gvk": ref.gvk, "namespace": ref.namespace, "name": ref.name})
            continue
        versions = trace.versions_of(ref)
        latest = versions[-1]
        spec = latest.get("spec")
        replicas = spec.get("replicas") if isinstance(spec, dict) else None
        history = [v["spec"].get("replicas") for v in versions if isinstance(v.get("spec"), dict)]
        entry: Obj = {
            "kind": ref.kind,
            "gvk": ref.gvk,
            "namespace": ref.namespace,
            "name": ref.name,
            "replicas": replicas,
            "versions": len(versions),
            "containers": _container_summary(trace, latest),
        }
        if len(set(map(repr, history))) > 1:
            entry["replicas_history"] = history
        workloads.append(entry)
    applied = sum(len(e.get("applied_objs") or []) for e in trace.events)
    deleted = sum(len(e.get("deleted_objs") or []) for e in trace.events)
    meta = trace.extra.get("metadata")
    return {
        "path": trace.path,
        "version": trace.version,
        "events": len(trace.events),
        "start_ts": trace.start_ts,
        "end_ts": trace.end_ts,
        "duration_s": trace.duration,
        "applied_objs": applied,
        "deleted_objs": deleted,
        "tracked_kinds": sorted((trace.config.get("trackedObjects") or {}).keys()),
        "description": meta.get("description") if isinstance(meta, dict) else None,
        "notes": list(trace.notes),
        "workloads": workloads,
        "objects": others,
    }


def _fmt_resources(values: Obj) -> str:
    return " ".join(f"{k}={v}" for k, v in values.items()) if values else "-"


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def render_inspect(summary: Obj) -> str:
    """The text form of :func:`inspect_trace`."""
    lines = [
        f"{summary['path']}: SimKube trace version {summary['version']}",
        f"  {_n(summary['events'], 'event')}, ts {summary['start_ts']}..{summary['end_ts']} "
        f"({summary['duration_s']} s), {summary['applied_objs']} applied / "
        f"{summary['deleted_objs']} deleted objects",
        f"  tracked kinds: {', '.join(summary['tracked_kinds']) or '-'}",
    ]
    if summary["description"]:
        lines.append(f"  description: {summary['description']}")
    for note in summary["notes"]:
        lines.append(f"  normalized: {note}")
    lines.append(f"  {_n(len(summary['workloads']), 'workload')}:")
    for w in summary["workloads"]:
        replicas = "-" if w["replicas"] is None else w["replicas"]
        history = (
            f" (over time: {' -> '.join(map(str, w['replicas_history']))})" if "replicas_history" in w else ""
        )
        versions = f", {w['versions']} versions" if w["versions"] > 1 else ""
        lines.append(f"    {w['kind']} {w['namespace']}/{w['name']}: replicas {replicas}{history}{versions}")
        for c in w["containers"]:
            lines.append(
                f"      container {c['name']}: requests {_fmt_resources(c['requests'])}; "
                f"limits {_fmt_resources(c['limits'])}; usage {_fmt_resources(c['usage'])}"
            )
    if summary.get("objects"):
        lines.append(f"  {_n(len(summary['objects']), 'other object')}:")
        lines += [f"    {o['kind']} {o['namespace']}/{o['name']}" for o in summary["objects"]]
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> int:
    summary = inspect_trace(_load(args.file))
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(render_inspect(summary))
    return EXIT_OK


# ---------------------------------------------------------------------------------------------------------
# validate


def _finding_parts(path: str, finding: Any) -> tuple[bool, str]:
    """(is_error, one-line message naming the file) of one ``trace.validate.Problem``."""
    severity = str(getattr(finding, "severity", "error"))
    location = getattr(finding, "location", "")
    message = getattr(finding, "message", None)
    if message is None:
        return severity == "error", f"{path}: {finding}"
    code = getattr(finding, "code", "")
    where = f"{location}: " if location else ""
    return severity == "error", f"{path}: {where}{message}" + (f" [{code}]" if code else "")


def cmd_validate(args: argparse.Namespace) -> int:
    from pytest_simarena.backends.embedded.policy_check import policy_problems
    from pytest_simarena.trace.validate import validate

    failed = 0
    for path in args.files:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                trace = _load(path)
            except SimArenaError as exc:
                err(str(exc))
                failed += 1
                continue
        for w in caught:
            print(f"warning: {w.message}", file=sys.stderr)
        errors = 0
        warns = 0
        findings = validate(trace) + policy_problems(trace)
        for finding in sorted(findings, key=lambda f: f.severity != "error"):  # errors first, as validate's
            is_error, message = _finding_parts(path, finding)
            if is_error:
                errors += 1
                err(message)
            else:
                warns += 1
                print(f"warning: {message}", file=sys.stderr)
        if errors:
            failed += 1
        else:
            extra = f" ({warns} warning{'s' if warns != 1 else ''})" if warns else ""
            print(f"{path}: ok{extra}")
    if len(args.files) > 1:
        print(f"{len(args.files) - failed} of {len(args.files)} traces valid")
    return EXIT_FAILED if failed else EXIT_OK


# ---------------------------------------------------------------------------------------------------------
# diff and apply


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return str(value)


def change_dict(change: Any) -> Obj:
    """A ``trace.diff.Change`` as JSON: workload as ``Kind ns/name`` (None for trace-level fields)."""
    names = ("workload", "container", "field", "before", "after", "versions", "of")
    return {n: _jsonable(getattr(change, n)) for n in names if hasattr(change, n)}


def cmd_diff(args: argparse.Namespace) -> int:
    from pytest_simarena.trace.diff import diff_traces, render_diff

    changes = diff_traces(_load(args.a), _load(args.b))
    if args.json:
        print(json.dumps([change_dict(c) for c in changes], indent=2))
    else:
        print("\n".join(render_diff(changes)))
    return EXIT_FAILED if changes else EXIT_OK


def _replica_count(text: str | None) -> int:
    if text is None:
        raise ActionError("set_replicas: needs --amount N (the replica count)")
    try:
        return int(text)
    except ValueError:
        raise ActionError(f"set_replicas: --amount {text!r} must be a whole number") from None


def cmd_apply(args: argparse.Namespace) -> int:
    from pytest_simarena.actions import Action, apply_action
    from pytest_simarena.safeguards import DEFAULT_SAFEGUARDS
    from pytest_simarena.trace.diff import diff_traces, render_diff
    from pytest_simarena.trace.io import dump_trace

    _check_out(args.out)
    trace = _load(args.file)
    # set_replicas takes its count from --amount; every other action takes --amount as its step
    as_count = args.action.strip().lower().replace("-", "_") == "set_replicas"
    action = Action(
        args.action,
        args.workload,
        namespace=args.namespace,
        kind=args.kind,
        container=args.container,
        amount=None if as_count else args.amount,
        replicas=_replica_count(args.amount) if as_count else None,
    )
    result = apply_action(trace, action, safeguards=DEFAULT_SAFEGUARDS)
    diff = diff_traces(trace, result.trace) if result.changed else []
    report: Obj = {**result.to_dict(), "diff": [change_dict(c) for c in diff], "out": None}
    if result.status == "not_found":
        code = EXIT_USAGE  # the message lists the workloads that exist
        report["workloads"] = [str(ref) for ref in trace.workloads()]
    elif result.status == "blocked":
        code = EXIT_BLOCKED  # the message names the cap, the value and the object
    else:
        # applied or unchanged: write OUT either way so a pipeline always finds it
        code = EXIT_OK
        dump_trace(result.trace, args.out)
        report["out"] = args.out
    if args.json:
        print(json.dumps(report, indent=2))
    elif code != EXIT_OK:
        err(f"{args.file}: {result.message}")
    else:
        if result.status == "unchanged":
            print(f"unchanged: {result.message}")
        else:
            print("\n".join(render_diff(diff)))
        print(f"wrote {args.out}")
    return code


# ---------------------------------------------------------------------------------------------------------
# generate and convert


def cmd_generate(args: argparse.Namespace) -> int:
    from pytest_simarena.trace.generator import EXTRA_FAMILIES, FAMILIES, canonical, generate

    if args.canonical:
        paths = canonical(args.out)
    else:
        known = {**FAMILIES, **EXTRA_FAMILIES}
        for family in args.family or ():
            if family not in known:
                from pytest_simarena.errors import UnknownNameError

                raise UnknownNameError("trace family", family, known)
        paths = generate(args.out, args.seed, args.count, args.family)
    print(f"wrote {len(paths)} trace{'s' if len(paths) != 1 else ''} to {args.out}")
    return EXIT_OK


def cmd_convert(args: argparse.Namespace) -> int:
    from pytest_simarena.trace.io import dump_trace

    _check_out(args.dst)
    trace = _load(args.src)
    dump_trace(trace, args.dst)
    fmt = "SimKube JSON" if Path(args.dst).suffix.lower() == ".json" else "msgpack"
    print(f"wrote {args.dst} ({fmt}, version {trace.version}, {len(trace.events)} events)")
    return EXIT_OK


def _offset(text: str) -> int:
    """``--at`` seconds: a whole number >= 0, with or without a trailing ``s``."""
    try:
        value = int(text.removesuffix("s"))
    except ValueError:
        raise SimArenaError(f"--at {text!r}: expected a whole number of seconds (e.g. 60 or 60s)") from None
    if value < 0:
        raise SimArenaError(f"--at {text!r}: seconds must be >= 0")
    return value


def cmd_from_manifests(args: argparse.Namespace) -> int:
    from pytest_simarena.backends.embedded.policy_check import policy_problems
    from pytest_simarena.trace.io import dump_trace
    from pytest_simarena.trace.manifests import trace_from_manifests

    _check_out(args.out)
    later = [(_offset(seconds), file) for seconds, file in args.at]
    # the embedded API server's checks of LimitRange, ResourceQuota and PriorityClass objects
    trace = trace_from_manifests(
        args.sources, later=later, namespace=args.namespace, checks=[policy_problems]
    )
    dump_trace(trace, args.out)
    objects = sum(len(e["applied_objs"]) for e in trace.events)
    workloads = ", ".join(str(ref) for ref in trace.workloads() if ref.gvk in trace.config["trackedObjects"])
    print(
        f"wrote {args.out}: {_n(len(trace.events), 'event')}, {_n(objects, 'object')}; "
        f"workloads: {workloads or 'none'}"
    )
    return EXIT_OK
