"""``simarena run``, ``simarena batch`` and ``simarena replay``: episodes from the command line.

Exit codes: ``run`` 0 solved, 1 not solved, 2 bad input or a failed step (one line on stderr);
``batch`` 0 when every episode ran (solved or not), 1 when some recorded an error, 2 bad input;
``replay`` 0 reproduced exactly (``--export-step``: the trace written), 1 differs (the first difference is
printed), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pytest_simarena.errors import SimArenaError

from .common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, add_command, whole_number
from .options import add_settings, episode_settings, setting_values

_positive_int = whole_number(1)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``simarena run``, ``simarena batch`` and ``simarena replay``."""
    run = add_command(
        subparsers,
        "run",
        help="Run one episode: a policy repairs a workload, step by step",
        exit_codes="0 solved, 1 not solved, 2 bad input or a failed step (one line on stderr)",
        handler=cmd_run,
    )
    run.add_argument("trace", metavar="TRACE", help="Trace file, or the name of a project or packaged trace")
    run.add_argument("--out", metavar="DIR", help="Run folder (default runs/<run-id>/)")
    run.add_argument("--json", action="store_true", help="Print the episode as JSON instead of a table")
    add_settings(run, "run")

    batch = add_command(
        subparsers,
        "batch",
        help="Run every trace x every policy and compare policies",
        exit_codes="0 every episode ran (solved or not), 1 some episode recorded an error, 2 bad input",
        handler=cmd_batch,
    )
    batch.add_argument(
        "traces", metavar="TRACES", nargs="+", help="Trace files, trace names, or directories of traces"
    )
    batch.add_argument("--jobs", type=_positive_int, default=1, help="Worker processes (default 1)")
    batch.add_argument(
        "--engine",
        choices=("local", "ray"),
        default="local",
        help="Where episodes run: local processes, or Ray tasks (ray extra; default local)",
    )
    batch.add_argument(
        "--ray-address", metavar="ADDR", help="Ray cluster address (default RAY_ADDRESS or local)"
    )
    batch.add_argument("--out", metavar="DIR", help="Folder for results.json and results.csv")
    batch.add_argument("--json", action="store_true", help="Print results.json to stdout instead of a table")
    add_settings(batch, "batch", multiple=("policy",))

    replay = add_command(
        subparsers,
        "replay",
        help="Re-execute a logged run and check it reproduces exactly",
        exit_codes="0 reproduced exactly (--export-step: written), 1 differs (the first difference is "
        "printed), 2 bad input",
        handler=cmd_replay,
    )
    replay.add_argument("run_dir", metavar="RUN_DIR", help="A run folder written by 'simarena run'")
    replay.add_argument(
        "--export-step",
        metavar="N",
        help="Do not replay: write step N's trace (a number or 'final') as a .sktrace file SimKube runs",
    )
    replay.add_argument(
        "--out",
        metavar="FILE",
        help="With --export-step: where to write it (default RUN_DIR/step-NNN.sktrace)",
    )


# --- run -------------------------------------------------------------------------------------------------


def _json_step(record: Any) -> dict[str, Any]:
    data: dict[str, Any] = record.to_json()
    return {
        "step": data["step"],
        "observation": data["observation"],
        "action": data["action"],
        "status": data["verdict"]["status"],
        "blocked": data["blocked"],
        "blockReason": data["blockReason"],
        "reward": data["reward"],
        "message": data["verdict"]["message"],
    }


def _action_text(record: Any) -> str:
    action = record.action
    if action is None:
        return "-"
    text = str(action.type)
    if action.container:
        text += f" {action.container}"
    for name in ("amount", "replicas"):
        if getattr(action, name) is not None:
            text += f" {getattr(action, name)}"
    for name in ("requests", "limits"):
        value = getattr(action, name)
        if value:
            text += f" {name}=" + ",".join(f"{k}:{v}" for k, v in value.items())
    return text


