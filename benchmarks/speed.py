"""Issue 13's figures in one command, each beside its goal and its anchor measured in this same process.

    .venv/bin/python benchmarks/speed.py               # every figure (~1-2 CPU minutes)
    .venv/bin/python benchmarks/speed.py --quick       # fewer steps (a smoke run)
    .venv/bin/python benchmarks/speed.py --profile episode   # cProfile top entries of one figure

Rates are per CPU second of this process (``time.process_time``): on a shared machine that is the stable
figure. Anchors: Gymnasium CartPole-v1 steps/s (random actions), raw ``msgpack.unpackb`` of the same
bytes, the in-memory episode. Rows:

1. episode step: ``run_episode`` on the 3-replica canonical trace ``slightly-bad-cpu`` (120 simulated s
   per step, observe, policy, action, reward), policy ``random`` (acts every step) and ``noop``; on the
   default reused cluster and with ``isolated`` runs (each step replays on the pristine seeded cluster,
   so repeated (trace, seed) replays are memoized). Goal: >= 1/7 of CartPole.
2. gym env step: ``SimArenaEnv`` on the same trace, random actions, default and isolated. Goal: same.
3. logged episode: the same episodes writing the run folder every step, alternated with the in-memory
   ones. Goal: <= 2x in-memory; the writing's own CPU per step (aim <= ~25 us) says how far the in-memory
   step may still shrink before the ratio reaches 2x.
4. scheduling at 1,000 nodes: 1k and 10k pods. Goal: > 20,000 pods/s, cost linear in pods.
5. trace load: ``load_trace`` (decode + validation) of a ~2 MB trace vs raw msgpack decode. Goal >= 0.5x.
6. memory: N steps on one env / one reused cluster; RSS growth. Goal: flat.

Row 1 also prints the same seeded episodes run a second time (every memo warm: what a step costs once its
trace is planned). Rows 1-2 are also measured with the embedded cluster's fast path off
(``cluster.fast = False``: the engine replays every step), side by side in this process; ``--steps``
prints only them and the fast path's coverage of the generated trace families; ``--profile X --engine``
profiles the engine instead.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import inspect
import io
import os
import pstats
import random
import resource
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from pytest_simarena.episode.loop import run_episode  # noqa: E402
from pytest_simarena.trace.io import load_trace  # noqa: E402

TRACE = ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace"
TMPFS = "/dev/shm"  # memory-backed files (Linux), for the logged rows' file-system-free figure
SHARED = ROOT.parent / "shared" / "traces"


def has_fast() -> bool:
    """Whether this checkout has the fast path (backends/embedded/fastpath.py)."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    return hasattr(EmbeddedCluster, "fast")


