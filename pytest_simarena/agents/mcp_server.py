"""The MCP server: the agent tools over the Model Context Protocol, with the official ``mcp`` SDK (2.x).

:func:`build_server` returns the SDK's low-level ``Server`` whose ``tools/list`` answers the definitions
of :data:`pytest_simarena.agents.tools.TOOLS` (the same JSON schemas the LLM policy sends) and whose
``tools/call`` runs :func:`pytest_simarena.agents.tools.call_tool` on the host. The low-level server is
used, not ``MCPServer``'s decorators, because the schemas already exist as data: deriving them a second
time from Python signatures would be a second definition to keep in step.

Calls are served one at a time (a lock), so two clients' writes never interleave inside the cluster;
the simulated clock moves only when a tool moves it. ``simarena mcp TRACE`` runs this over stdio
(:func:`run_stdio`); tests connect the SDK's ``Client`` to the server object in-process.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pytest_simarena.errors import SimArenaError

from .tools import TOOLS, TOOLS_BY_NAME, ToolHost, call_tool

if TYPE_CHECKING:
    from mcp.server import Server

SERVER_NAME = "simarena"
INSTRUCTIONS = (
    "A simulated Kubernetes cluster replaying a trace. Read with get_pods, describe, get_events, get_logs "
    "and top; fix with set_resources, scale or apply_action (checked by safeguards); the clock stands "
    "still until advance_time or wait_available moves it."
)


def _require_mcp() -> Any:
    try:
        import mcp.server
    except ImportError:
        raise SimArenaError(
            "the MCP server needs the 'mcp' package: pip install 'pytest-simarena[agents]'"
        ) from None
    return mcp.server


def build_server(host: ToolHost, *, version: str = "") -> Server[Any]:
    """An MCP ``Server`` serving the agent tools on ``host``."""
    _require_mcp()
    import anyio
    import mcp.types as types
    from mcp.server import Server, ServerRequestContext

    lock = threading.Lock()
    listed = [
        types.Tool(
            name=t.name,
            description=t.description,
            input_schema=t.parameters,
            annotations=types.ToolAnnotations(
                read_only_hint=t.kind == "read",
                destructive_hint=False,
                idempotent_hint=t.kind != "time",
                open_world_hint=False,
            ),
        )
        for t in TOOLS
    ]

    async def list_tools(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    def run_locked(name: str, arguments: dict[str, Any] | None) -> Any:
        with lock:
            return call_tool(host, name, arguments)

    async def call(
        ctx: ServerRequestContext[Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        # The cluster is synchronous code: run it in a worker thread so the event loop keeps serving.
        result = await anyio.to_thread.run_sync(run_locked, params.name, params.arguments)
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=result.text)], is_error=result.is_error
        )

    def input_schema(name: str) -> dict[str, Any] | None:
        tool = TOOLS_BY_NAME.get(name)
        return None if tool is None else tool.parameters

    server: Server[Any] = Server(
        SERVER_NAME,
        version=version,
        instructions=INSTRUCTIONS,
        get_tool_input_schema=input_schema,
        on_list_tools=list_tools,
        on_call_tool=call,
    )
    return server


def run_stdio(host: ToolHost) -> None:
    """Serve the tools on ``host`` over stdin/stdout until the client closes the stream."""
    _require_mcp()
    import anyio
    from mcp.server.stdio import stdio_server

    server = build_server(host)

    async def main() -> None:
        async with stdio_server() as (read_stream, write_stream):
            await server.run(read_stream, write_stream, server.create_initialization_options())

    anyio.run(main)
