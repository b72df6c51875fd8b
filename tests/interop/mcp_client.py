"""The official MCP Python SDK as hookpit's MCP client (tests/mcp.rs).

    python3 mcp_client.py stdio HOOKPIT_BINARY [ARG...]  < calls.json
    python3 mcp_client.py http URL [HEADER:VALUE...]     < calls.json

calls.json is a list of [tool, arguments]. It connects over the transport, lists the tools,
makes the calls in order, and prints one JSON object: {"tools": [{name, description,
inputSchema}], "results": [{isError, text, structured}]}. A failure to connect or to call
prints {"error": "...", "http_statuses": [...]} and exits 1.
"""

import json
import sys

import anyio
from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def session_run(read, write, calls):
    async with ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        tools = [
            {"name": t.name, "description": t.description, "inputSchema": t.input_schema}
            for t in listed.tools
        ]
        results = []
        for name, arguments in calls:
            r = await session.call_tool(name, arguments)
            text = "\n".join(c.text for c in r.content if getattr(c, "type", "") == "text")
            results.append(
                {"isError": bool(r.is_error), "text": text, "structured": r.structured_content}
            )
        return {"tools": tools, "results": results}


async def main():
    mode, target, *rest = sys.argv[1:]
    calls = json.load(sys.stdin)
    if mode == "stdio":
        params = StdioServerParameters(command=target, args=rest)
        async with stdio_client(params) as (read, write):
            return await session_run(read, write, calls)
    headers = dict(h.split(":", 1) for h in rest)
    async with create_mcp_http_client(headers=headers) as client:
        client.event_hooks["response"].append(record_status)
        async with streamable_http_client(target, http_client=client) as (read, write):
            return await session_run(read, write, calls)


# The HTTP statuses the server answered, in order: the SDK's error names no status.
STATUSES = []


async def record_status(response):
    STATUSES.append(response.status_code)


def describe(error):
    # anyio wraps failures of the transport's tasks in exception groups.
    inner = getattr(error, "exceptions", None)
    if inner:
        return "; ".join(describe(e) for e in inner)
    return f"{type(error).__name__}: {error}"


if __name__ == "__main__":
    try:
        print(json.dumps(anyio.run(main)))
    except BaseException as error:  # noqa: BLE001 — the test reads the reason
        print(json.dumps({"error": describe(error), "http_statuses": STATUSES}))
        sys.exit(1)
