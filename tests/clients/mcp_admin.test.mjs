// REQ-MCP-003, the admin tools (mcp.admin_tools = true) with the TypeScript
// SDK v1 over /mcp: an agent saves a script with a syntax error, reads the
// error and the kept draft, fixes it with edit_script, and calls the route.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startEngine } from "./engine.mjs";

let engine;
before(async () => {
  engine = await startEngine({ config: "[mcp]\nadmin_tools = true\n" });
});
after(() => engine?.stop());

const BROKEN = "register('/ts-agent', (req) => {\n  return 'hi ' + (req.query.name ?? 'there';\n});\n";

test("test_req_mcp_003_ts_sdk_agent_fixes_a_script_with_the_admin_tools", async () => {
  const client = new Client({ name: "ts-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  }));
  try {
    const { tools } = await client.listTools();
    for (const t of ["put_script", "edit_script", "check_script", "call_route", "get_logs"]) {
      assert.ok(tools.find((x) => x.name === t), t);
    }
    const put = (await client.callTool({ name: "put_script", arguments: { name: "ts-agent.js", source: BROKEN } })).structuredContent;
    assert.equal(put.ok, false);
    assert.equal(put.saved, false);
    assert.equal(put.line, 2);
    const checked = (await client.callTool({ name: "check_script", arguments: { name: "ts-agent.js" } })).structuredContent;
    assert.equal(checked.ok, false, JSON.stringify(checked));
    const fixed = (await client.callTool({
      name: "edit_script", arguments: { name: "ts-agent.js", oldText: "?? 'there';", newText: "?? 'there');" },
    })).structuredContent;
    assert.equal(fixed.ok, true, JSON.stringify(fixed));
    assert.equal(fixed.edited, "draft");
    const called = (await client.callTool({ name: "call_route", arguments: { path: "/ts-agent?name=sdk" } })).structuredContent;
    assert.equal(called.status, 200);
    assert.equal(called.body, "hi sdk");
    const logs = (await client.callTool({ name: "get_logs", arguments: { script: "ts-agent.js", requestId: called.requestId } })).structuredContent;
    assert.ok(Array.isArray(logs.entries), JSON.stringify(logs));
  } finally {
    await client.close();
  }
});