def _reason(obs: Any) -> str:
    if obs.failed_scheduling:
        # "0/3 nodes are available: 3 Insufficient cpu. [no new claims to deallocate, ]preemption: ..."
        # -> "3 Insufficient cpu": the filter part ends at its period (FitError.Error, every version).
        reasons = str(obs.failed_scheduling).split(" are available: ", 1)[-1]
        return reasons.split(". ", 1)[0].rstrip(".")
    if obs.rejected:
        return "rejected"
    if obs.oom:
        return "OOMKilled"
    for event in reversed(obs.events):
        # "Container app failed startup probe, will be restarted" -> "failed startup probe"
        message = str(event.get("message", ""))
        if event.get("reason") == "Killing" and " failed " in message:
            return "failed " + message.split(" failed ", 1)[1].split(",", 1)[0]
    if obs.backoff:
        return "CrashLoopBackOff"
    return ""


def _run_live(trace: Any, settings: Any, agents: Any, out: Path, label: str) -> Any:
    """``run --mode live`` (and the live-only ``llm`` policy): the agent acts on a running cluster."""
    from pytest_simarena.agents.live_episode import Budget, make_live_agent, run_live_episode

    from .simulate_cmd import build_spec

    if settings.backend != "embedded":
        raise SimArenaError(f"live mode runs on the embedded cluster, not the {settings.backend} backend")
    return run_live_episode(
        trace,
        make_live_agent(settings.policy, settings=agents),
        settings=settings,
        spec=None if settings.cluster.is_default else build_spec(settings.cluster),
        budget=Budget.from_settings(agents),
        out_dir=out,
        trace_label=label,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from pytest_simarena.episode.loop import run_episode
    from pytest_simarena.episode.runlog import default_run_dir, export_step_trace
    from pytest_simarena.policies.registry import LIVE_POLICIES
    from pytest_simarena.settings import AgentSettings
    from pytest_simarena.trace.catalog import find_trace
    from pytest_simarena.trace.io import load_trace

    settings = episode_settings(args)
    trace = load_trace(find_trace(args.trace))
    out = Path(args.out) if args.out else default_run_dir(args.trace, settings.policy, settings.seed)
    agents = AgentSettings.from_values(setting_values(args))
    if agents.mode == "live" or settings.policy in LIVE_POLICIES:
        result = _run_live(trace, settings, agents, out, args.trace)
    else:
        result = run_episode(trace, settings=settings, out_dir=out, trace_label=args.trace)
    final_trace = str(out / result.final_trace_file) if result.final_trace_file else None
    if final_trace is not None and not Path(final_trace).is_file():
        # The run folder keeps every step's trace in traces.msgpack; the final one is also given as a file.
        export_step_trace(out, result.final_trace_file or "final", final_trace)
    if args.json:
        doc = {
            "steps": [_json_step(s) for s in result.steps],
            "solved": result.solved,
            "stepsToSolve": result.steps_to_solve,
            "totalReward": result.total_reward,
            "finalTrace": final_trace,
            "runDir": str(out),
            "error": result.error,
        }
        print(json.dumps(doc, indent=2))
    else:
        # Piped output (files, CI logs) gets a fixed, roomy width instead of rich's 80-column default.
        # markup off: cluster messages hold brackets (an aggregate '[a, b]' would be read as a style tag)
        console = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 140)
        table = Table(
            title=f"{result.workload} · policy {result.policy} · reward {result.reward} · seed {result.seed}"
        )
        for col in ("step", "time", "ready", "pending", "total", "why", "action", "verdict", "reward"):
            numeric = col in ("step", "time", "ready", "pending", "total", "reward")
            table.add_column(col, justify="right" if numeric else "left", overflow="fold")
        for s in result.steps:
            o = s.observation
            table.add_row(
                str(s.step),
                f"{o.time:g}s",
                f"{o.ready}/{o.target}",
                str(o.pending),
                str(o.total),
                _reason(o),
                _action_text(s),
                s.status,
                f"{s.reward:g}",
            )
        console.print(table)
        for s in result.steps:
            if s.blocked or s.status in ("not_found", "error"):
                console.print(f"step {s.step} {s.status}: {s.message}")
            elif s.observation.rejected and s.step == 0:
                console.print(f"step {s.step} rejected: {s.observation.rejected}")
            elif s.observation.failed_scheduling and s.step == 0:
                # the whole text: it differs between Kubernetes versions (--kubernetes-version)
                console.print(f"step {s.step} FailedScheduling: {s.observation.failed_scheduling}")
        if result.solved:
            console.print(f"solved in {result.steps_to_solve} step(s); total reward {result.total_reward:g}")
        else:
            console.print(f"not solved in {len(result.steps)} step(s); total reward {result.total_reward:g}")
        console.print(f"run folder: {out}  final trace: {final_trace}")
    if result.error:
        print(f"simarena: error: {result.error}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK if result.solved else EXIT_FAILED


# --- batch -----------------------------------------------------------------------------------------------


def cmd_batch(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from pytest_simarena.episode.batch import expand_traces, run_batch
    from pytest_simarena.settings import EpisodeSettings

    traces = expand_traces(args.traces)
    values = setting_values(args)
    policies = list(values["policy"]) if isinstance(values["policy"], list) else [values["policy"]]
    settings = EpisodeSettings.from_values({**values, "policy": policies[0]})
    out = Path(args.out) if args.out else Path("runs") / f"batch-{datetime.now(UTC):%Y%m%d-%H%M%S}"
    err = Console(stderr=True)
    started = time.perf_counter()
    with Progress(
        TextColumn("[bold]batch"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[last]}"),
        console=err,
        transient=False,
        disable=args.json,
    ) as progress:
        task = progress.add_task("episodes", total=len(traces) * len(policies), last="")

        def advance(row: dict[str, Any]) -> None:
            mark = "error" if row["error"] else ("solved" if row["solved"] else "unsolved")
            progress.update(task, advance=1, last=f"{Path(row['trace']).name} x {row['policy']}: {mark}")

        result = run_batch(
            traces,
            policies,
            settings,
            jobs=args.jobs,
            on_result=advance,
            engine=args.engine,
            address=args.ray_address,
        )
    elapsed = time.perf_counter() - started
    json_path, csv_path = result.write(out)
    failures = [r for r in result.rows if r["error"]]
    if args.json:
        print(json.dumps(result.to_json(), indent=2))
    else:
        # markup off: cluster messages hold brackets (an aggregate '[a, b]' would be read as a style tag)
        console = Console(highlight=False, markup=False, width=None if sys.stdout.isatty() else 140)
        table = Table(title=f"{len(traces)} traces x {len(policies)} policies · reward {settings.reward}")
        for col in ("policy", "solved", "solve rate", "mean steps to solve", "mean reward", "errors"):
            table.add_column(col, justify="left" if col == "policy" else "right")
        for s in result.stats():
            table.add_row(
                s.policy,
                f"{s.solved}/{s.episodes}",
                f"{s.solve_rate:.0%}",
                "-" if s.mean_steps_to_solve is None else f"{s.mean_steps_to_solve:.2f}",
                f"{s.mean_reward:.3f}",
                str(s.errors),
            )
        console.print(table)
        for row in failures[:10]:
            console.print(f"failed: {row['trace']} x {row['policy']}: {row['error']}")
        if len(failures) > 10:
            console.print(f"... and {len(failures) - 10} more failures (see {json_path})")
        console.print(
            f"{len(result.rows)} episodes in {elapsed:.2f}s on {args.jobs} job(s); {json_path}, {csv_path}"
        )
    return EXIT_FAILED if failures else EXIT_OK


# --- replay ----------------------------------------------------------------------------------------------


def cmd_replay(args: argparse.Namespace) -> int:
    from pytest_simarena.episode.replay import replay_run
    from pytest_simarena.episode.runlog import export_step_trace
    from pytest_simarena.live import is_live_run, replay_live

    if args.export_step is not None:
        print(export_step_trace(args.run_dir, args.export_step, args.out))
        return EXIT_OK
    if args.out is not None:
        raise SimArenaError("--out is only for --export-step")
    if is_live_run(args.run_dir):  # a live session's folder (simarena serve --out, agents)
        live = replay_live(args.run_dir)
        if live.reproduced:
            same = "events and objects identical"
            print(f"reproduced: live session, {live.writes} write(s), {same} ({args.run_dir})")
            return EXIT_OK
        print(f"differs: {live.difference}")
        return EXIT_FAILED
    try:
        report = replay_run(args.run_dir)
    except FileNotFoundError as exc:
        raise SimArenaError(f"{args.run_dir}: {exc.strerror}: {exc.filename}") from None
    if report.reproduced:
        print(f"reproduced: {report.steps} step(s), steps.jsonl and summary.json identical ({args.run_dir})")
        return EXIT_OK
    print(f"differs: {report.difference}")
    return EXIT_FAILED
