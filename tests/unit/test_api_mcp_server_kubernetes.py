"""A client-go based tool against the served cluster: containers/kubernetes-mcp-server, driven over stdio
by the official ``mcp`` SDK's client. It finds the resources through discovery, lists pods as a Table,
reads events, asks metrics.k8s.io and scales through the /scale subresource.

The binary comes from npm: ``npm install kubernetes-mcp-server-linux-amd64`` (its ``bin/`` holds it); point
``SIMARENA_KUBERNETES_MCP_SERVER`` at it or put ``kubernetes-mcp-server`` on PATH.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from api_helpers import served

BINARY = os.environ.get("SIMARENA_KUBERNETES_MCP_SERVER") or shutil.which("kubernetes-mcp-server") or ""

pytestmark = pytest.mark.skipif(
    not BINARY or not Path(BINARY).exists(),
    reason="kubernetes-mcp-server not found: npm install kubernetes-mcp-server-linux-amd64 and set "
    "SIMARENA_KUBERNETES_MCP_SERVER=node_modules/kubernetes-mcp-server-linux-amd64/bin/"
    "kubernetes-mcp-server-linux-amd64",
)


async def _call_tools(kubeconfig: Path, log: Path) -> dict[str, Any]:
    mcp = pytest.importorskip("mcp")
    from mcp.client.stdio import stdio_client

    params = mcp.StdioServerParameters(
        command=BINARY,
        args=["--kubeconfig", str(kubeconfig), "--disable-multi-cluster", "--log-file", str(log)],
    )
    results: dict[str, Any] = {}
    async with stdio_client(params) as (read, write), mcp.ClientSession(read, write) as session:
        await session.initialize()
        results["tools"] = sorted(t.name for t in (await session.list_tools()).tools)
        for name, arguments in (
            ("pods_list_in_namespace", {"namespace": "default"}),
            ("events_list", {"namespace": "default"}),
            ("pods_top", {"namespace": "default", "all_namespaces": False}),
            (
                "resources_scale",
                {
                    "apiVersion": "apps/v1",
                    "kind": "Deployment",
                    "namespace": "default",
                    "name": "web",
                    "scale": 2,
                },
            ),
        ):
            answer = await session.call_tool(name, arguments)
            results[name] = (answer.is_error, "".join(getattr(c, "text", "") for c in answer.content))
    return results


def test_kubernetes_mcp_server_reads_and_scales_the_served_cluster(tmp_path: Path) -> None:
    with served() as s:
        results = anyio.run(_call_tools, s.kubeconfig, tmp_path / "mcp.log")
        assert {"pods_list_in_namespace", "events_list", "resources_scale"} <= set(results["tools"])
        failed, pods = results["pods_list_in_namespace"]
        assert not failed and "READY" in pods and pods.count("Pending") == 3
        failed, events = results["events_list"]
        assert not failed and "FailedScheduling" in events
        assert not results["pods_top"][0]
        failed, scaled = results["resources_scale"]
        assert not failed and "kind: Scale" in scaled
        assert s.session.get("deployments", "default", "web")["spec"]["replicas"] == 2
