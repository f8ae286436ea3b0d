"""Benchmarks of the embedded cluster (issue 4 "Quality bars"); prints figures, asserts nothing.

    .venv/bin/python benchmarks/embedded.py            # every benchmark
    .venv/bin/python benchmarks/embedded.py --only steps --profile   # one, with a cProfile of it

1. canonical: replays per second of the canonical traces (traces/canonical/*, else the seed's
   ../shared/traces/sim-arena/trace-cpu-*.msgpack), each to its last event + 120 s.
2. steps: a 3-replica Deployment edited (cpu request changed) and re-run for 120 simulated seconds, then
   observed and summarized, as one episode step does. Target >= 10,000 steps/s on one core. Rows: a fresh
   cluster per step; one cluster reused with prepare/cleanup (what episode/loop.py does); an edit never
   seen before (parsed templates are cached by content, so this is the cold cost); with
   kubeview.summarize; with actions.apply_action making the edit.
3. scheduling: 1,000 nodes, 1k / 10k / 100k pods; pods scheduled per CPU second. Target >=
   20,000 pods/s with cost growing linearly in pods (not nodes x pods).
4. dsb: the DeathStarBench trace at speed 1 for its whole 1134 s; CPU time and ratio to real time.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import gc
import io
import pstats
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pytest_simarena.backends.embedded import ClusterSpec, EmbeddedCluster
from pytest_simarena.kubeview import summarize
from pytest_simarena.trace import load_trace
from pytest_simarena.trace.model import Trace

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "traces"
PREFIX = "virtual"
T0 = 1_700_000_000


def _clock() -> float:
    """CPU seconds of this process: the engine is single-threaded, and CPU time is what "on one core"
    means even when other work shares the machine (wall time is then inflated)."""
    return time.process_time()


def _timed(
    fn: Callable[[], Any], *, min_seconds: float = 1.0, max_runs: int = 1_000_000
) -> tuple[int, float]:
    """Run ``fn`` repeatedly for at least ``min_seconds``; (runs, seconds)."""
    runs = 0
    start = _clock()
    while True:
        fn()
        runs += 1
        elapsed = _clock() - start
        if elapsed >= min_seconds or runs >= max_runs:
            return runs, elapsed


def _load(path: Path) -> Trace:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return load_trace(path)


def canonical_traces() -> list[Path]:
    found = sorted(
        p for p in (ROOT / "traces" / "canonical").glob("*") if p.suffix in (".sktrace", ".msgpack", ".json")
    )
    return found or sorted((SHARED / "sim-arena").glob("trace-cpu-*.msgpack"))


def bench_canonical(min_seconds: float) -> None:
    print("## canonical traces: replay to last event + 120 s, fresh cluster each time")
    for path in canonical_traces():
        tr = _load(path)

        def replay(tr: Trace = tr) -> None:
            c = EmbeddedCluster(ClusterSpec.default(), seed=0)
            c.start(tr, PREFIX)
            c.run(tr.duration + 120)
            c.observe(PREFIX)

        runs, secs = _timed(replay, min_seconds=min_seconds)
        print(f"{path.name:45s} {runs / secs:10,.0f} replays/s   ({secs / runs * 1e3:.3f} ms each)")


def _web(cpu_millis: int) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {
            "replicas": 3,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {
                "metadata": {"labels": {"app": "web"}},
                "spec": {
                    "containers": [
                        {
                            "name": "web",
                            "image": "nginx",
                            "resources": {"requests": {"cpu": f"{cpu_millis}m", "memory": "2Gi"}},
                        }
                    ]
                },
            },
        },
    }


def _trace(objs: list[dict[str, Any]]) -> Trace:
    config = {"trackedObjects": {"apps/v1.Deployment": {"podSpecTemplatePaths": ["/spec/template"]}}}
    return Trace(events=[{"ts": T0, "applied_objs": objs, "deleted_objs": []}], config=config)


def bench_steps(min_seconds: float) -> None:
    print("## episode steps: a 3-replica Deployment edited, start, run 120 simulated s, observe")
    from pytest_simarena.actions import Action, apply_action

    spec = ClusterSpec.default()
    # the edits an agent makes: cpu 17000m down to 12000m in 500m steps (Pending, then Running)
    edited = [_trace([_web(cpu)]) for cpu in range(17_000, 11_500, -500)]
    index = [0]
    current = [edited[0]]
    reduce = Action("reduce_cpu", "web", amount="500m")
    shared = [EmbeddedCluster(spec, seed=0)]
    fresh_cpu = [12_000]

    def step(mode: str) -> None:
        index[0] = (index[0] + 1) % len(edited)
        if mode == "apply_action":
            tr = apply_action(current[0], reduce).trace
            current[0] = tr if index[0] else edited[0]
        elif mode == "cold":
            # a template never seen before (no cache can help): what a first-time edit costs
            fresh_cpu[0] += 1
            tr = _trace([_web(fresh_cpu[0])])
        else:
            tr = edited[index[0]]
        if mode == "reused":
            # what episode/loop.py does: one cluster per episode, prepare/start/advance/observe/cleanup
            c = shared[0]
            c.prepare(PREFIX)
            c.start(tr, PREFIX)
            c.advance(120)
            c.observe(PREFIX)
            c.cleanup(PREFIX)
            return
        c = EmbeddedCluster(spec, seed=0)
        c.start(tr, PREFIX)
        c.run(120)
        snap = c.observe(PREFIX)
        if mode not in ("engine", "cold"):
            summarize(snap)

    rows = (
        ("engine: start+run+observe", "engine"),
        ("engine, one cluster reused", "reused"),
        ("engine, never-seen edit", "cold"),
        ("+ kubeview.summarize", "summarize"),
        ("+ actions.apply_action edit", "apply_action"),
    )
    for label, mode in rows:
        runs, secs = _timed(functools.partial(step, mode), min_seconds=min_seconds)
        verdict = "meets" if runs / secs >= 10_000 else "MISSES"
        print(
            f"{label:30s} {runs / secs:10,.0f} steps/s   ({secs / runs * 1e6:.1f} us each; "
            f"target 10,000: {verdict})"
        )


# A namespace ResourceQuota and LimitRange every pod is admitted against (issue 15), never refusing one.
POLICY = [
    {
        "apiVersion": "v1",
        "kind": "ResourceQuota",
        "metadata": {"name": "q", "namespace": "default"},
        "spec": {"hard": {"requests.cpu": "100000", "requests.memory": "10Ti", "pods": "1000000"}},
    },
    {
        "apiVersion": "v1",
        "kind": "LimitRange",
        "metadata": {"name": "lr", "namespace": "default"},
        "spec": {"limits": [{"type": "Container", "max": {"memory": "1Gi"}, "min": {"cpu": "10m"}}]},
    },
]


def schedule_pods(spec: ClusterSpec, n: int, *, policy: bool = False) -> tuple[int, float]:
    """10 Deployments of n/10 pods (100m / 128Mi) started and run 5 s: (pods bound, CPU seconds).

    With ``policy`` every pod also passes a ResourceQuota and a LimitRange (defaults and checks)."""
    objs = list(POLICY) if policy else []
    for i in range(10):
        d = _web(100)
        d["metadata"]["name"] = f"w{i}"
        d["spec"]["replicas"] = n // 10
        d["spec"]["selector"]["matchLabels"]["app"] = f"w{i}"
        d["spec"]["template"]["metadata"]["labels"]["app"] = f"w{i}"
        d["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["memory"] = "128Mi"
        objs.append(d)
    tr = _trace(objs)
    c = EmbeddedCluster(spec, seed=0)
    start = _clock()
    c.start(tr, PREFIX)
    c.run(5)
    elapsed = _clock() - start
    bound = sum(1 for p in c.observe(PREFIX).pods if p["spec"].get("nodeName"))
    return bound, elapsed


def bench_scheduling(sizes: list[int]) -> None:
    print("## scheduling: 1,000 nodes (64 cpu / 256Gi / 110 pods), 10 Deployments of 100m / 128Mi pods")
    spec = ClusterSpec.uniform(1000, "64", "256Gi", 110)
    per_pod: list[tuple[int, float]] = []
    for n in sizes:
        bound, elapsed = schedule_pods(spec, n)
        per_pod.append((n, elapsed))
        verdict = "meets" if bound / elapsed >= 20_000 else "MISSES"
        print(
            f"{n:>7,} pods: {elapsed:7.3f} s cpu, {bound:,} bound, {bound / elapsed:10,.0f} pods/s "
            f"(target 20,000: {verdict})"
        )
    if len(per_pod) > 1:
        (n0, t0), (n1, t1) = per_pod[0], per_pod[-1]
        print(f"growth: {n1 / n0:.0f}x pods -> {t1 / t0:.1f}x time (linear would be {n1 / n0:.0f}x)")
    n = min(sizes[-1], 10_000)
    bound, elapsed = schedule_pods(spec, n, policy=True)
    verdict = "meets" if bound / elapsed >= 20_000 else "MISSES"
    plain = dict(per_pod).get(n)
    ratio = f"; {elapsed / plain:.1f}x the time without" if plain else ""
    print(
        f"{n:>7,} pods with a ResourceQuota and a LimitRange: {elapsed:7.3f} s cpu, {bound:,} bound, "
        f"{bound / elapsed:10,.0f} pods/s (target 20,000: {verdict}{ratio})"
    )


def bench_dsb() -> None:
    print("## dsb-scaling at speed 1 for its whole 1134 s")
    path = SHARED / "simkube" / "dsb-scaling.sktrace"
    if not path.is_file():
        print(f"{path} not found; skipped")
        return
    tr = _load(path)
    # The scheduling benchmark before this one leaves a 100k-pod heap behind: collect it now so that its
    # garbage collection is not billed to this replay.
    gc.collect()
    start = _clock()
    c = EmbeddedCluster(ClusterSpec.default(), seed=0)
    c.start(tr, PREFIX, speed=1.0)
    c.run(tr.duration)
    snap = c.observe(PREFIX)
    elapsed = _clock() - start
    running = sum(s.running for s in summarize(snap))
    print(
        f"{tr.duration} simulated s in {elapsed * 1e3:.1f} ms cpu: {tr.duration / elapsed:,.0f}x real time; "
        f"{len(c.event_log):,} event-log lines, {running} pods running at the end"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", choices=["canonical", "steps", "scheduling", "dsb"], action="append")
    parser.add_argument("--quick", action="store_true", help="shorter timings, scheduling up to 10k pods")
    parser.add_argument("--profile", action="store_true", help="cProfile the selected benchmarks (top 25)")
    args = parser.parse_args(argv)
    chosen = args.only or ["canonical", "steps", "scheduling", "dsb"]
    seconds = 0.5 if args.quick else 2.0
    sizes = [1_000, 10_000] if args.quick else [1_000, 10_000, 100_000]
    print(f"# python {sys.version.split()[0]}, {time.strftime('%Y-%m-%d %H:%M:%S')}; times are CPU seconds")
    benches: dict[str, Callable[[], None]] = {
        "canonical": lambda: bench_canonical(seconds),
        "steps": lambda: bench_steps(seconds),
        "scheduling": lambda: bench_scheduling(sizes),
        "dsb": bench_dsb,
    }
    for name in chosen:
        if args.profile:
            prof = cProfile.Profile()
            prof.runcall(benches[name])
            out = io.StringIO()
            pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(25)
            print(out.getvalue())
        else:
            benches[name]()
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
