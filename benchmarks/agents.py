"""Agents on the live embedded cluster: what an agent's tool call and a whole live episode cost.

Run: ``.venv/bin/python benchmarks/agents.py [--repeat N]``. Prints, with each goal:

- a live episode (heuristic, the four canonical traces) against the replay-mode episode of the same
  policy: wall ms per episode and the ratio (goal: live within 2x of replay, which replays the whole
  trace every step, so live should not be slower than that);
- one MCP ``tools/call`` (``get_pods``) through the SDK's in-memory client: ms per call (goal < 20 ms,
  far under a model's own latency);
- the ``llm`` policy solving ``slightly-bad-cpu`` end to end against a scripted local endpoint over real
  HTTP (4 model calls): wall ms per episode (goal < 1 s: the harness must not be what an LLM run waits
  for);
- the bash kubectl agent (``scenarios/agents/fix.sh``) solving ``mixed`` end to end against its own API
  server: wall seconds per episode (goal < 10 s; a real cluster takes minutes), skipped without kubectl.

CPU seconds of this process are printed beside wall seconds: on a shared machine they are the stable
figure.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "agents"))

from pytest_simarena.agents.host import LiveHost  # noqa: E402
from pytest_simarena.agents.live_episode import LlmLiveAgent, PolicyAgent, run_live_episode  # noqa: E402
from pytest_simarena.agents.llm import LlmConfig  # noqa: E402
from pytest_simarena.episode.loop import run_episode  # noqa: E402
from pytest_simarena.live import LiveSession  # noqa: E402
from pytest_simarena.policies.registry import make_policy  # noqa: E402
from pytest_simarena.trace.io import load_trace  # noqa: E402

CANONICAL = sorted((ROOT / "traces" / "canonical").glob("*.sktrace"))


def timed(fn: object, repeat: int) -> tuple[float, float]:
    """(wall ms, CPU ms) per call of ``fn()``."""
    assert callable(fn)
    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in range(repeat):
        fn()
    return (time.perf_counter() - t0) * 1000 / repeat, (time.process_time() - cpu0) * 1000 / repeat


def bench_live_vs_replay(repeat: int) -> None:
    traces = [load_trace(p) for p in CANONICAL]

    def live() -> None:
        for t in traces:
            assert run_live_episode(t, PolicyAgent(make_policy("heuristic")), seed=1).solved

    def replay() -> None:
        for t in traces:
            assert run_episode(t, "heuristic", seed=1, max_steps=5).solved

    live_ms, live_cpu = timed(live, repeat)
    replay_ms, replay_cpu = timed(replay, repeat)
    n = len(traces)
    print(
        f"live episode (heuristic, canonical): {live_ms / n:.1f} ms wall, {live_cpu / n:.1f} ms CPU; "
        f"replay: {replay_ms / n:.1f} ms wall, {replay_cpu / n:.1f} ms CPU; "
        f"CPU ratio {live_cpu / replay_cpu:.2f}x (goal <= 2x)"
    )


def bench_mcp_call(repeat: int) -> None:
    import anyio
    from mcp import Client

    from pytest_simarena.agents.mcp_server import build_server

    session = LiveSession.start(CANONICAL[0], seed=1)
    server = build_server(LiveHost(session))
    result: dict[str, float] = {}

    async def main() -> None:
        async with Client(server) as client:
            await client.call_tool("get_pods", {})
            cpu0, t0 = time.process_time(), time.perf_counter()
            for _ in range(repeat):
                await client.call_tool("get_pods", {})
            result["wall"] = (time.perf_counter() - t0) * 1000 / repeat
            result["cpu"] = (time.process_time() - cpu0) * 1000 / repeat

    anyio.run(main)
    session.close()
    print(
        f"MCP tools/call get_pods (in-memory client): {result['wall']:.2f} ms wall, "
        f"{result['cpu']:.2f} ms CPU (goal < 20 ms)"
    )


def bench_llm_episode(repeat: int) -> None:
    from fake_llm import calls, fake_chat, say, tool_call

    trace = load_trace(ROOT / "traces" / "canonical" / "slightly-bad-cpu.sktrace")
    script = [
        calls(tool_call("c1", "get_pods")),
        calls(tool_call("c2", "set_resources", workload="web", requests_cpu="2")),
        calls(tool_call("c3", "wait_available", workload="web")),
        say("done"),
    ]
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            with fake_chat(list(script)) as chat:
                config = LlmConfig(base_url=chat.url, model="fake", api_key=chat.key)
                t0 = time.perf_counter()
                result = run_live_episode(trace, LlmLiveAgent(config), seed=1, out_dir=Path(tmp) / str(r))
                walls.append((time.perf_counter() - t0) * 1000)
                assert result.solved
    print(
        f"llm policy, slightly-bad-cpu end to end (4 model calls over HTTP): {min(walls):.0f} ms wall "
        "(goal < 1000 ms)"
    )


def bench_command_episode(repeat: int) -> None:
    import shutil

    from pytest_simarena.agents.command import CommandAgent

    if shutil.which("kubectl") is None:
        print("command agent: skipped (kubectl not on PATH)")
        return
    trace = load_trace(ROOT / "traces" / "canonical" / "mixed.sktrace")
    walls = []
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(repeat):
            agent = CommandAgent(["bash", "fix.sh"], cwd=ROOT / "scenarios" / "agents")
            t0 = time.perf_counter()
            result = run_live_episode(trace, agent, seed=1, out_dir=Path(tmp) / str(r), max_steps=3)
            walls.append(time.perf_counter() - t0)
            assert result.solved
    print(f"command agent (bash + kubectl), mixed end to end: {min(walls):.2f} s wall (goal < 10 s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    bench_live_vs_replay(args.repeat)
    bench_mcp_call(args.repeat * 40)
    bench_llm_episode(args.repeat)
    bench_command_episode(max(1, args.repeat // 2))


if __name__ == "__main__":
    main()
