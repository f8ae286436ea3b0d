"""``simarena preflight`` and ``simarena parity``: is a real cluster ready; does it agree with the simulator?

``simarena preflight [--kubeconfig FILE] [--context NAME] [--kube-mode simkube|direct] [--json]`` prints one
line per check (``ok`` or ``FAIL``, what was found) and, under a failure, the command that fixes it.

Exit codes of ``simarena preflight``:

  0  every check passed: the cluster can run steps in this mode
  1  the API server answers but the cluster is not ready (RBAC, SimKube, cert-manager, nodes)
  2  bad command-line usage
  3  no usable kubeconfig or context (none found, unreadable, unknown context)
  4  the API server cannot be reached, or it rejects the credentials

``simarena parity TRACES... [--duration S] [--kube-mode M] [--kubeconfig FILE] [--context NAME] [--json]``
replays each trace for S seconds (default 120) on the embedded simulator and on the real cluster and prints
their verdicts side by side, marking where they differ; exit 0 when every verdict agrees, 1 when some differ,
and the preflight codes 3/4 when there is no cluster to compare with (said in one line).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from pytest_simarena import settings as settings_table
from pytest_simarena.errors import BackendUnavailable

from .options import add_settings

EXIT_DIFFER = 1
PARITY_PREFIX = "simarena-parity"
PARITY_SECONDS = (
    120.0  # the duration setting's default for parity (see its row in pytest_simarena/settings.py)
)


def _connection_args(p: argparse.ArgumentParser, face: str) -> None:
    add_settings(p, face)  # --kubeconfig, --context, --kube-mode (and parity's --duration), from the table
    p.add_argument("--json", action="store_true", help="Print JSON instead of text")


def register(subparsers: Any) -> None:
    """Add ``simarena preflight`` and ``simarena parity``."""
    doc = (__doc__ or "").replace("``", "").split("\n\n")
    p = subparsers.add_parser(
        "preflight",
        help="check that a real cluster can run simarena steps (kubeconfig, API, RBAC, SimKube, KWOK nodes)",
        description=doc[1],
        epilog="\n".join(doc[2:4]),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _connection_args(p, "preflight")
    p.set_defaults(handler=run_preflight)

    q = subparsers.add_parser(
        "parity",
        help="replay traces on the embedded simulator and a real cluster; print both verdicts side by side",
        description=doc[4],
    )
    q.add_argument("traces", nargs="+", metavar="TRACE", help="SimKube traces (.sktrace or JSON)")
    _connection_args(q, "parity")
    q.set_defaults(handler=run_parity)


def _mode(args: argparse.Namespace) -> str:
    import os

    return str(
        args.kube_mode or os.environ.get("SIMARENA_KUBE_MODE") or settings_table.get("kube_mode").default
    )


def run_preflight(args: argparse.Namespace) -> int:
    from pytest_simarena.backends.kube.preflight import preflight

    report = preflight(args.kubeconfig, args.context, _mode(args))
    if args.json:
        checks = [{"name": c.name, "ok": c.ok, "message": c.message, "fix": c.fix} for c in report.checks]
        print(json.dumps({"mode": report.mode, "exitCode": report.exit_code, "checks": checks}, indent=2))
        return report.exit_code
    for check in report.checks:
        stream = sys.stdout if check.ok else sys.stderr
        print(f"{'ok  ' if check.ok else 'FAIL'} {check.name}: {check.message}", file=stream)
        if not check.ok and check.fix:
            print(f"     fix: {check.fix}", file=stream)
    if report.exit_code == 0:
        print(f"ready: the cluster can run simarena steps in {report.mode} mode")
    return report.exit_code


def run_parity(args: argparse.Namespace) -> int:
    from pytest_simarena.backends.kube.parity import (
        compare,
        embedded_version,
        replay,
        spec_from_nodes,
        verdicts,
    )
    from pytest_simarena.backends.kube.preflight import EXIT_NO_CONFIG, EXIT_UNREACHABLE
    from pytest_simarena.backends.registry import make_backend
    from pytest_simarena.trace import load_trace

    seconds = PARITY_SECONDS if args.duration is None else args.duration
    traces = [load_trace(path) for path in args.traces]  # a bad trace fails before any cluster work
    from pytest_simarena.backends.kube.config import KubeConfigError

    try:
        from pytest_simarena.backends.kube import make_backend as make_kube

        real = make_kube(kubeconfig=args.kubeconfig, context=args.context, mode=_mode(args))
    except BackendUnavailable as exc:
        code = EXIT_NO_CONFIG if isinstance(exc, KubeConfigError) else EXIT_UNREACHABLE
        print(
            f"simarena parity: no cluster to compare with: {exc} (run: simarena preflight)", file=sys.stderr
        )
        return code
    rows = []
    try:
        spec = spec_from_nodes(real.virtual_nodes())
        match = embedded_version(getattr(real, "version", None))
        for path, trace in zip(args.traces, traces, strict=True):
            embedded = make_backend("embedded", spec=spec, kubernetes_version=match.embedded)
            e = verdicts(replay(embedded, trace, PARITY_PREFIX, seconds))
            r = verdicts(replay(real, trace, PARITY_PREFIX, seconds))
            rows.extend(compare(path, e, r))
    finally:
        real.close()
    differ = [row for row in rows if not row.same]
    if args.json:
        out = [
            {
                "trace": row.trace,
                "workload": row.workload,
                "embedded": row.embedded.label() if row.embedded else None,
                "real": row.real.label() if row.real else None,
                "same": row.same,
                "note": row.note,
            }
            for row in rows
        ]
        versions = {"real": match.server, "embedded": match.embedded, "same": match.same, "note": match.line}
        print(json.dumps({"versions": versions, "rows": out, "differ": len(differ)}, indent=2))
        return EXIT_DIFFER if differ else 0
    from pytest_simarena.kubeview import format_table

    table = [
        (
            row.trace,
            row.workload,
            row.embedded.label() if row.embedded else "-",
            row.real.label() if row.real else "-",
            "same" if row.same else "DIFFERS",
        )
        for row in rows
    ]
    print(match.line)
    print(format_table(("TRACE", "WORKLOAD", "EMBEDDED", "REAL", "PARITY"), table))
    for row in differ:
        note = f" ({row.note})" if row.note else ""
        print(
            f"differs: {row.trace}: {row.workload}: "
            f"embedded {_label(row.embedded)}, real {_label(row.real)}{note}"
        )
    print(f"{len(rows) - len(differ)}/{len(rows)} verdicts agree")
    return EXIT_DIFFER if differ else 0


def _label(verdict: Any) -> str:
    return verdict.label() if verdict is not None else "absent"
