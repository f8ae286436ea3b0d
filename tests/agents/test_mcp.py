"""The MCP server with the official SDK: in-process with the SDK's in-memory client, once over stdio."""

from __future__ import annotations

import anyio
import pytest

mcp = pytest.importorskip("mcp", reason="the MCP server needs the agents extra: pip install -e '.[agents]'")

from mcp import Client  # noqa: E402

from pytest_simarena.agents.mcp_server import build_server  # noqa: E402
from pytest_simarena.agents.tools import TOOLS  # noqa: E402


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
