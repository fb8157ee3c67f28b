// REQ-MCP-001, the connected-sessions list (GET /engine/api/mcp/sessions)
// with the TypeScript SDK v1 (2025-11-25): every kind of request counts as
// activity, not only tool calls; a session ended with DELETE leaves the list.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startEngine, testScript, eventually } from "./engine.mjs";

let engine;
before(async () => {
  engine = await startEngine();
  await engine.deploy("mcp.js", testScript("mcp_tools.js"));
});
after(() => engine.stop());

async function mine(name) {
  const r = await engine.api("GET", "/engine/api/mcp/sessions");
  assert.equal(r.status, 200);
  return (await r.json()).sessions.find((s) => s.client_name === name);
}

test("test_req_mcp_001_sessions_count_resource_prompt_and_list_requests", async () => {
  const client = new Client({ name: "sessions-probe", version: "2.3.4" });
  const transport = new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  });
  await client.connect(transport);
  try {
    const first = await eventually("the session to be listed", () => mine("sessions-probe"));
    assert.equal(first.client_version, "2.3.4");
    assert.equal(first.protocol_version, "2025-11-25");
    assert.equal(first.user, "admin@example.com");
    await client.listResources();
    await client.listResourceTemplates();
    await client.readResource({ uri: "memo://1" });
    await client.listPrompts();
    await client.getPrompt({ name: "summarize", arguments: { id: "1" } });
    await client.complete({ ref: { type: "ref/prompt", name: "summarize" }, argument: { name: "style", value: "s" } });
    const now = await mine("sessions-probe");
    assert.equal(now.requests - first.requests, 6, JSON.stringify({ first, now }));
    assert.ok(now.last_active_at >= first.last_active_at);
    await transport.terminateSession();
  } finally {
    await client.close();
  }
  await eventually("the ended session to leave the list", async () => (await mine("sessions-probe")) === undefined);
});