def has_isolated() -> bool:
    """Whether this checkout has isolated clusters (the script also measures the code before them)."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    return "isolated" in inspect.signature(EmbeddedCluster).parameters


def embedded(isolated: bool, fast: bool = True) -> Any:
    """The embedded cluster; ``fast=False`` turns its fast path off (the engine replays every step)."""
    from pytest_simarena.backends.registry import make_backend

    backend = make_backend("embedded", seed=0, **({"isolated": True} if isolated else {}))
    if hasattr(backend, "fast"):  # (a checkout before the fast path has none)
        backend.fast = fast
    return backend


def cpu() -> float:
    return time.process_time()


def rate(fn: Callable[[], int], min_seconds: float) -> float:
    """Units per CPU second of ``fn`` (which returns how many units it did), repeated >= min_seconds."""
    done = 0
    start = cpu()
    while True:
        done += fn()
        elapsed = cpu() - start
        if elapsed >= min_seconds:
            return done / elapsed


def cartpole(min_seconds: float) -> float:
    import gymnasium

    env = gymnasium.make("CartPole-v1")
    env.reset(seed=0)
    rng = random.Random(0)

    def chunk() -> int:
        for _ in range(2000):
            _, _, terminated, truncated, _ = env.step(rng.randrange(2))
            if terminated or truncated:
                env.reset()
        return 2000

    chunk()
    return rate(chunk, min_seconds)


def cold() -> None:
    """Every figure starts with empty memos, so two figures see the same hits and misses."""
    try:
        from pytest_simarena.episode.loop import clear_step_memos
    except ImportError:  # a checkout without memos
        return
    clear_step_memos()
    try:
        from pytest_simarena.rl.features import clear_memo
    except ImportError:  # a checkout without the feature memo
        return
    clear_memo()


def logged_vs_memory(
    episodes: int, rounds: int, *, isolated: bool, root: str | None = None
) -> dict[str, float]:
    """The same seeded ``random`` episodes in memory and writing run folders, alternated ``rounds`` times
    from cold memos (a drift of the machine's load hits both sides): CPU and wall seconds of each side,
    the steps and the run folders of one side."""
    from pytest_simarena.episode.loop import run_episode as run

    trace = load_trace(TRACE)
    run(trace, "random", backend=embedded(isolated), max_steps=5)  # first-use costs
    totals = {"memory": 0.0, "logged": 0.0, "memoryWall": 0.0, "loggedWall": 0.0, "steps": 0, "folders": 0}
    with tempfile.TemporaryDirectory(dir=root) as tmp:
        for r in range(rounds):
            for side in ("memory", "logged"):
                cold()
                gc.collect()  # each side starts with no garbage left by the other
                start, wall = cpu(), time.perf_counter()
                for n in range(episodes):
                    out = Path(tmp) / f"{r}-{n}" if side == "logged" else None
                    result = run(
                        trace, "random", backend=embedded(isolated), max_steps=50, seed=n, out_dir=out
                    )
                    if side == "logged":
                        totals["steps"] += len(result.steps)
                        totals["folders"] += 1
                totals[side] += cpu() - start
                totals[side + "Wall"] += time.perf_counter() - wall
    return totals


def folder_creation(folders: int) -> float:
    """CPU seconds to create one empty run folder's five entries (the folder and four files) here, now:
    the file system's share of a logged episode, which no layout of ours can go below."""
    with tempfile.TemporaryDirectory() as tmp:
        start = cpu()
        for n in range(folders):
            folder = Path(tmp) / str(n)
            folder.mkdir()
            for name in ("steps.jsonl", "traces.msgpack", "summary.json", "timings.json"):
                (folder / name).touch()
        return (cpu() - start) / folders


def episode_rate(
    policy: str, min_seconds: float, *, isolated: bool, logged: bool = False, fast: bool = True
) -> float:

    trace = load_trace(TRACE)
    tmp = tempfile.TemporaryDirectory()
    n = [0]

    def chunk() -> int:
        backend = embedded(isolated, fast)
        out = Path(tmp.name) / str(n[0]) if logged else None
        n[0] += 1
        result = run_episode(trace, policy, backend=backend, max_steps=50, seed=n[0], out_dir=out)
        return len(result.steps)

    chunk()  # imports and first-use costs
    n[0] = 0
    cold()
    try:
        return rate(chunk, min_seconds)
    finally:
        tmp.cleanup()


def warm_rate(policy: str, episodes: int, *, isolated: bool) -> float:
    """Steps per CPU second of ``episodes`` seeded episodes run a second time: every memo warm (no new
    trace, plan or situation), so what every step costs once planned, per-episode set-up included."""
    trace = load_trace(TRACE)

    def once() -> int:
        return sum(
            len(run_episode(trace, policy, backend=embedded(isolated), max_steps=50, seed=n).steps)
            for n in range(1, episodes + 1)
        )

    cold()
    once()
    start = cpu()
    steps = once()
    return steps / (cpu() - start)


def gym_rate(min_seconds: float, *, isolated: bool, fast: bool = True) -> float:
    from pytest_simarena.gym import SimArenaEnv

    return env_rate(
        SimArenaEnv(str(TRACE), max_steps=50, backend=embedded(isolated, fast)), min_seconds, cold
    )


def env_rate(env: Any, min_seconds: float, cold: Callable[[], None]) -> float:
    """Steps per CPU second of ``env`` with seeded random actions (``cold()`` empties the memos first)."""
    env.reset(seed=0)
    rng = random.Random(0)
    n_actions = len(env.action_names)

    def chunk() -> int:
        for _ in range(200):
            _, _, terminated, truncated, _ = env.step(rng.randrange(n_actions))
            if terminated or truncated:
                env.reset()
        return 200

    chunk()
    cold()
    return rate(chunk, min_seconds)


def scheduling(sizes: list[int]) -> list[tuple[int, float]]:
    from embedded import schedule_pods

    from pytest_simarena.backends.embedded import ClusterSpec

    spec = ClusterSpec.uniform(1000, "64", "256Gi", 110)
    out = []
    for n in sizes:
        gc.collect()
        out.append(schedule_pods(spec, n))
        gc.collect()
    return out


def trace_load(repeat: int) -> tuple[float, float, float]:
    """(MB, load_trace s, raw msgpack s), best of ``repeat``, on dsb-scaling repeated to ~2 MB."""
    import msgpack
    from trace_io import build_big_trace

    from pytest_simarena.trace.io import dumps, loads

    base = SHARED / "simkube" / "dsb-scaling.sktrace"
    trace = load_trace(base) if base.is_file() else load_trace(TRACE)
    data = dumps(build_big_trace(trace, 2_000_000))

    def best(fn: Callable[[], object]) -> float:
        times = []
        for _ in range(repeat):
            gc.collect()
            t = cpu()
            fn()
            times.append(cpu() - t)
        return min(times)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = best(lambda: loads(data))
    raw = best(lambda: msgpack.unpackb(data, raw=False, strict_map_key=False))
    return len(data) / 1e6, full, raw


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def mark(n: int) -> tuple[int, float, int]:
    """(steps, RSS MB, objects the cyclic collector tracks) after a full collection."""
    gc.collect()
    return n, rss_mb(), len(gc.get_objects())


def memory_env(steps: int) -> list[tuple[int, float, int]]:
    """RSS (MB) at checkpoints over ``steps`` gym steps on one isolated env (reset without a seed)."""
    from pytest_simarena.gym import SimArenaEnv

    env = SimArenaEnv(str(TRACE), max_steps=50, backend=embedded(has_isolated()))
    env.reset(seed=0)
    rng = random.Random(1)
    marks = []
    for n in range(1, steps + 1):
        _, _, terminated, truncated, _ = env.step(rng.randrange(len(env.action_names)))
        if terminated or truncated:
            env.reset()
        if n % (steps // 5) == 0:
            marks.append(mark(n))
    return marks


def memory_cluster(steps: int) -> list[tuple[int, float, int]]:
    """RSS (MB) at checkpoints over ``steps`` replays (prepare, start, 120 s, observe, cleanup) on one
    reused cluster: its clock, RNG and event log carry on from step to step."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    trace = load_trace(TRACE)
    cluster = EmbeddedCluster(seed=0)
    marks = []
    for n in range(1, steps + 1):
        cluster.prepare("virtual")
        cluster.start(trace, "virtual")
        cluster.run(120)
        cluster.observe("virtual")
        cluster.cleanup("virtual")
        if n % (steps // 5) == 0:
            marks.append(mark(n))
    return marks


def coverage(per_family: int) -> tuple[int, int, int, int]:
    """(traces, of which the fast path replays, random-policy steps, of which it computed) over
    ``per_family`` generated traces of every family, on the default reused cluster of each trace."""
    from pytest_simarena.episode.loop import run_episode as run
    from pytest_simarena.trace.generator import FAMILIES, generate_trace

    traces = covered = steps = fast_steps = 0
    for family in sorted(FAMILIES):
        for index in range(per_family):
            trace = generate_trace(family, 0, index)
            result = run(trace, "random", max_steps=10, seed=index)
            traces += 1
            covered += hasattr(result.steps[0].observation.snapshot, "fast")
            steps += len(result.steps)
            fast_steps += sum(hasattr(r.observation.snapshot, "fast") for r in result.steps)
    return traces, covered, steps, fast_steps


def memory_steps(steps: int) -> list[tuple[int, float, int]]:
    """RSS (MB) over ``steps`` episode-step replays (``run_trace(..., cleanup=True)`` and cleanup, as the
    loop does them) on one reused cluster: the fast path's steps; every 1,000th snapshot is read."""
    from pytest_simarena.backends.embedded import EmbeddedCluster

    trace = load_trace(TRACE)
    cluster = EmbeddedCluster(seed=0)
    marks = []
    for n in range(1, steps + 1):
        snapshot = cluster.run_trace(trace, "virtual", 120, cleanup=True)
        if n % 1000 == 0:
            _ = snapshot.pods, cluster.event_log
        cluster.cleanup("virtual")
        if n % (steps // 5) == 0:
            marks.append(mark(n))
    return marks


def logged_rows(modes: tuple[bool, ...], *, quick: bool) -> None:
    for isolated in modes:
        mode = "isolated" if isolated else "reused cluster"
        t = logged_vs_memory(8 if quick else 20, 2 if quick else 4, isolated=isolated)
        steps = t["steps"]
        mem, logged = steps / t["memory"], steps / t["logged"]
        line(
            f"logged episode step (random, {mode})",
            f"{logged:,.0f} /s",
            "cost <= 2x in-memory",
            f"in-memory {mem:,.0f} /s: {mem / logged:.2f}x",
            mem / logged <= 2,
        )
        mem_wall, logged_wall = steps / t["memoryWall"], steps / t["loggedWall"]
        line(
            f"  the same, wall clock ({mode})",
            f"{logged_wall:,.0f} /s",
            "cost <= 2x in-memory",
            f"in-memory {mem_wall:,.0f} /s: {mem_wall / logged_wall:.2f}x",
            mem_wall / logged_wall <= 2,
        )
        # What writing costs on its own: the ratio stays <= 2x while an in-memory step costs more. Creating
        # the folder's entries is the file system's (0.02-0.7 ms each on this machine, with its load).
        extra = (t["logged"] - t["memory"]) / steps * 1e6
        per_folder = steps / t["folders"]
        create = folder_creation(20 if quick else 60) * 1e6 / per_folder
        line(
            "  writing the run folder, CPU per step",
            f"{extra:,.0f} us",
            "<= ~25 us",
            f"{per_folder:.0f} steps per folder",
            extra <= 25,
        )
        line(
            "    of which creating its 5 entries (fs)",
            f"~{create:,.0f} us",
            "",
            f"{create * per_folder / 5:,.0f} us per new entry",
            None,
        )
        if os.path.isdir(TMPFS) and os.access(TMPFS, os.W_OK):
            # The same in memory-backed files: what the run folder costs where creating a file is cheap.
            m = logged_vs_memory(8 if quick else 20, 2 if quick else 4, isolated=isolated, root=TMPFS)
            per_step = (m["logged"] - m["memory"]) / m["steps"] * 1e6
            line(
                f"  the same in {TMPFS} (tmpfs), CPU",
                f"{m['steps'] / m['logged']:,.0f} /s",
                "cost <= 2x in-memory",
                f"{m['logged'] / m['memory']:.2f}x, +{per_step:,.0f} us/step",
                m["logged"] / m["memory"] <= 2,
            )


def line(name: str, value: str, goal: str, anchor: str, verdict: bool | None) -> None:
    mark = "" if verdict is None else ("meets" if verdict else "MISSES")
    print(f"{name:<44}{value:>22}  {goal:<26}{anchor:<34}{mark}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="Short runs (smoke test of the script)")
    parser.add_argument("--memory-steps", type=int, default=100_000, help="Steps of the memory figure")
    parser.add_argument(
        "--profile",
        choices=["episode", "episode-isolated", "gym", "gym-isolated"],
        help="Print a cProfile (top entries by own time) of one figure",
    )
    parser.add_argument("--engine", action="store_true", help="With --profile: the fast path off")
    parser.add_argument(
        "--steps", action="store_true", help="Only the step figures (CartPole, episode, gym, fast path)"
    )
    parser.add_argument("--logged", action="store_true", help="Only the logged-episode figures")
    args = parser.parse_args(argv)
    secs = 0.3 if args.quick else 2.0
    if args.profile:
        prof = cProfile.Profile(time.process_time)
        prof.enable()
        isolated = args.profile.endswith("-isolated")
        if args.profile.startswith("episode"):
            episode_rate("random", secs, isolated=isolated, fast=not args.engine)
        else:
            gym_rate(secs, isolated=isolated, fast=not args.engine)
        prof.disable()
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(25)
        print(out.getvalue())
        return 0
    print(f"# python {sys.version.split()[0]}; rates per CPU second of this process")
    print(f"{'figure':<44}{'value':>22}  {'goal':<26}{'anchor':<34}")
    modes = (False, True) if has_isolated() else (False,)
    if args.logged:
        logged_rows(modes, quick=args.quick)
        return 0
    cp = cartpole(secs)
    goal = cp / 7
    line("gymnasium CartPole-v1 step (anchor)", f"{cp:,.0f} /s", "", "", None)
    for isolated in modes:
        mode = "isolated" if isolated else "reused cluster"
        for policy in ("random", "noop"):
            r = episode_rate(policy, secs, isolated=isolated)
            line(
                f"episode step ({policy}, {mode})",
                f"{r:,.0f} /s",
                f">= {goal:,.0f} /s (1/7)",
                f"CartPole/{cp / r:,.1f}",
                r >= goal,
            )
            if has_fast():
                e = episode_rate(policy, secs, isolated=isolated, fast=False)
                line(
                    "  the same, fast path off (engine)", f"{e:,.0f} /s", "", f"CartPole/{cp / e:,.1f}", None
                )
            w = warm_rate(policy, 20 if args.quick else 40, isolated=isolated)
            line(
                "  the same episodes again (memos warm)",
                f"{w:,.0f} /s",
                "",
                f"CartPole/{cp / w:,.1f}, {1e6 / w:,.1f} us",
                None,
            )
    for isolated in modes:
        mode = "isolated" if isolated else "reused cluster"
        g = gym_rate(secs, isolated=isolated)
        line(
            f"gym env step (random, {mode})",
            f"{g:,.0f} /s",
            f">= {goal:,.0f} /s (1/7)",
            f"CartPole/{cp / g:,.1f}",
            g >= goal,
        )
        if has_fast():
            e = gym_rate(secs, isolated=isolated, fast=False)
            line("  the same, fast path off (engine)", f"{e:,.0f} /s", "", f"CartPole/{cp / e:,.1f}", None)
    if has_fast():
        traces, covered, steps, fast_steps = coverage(2 if args.quick else 10)
        line(
            "fast path: generated traces covered",
            f"{covered}/{traces} ({covered / traces:.0%})",
            "",
            f"random-policy steps: {fast_steps}/{steps} ({fast_steps / steps:.0%})",
            None,
        )
    if args.steps:
        return 0
    logged_rows(modes, quick=args.quick)
    sizes = [1000, 5000] if args.quick else [1000, 10000]
    sched = scheduling(sizes)
    for bound, elapsed in sched:
        line(
            f"scheduling 1,000 nodes, {bound:,} pods",
            f"{bound / elapsed:,.0f} pods/s",
            "> 20,000 pods/s",
            "",
            bound / elapsed > 20_000,
        )
    (n0, t0), (n1, t1) = sched[0], sched[-1]
    line(
        "scheduling growth",
        f"{n1 / n0:.0f}x pods: {t1 / t0:.1f}x",
        "linear in pods",
        "",
        t1 / t0 <= 1.5 * n1 / n0,
    )
    mb, full, raw = trace_load(3 if args.quick else 5)
    line(
        f"trace load ({mb:.1f} MB, with validation)",
        f"{mb / full:,.1f} MB/s",
        ">= 0.5x raw msgpack",
        f"raw {mb / raw:,.1f} MB/s: {raw / full:.2f}x",
        raw / full >= 0.5,
    )
    steps = 2000 if args.quick else args.memory_steps
    for label, measure in (
        (f"one {'isolated ' if has_isolated() else ''}gym env", memory_env),
        ("one reused cluster", memory_cluster),
        *((("one reused cluster, episode steps", memory_steps),) if has_fast() else ()),
    ):
        marks = measure(steps)
        (_, m0, _), (s1, m1, _) = marks[0], marks[-1]
        line(
            f"memory, {s1:,} steps, {label}",
            f"{m0:.1f} -> {m1:.1f} MB",
            "flat (< 5 MB growth)",
            " ".join(f"{m:.0f}" for _, m, _ in marks) + " MB",
            m1 - m0 < 5,
        )
        # What every full collection of the cyclic collector walks (the memos' tracked objects, mostly).
        line(
            "  objects tracked by the cyclic GC",
            f"{marks[0][2]:,} -> {marks[-1][2]:,}",
            "",
            " ".join(f"{t / 1000:.0f}k" for _, _, t in marks),
            None,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
