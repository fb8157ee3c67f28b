"""REQ-MCP-001/003/004/005 with the official Python SDK (PyPI `mcp` 2.x):
it probes with `server/discover` and speaks 2026-07-28 (stateless) to /mcp,
and also runs the `aiwebengine mcp --data` stdio server.

Run: AIWEBENGINE_BIN=... .venv/bin/python test_mcp_modern.py (exit 0 = pass)."""

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request

import httpx2
from mcp import Client
from mcp.client.stdio import StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

HERE = os.path.dirname(os.path.abspath(__file__))
BIN = os.environ.get("AIWEBENGINE_BIN") or os.path.join(
    os.environ.get("CARGO_TARGET_DIR", os.path.join(HERE, "..", "..", "..", "target")), "debug", "aiwebengine")
EMAIL, PASSWORD = "admin@example.com", "correct horse battery staple"


def script(name):
    with open(os.path.join(HERE, "..", "..", "test_scripts", name)) as f:
        return f.read()


class Engine:
    def __init__(self, config=None):
        self.dir = tempfile.mkdtemp(prefix="aiwe-py-")
        self.data = os.path.join(self.dir, "data.redb")
        subprocess.run([BIN, "admin", "create", EMAIL, "--password", PASSWORD, "--data", self.data],
                       check=True, capture_output=True)
        env = dict(os.environ)
        if config is not None:
            path = os.path.join(self.dir, "aiwebengine.toml")
            with open(path, "w") as f:
                f.write(config)
            env["AIWEBENGINE_CONFIG"] = path
        self.proc = subprocess.Popen([BIN, "serve", "--data", self.data, "--http", "127.0.0.1:0", "--https", "off"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
        for line in self.proc.stdout:
            m = re.search(r"listening on (http://\S+)", line)
            if m:
                self.url = m.group(1)
                break
        else:
            raise RuntimeError("server printed no 'listening on' line")
        body = json.dumps({"email": EMAIL, "password": PASSWORD}).encode()
        req = urllib.request.Request(self.url + "/engine/auth/login", body, {"content-type": "application/json"})
        self.token = json.load(urllib.request.urlopen(req))["token"]

    def deploy(self, name, source):
        req = urllib.request.Request(self.url + "/engine/api/scripts/" + name, source.encode(),
                                     {"authorization": "Bearer " + self.token}, method="PUT")
        urllib.request.urlopen(req).read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(20)


def text(result):
    return "".join(c.text for c in result.content if c.type == "text")


async def exercise(client, label):
    names = {t.name for t in (await client.list_tools()).tools}
    assert {"add", "stats", "count"} <= names, (label, names)
    assert text(await client.call_tool("add", {"a": 2, "b": 3})) == "5", label
    bad = await client.call_tool("add", {"a": 2, "b": "x"})
    assert bad.is_error and "at /b" in text(bad), (label, text(bad))
    stats = await client.call_tool("stats", {"n": 4})
    assert stats.structured_content == {"n": 4, "square": 16}, (label, stats)
    failed = await client.call_tool("fail", {})
    assert failed.is_error and "on purpose" in text(failed), label
    seen = []

    async def on_progress(progress, total, message):
        seen.append((progress, total, message))

    done = await client.call_tool("count", {"to": 2}, progress_callback=on_progress)
    assert text(done) == "counted to 2", label
    assert seen == [(1, 2, "step 1"), (2, 2, "step 2")], (label, seen)
    templates = (await client.list_resource_templates()).resource_templates
    assert templates[0].uri_template == "memo://{id}", label
    memo = await client.read_resource("memo://9")
    assert memo.contents[0].text == "memo 9", label
    prompt = await client.get_prompt("summarize", {"id": "2"})
    assert "Summarize note 2" in prompt.messages[0].content.text, label


async def over_http(engine):
    headers = {"authorization": "Bearer " + engine.token}
    async with httpx2.AsyncClient(headers=headers) as http:
        async with Client(streamable_http_client(engine.url + "/mcp", http_client=http)) as client:
            assert client.protocol_version == "2026-07-28", client.protocol_version
            await exercise(client, "http")


async def over_stdio(data):
    params = StdioServerParameters(command=BIN, args=["mcp", "--data", data])
    async with Client(params) as client:
        await exercise(client, "stdio")


async def over_stdio_url(engine):
    params = StdioServerParameters(
        command=BIN, args=["mcp", "--url", engine.url + "/mcp", "--token", engine.token])
    async with Client(params) as client:
        await exercise(client, "stdio --url")


BROKEN = """register('/agent-hello', (req) => {
  return 'hello ' + (req.query.name ?? 'world';
});
"""


async def admin_agent(engine):
    """An agent develops on the engine through the admin tools: a script with
    a syntax error, the error read back, a fix with edit_script, the route
    called, its log read."""
    headers = {"authorization": "Bearer " + engine.token}
    async with httpx2.AsyncClient(headers=headers) as http:
        async with Client(streamable_http_client(engine.url + "/mcp", http_client=http)) as client:
            names = {t.name for t in (await client.list_tools()).tools}
            assert {"put_script", "edit_script", "call_route", "get_logs"} <= names, names
            put = await client.call_tool("put_script", {"name": "agent.js", "source": BROKEN})
            got = put.structured_content
            assert got["ok"] is False and got["saved"] is False, got
            assert got["line"] == 2 and isinstance(got["column"], int), got
            assert got["error"], got
            shown = (await client.call_tool("get_script", {"name": "agent.js"})).structured_content
            assert shown["draft"]["source"] == BROKEN, shown
            fixed = await client.call_tool(
                "edit_script", {"name": "agent.js", "oldText": "?? 'world';", "newText": "?? 'world');"})
            got = fixed.structured_content
            assert got["ok"] is True and got["edited"] == "draft", got
            assert {"method": "GET", "path": "/agent-hello", "stream": False} in got["routes"], got
            called = (await client.call_tool("call_route", {"path": "/agent-hello?name=agent"})).structured_content
            assert called["status"] == 200 and called["body"] == "hello agent", called
            routes = (await client.call_tool("list_routes", {})).structured_content
            assert any(r["path"] == "/agent-hello" for r in routes["routes"]), routes


def main():
    admin = Engine("[mcp]\nadmin_tools = true\n")
    try:
        asyncio.run(admin_agent(admin))
        print("ok - test_req_mcp_003_python_sdk_agent_fixes_a_script_with_the_admin_tools")
    finally:
        admin.stop()
        shutil.rmtree(admin.dir, ignore_errors=True)

    engine = Engine()
    try:
        engine.deploy("mcp.js", script("mcp_tools.js"))
        asyncio.run(over_http(engine))
        print("ok - test_req_mcp_001_python_sdk_2026_07_28_over_http")
        asyncio.run(over_stdio_url(engine))
        print("ok - test_req_mcp_001_python_sdk_over_stdio_url_bridge")
        engine.stop()
        asyncio.run(over_stdio(engine.data))
        print("ok - test_req_mcp_001_python_sdk_over_stdio")
    finally:
        if engine.proc.poll() is None:
            engine.stop()
        shutil.rmtree(engine.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
