"""The MCP server with the official SDK: in-process with the SDK's in-memory client, once over stdio."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

mcp = pytest.importorskip("mcp", reason="the MCP server needs the agents extra: pip install -e '.[agents]'")

from mcp import Client  # noqa: E402

from pytest_simarena.agents.mcp_server import build_server  # noqa: E402
from pytest_simarena.agents.tools import TOOLS  # noqa: E402

CANONICAL = Path(__file__).resolve().parents[2] / "traces" / "canonical"


def test_in_memory_client_lists_the_tools_and_calls_them(read_host) -> None:
    server = build_server(read_host)

    async def main() -> None:
        async with Client(server) as client:
            listed = await client.list_tools()
            by_name = {t.name: t for t in listed.tools}
            assert list(by_name) == [t.name for t in TOOLS]
            assert by_name["describe"].input_schema["required"] == ["kind", "name"]
            assert by_name["get_pods"].annotations.read_only_hint is True
            assert by_name["set_resources"].annotations.read_only_hint is False

            pods = await client.call_tool("get_pods", {})
            assert not pods.is_error
            assert "Pending" in pods.content[0].text

            pod = read_host.snapshot().pods[0]["metadata"]["name"]
            described = await client.call_tool("describe", {"kind": "pod", "name": pod})
            assert "FailedScheduling" in described.content[0].text

            missing = await client.call_tool("describe", {"kind": "pod", "name": "ghost"})
            assert missing.is_error
            assert 'pods "ghost" not found' in missing.content[0].text

            moved = await client.call_tool("advance_time", {"seconds": 10})
            assert moved.content[0].text == "advanced 10 s of simulated time"

    anyio.run(main)
    assert read_host.cluster.now == 130


def test_in_memory_client_repairs_a_live_cluster_and_sees_the_cap(tmp_path) -> None:
    from pytest_simarena.agents.host import LiveHost
    from pytest_simarena.live import LiveSession

    session = LiveSession.start(CANONICAL / "slightly-bad-cpu.sktrace", seed=2)
    server = build_server(LiveHost(session))

    async def main() -> None:
        async with Client(server) as client:
            denied = await client.call_tool("scale", {"workload": "web", "replicas": 200})
            assert denied.is_error
            assert 'admission webhook "safeguards.simarena.io" denied the request' in denied.content[0].text
            assert "cap is" in denied.content[0].text
            fixed = await client.call_tool("set_resources", {"workload": "web", "requests_cpu": "2"})
            assert fixed.content[0].text.startswith("applied: set_resources"), fixed.content[0].text
            waited = await client.call_tool("wait_available", {"workload": "web", "timeout_seconds": 300})
            assert waited.content[0].text == "deployment/web condition met"
            pods = (await client.call_tool("get_pods", {})).content[0].text
            assert pods.count("Running") == 3

    try:
        anyio.run(main)
        assert session.observation().healthy
        assert [a.type for a in session.actions()] == ["set_resources"]
    finally:
        session.close()


def test_simarena_mcp_over_stdio(tmp_path) -> None:
    import sys

    from mcp.client.stdio import StdioServerParameters

    out = tmp_path / "run"
    params = StdioServerParameters(
        command=str(Path(sys.executable).with_name("simarena")),  # the console script, as a client runs it
        args=[
            "mcp",
            str(CANONICAL / "very-bad-memory.sktrace"),
            "--out",
            str(out),
        ],
    )

    async def main() -> None:
        async with Client(params) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            assert names == [t.name for t in TOOLS]
            await client.call_tool("advance_time", {"seconds": 60})
            described = (await client.call_tool("describe", {"kind": "deployment", "name": "web"})).content[0]
            assert "0 available" in described.text
            fixed = await client.call_tool("set_resources", {"workload": "web", "requests_memory": "1Gi"})
            assert fixed.content[0].text.startswith("applied"), fixed.content[0].text
            waited = await client.call_tool("wait_available", {"workload": "web"})
            assert waited.content[0].text == "deployment/web condition met"

    anyio.run(main)
    writes = (out / "writes.jsonl").read_text().splitlines()
    assert len(writes) == 1 and '"verb":"set_resources"' in writes[0]


def test_logs_and_top_read_the_live_cluster() -> None:
    from pytest_simarena.agents.host import LiveHost
    from pytest_simarena.agents.tools import call_tool
    from pytest_simarena.live import LiveSession

    session = LiveSession.start(CANONICAL / "very-bad-memory.sktrace", seed=2)
    host = LiveHost(session)
    try:
        assert call_tool(
            host, "set_resources", {"workload": "web", "requests_memory": "2Gi"}
        ).text.startswith("applied")
        assert call_tool(host, "wait_available", {"workload": "web"}).text == "deployment/web condition met"
        pod = next(p["metadata"]["name"] for p in session.list("pods", "default"))
        logs = call_tool(host, "get_logs", {"pod": pod})
        assert not logs.is_error and logs.text.strip(), logs.text
        top = call_tool(host, "top", {}).text.splitlines()
        assert top[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"]
        assert len(top) == 4 and all(line.split()[1:] == ["200m", "1024Mi"] for line in top[1:])
        nodes = call_tool(host, "top", {"kind": "nodes"}).text.splitlines()
        assert nodes[0].split() == ["NAME", "CPU(cores)", "MEMORY(bytes)"] and len(nodes) == 4
        missing = call_tool(host, "get_logs", {"pod": "ghost"})
        assert missing.is_error and "ghost" in missing.text
    finally:
        session.close()
