// REQ-MCP-003 cancellation edge cases with the TypeScript SDK v1
// (2025-11-25): a call cancelled while it still waits for a JS worker never
// runs; abort listeners fire over stdio (`aiwebengine mcp --data` and the
// `--url` bridge) as over HTTP.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startEngine, testScript, eventually, BIN } from "./engine.mjs";

let engine;
before(async () => {
  // One JS pool thread, so a busy handler makes the next call wait in the queue.
  engine = await startEngine({ config: "[js]\nworkers = 1\n" });
  await engine.deploy("mcp.js", testScript("mcp_tools.js"));
});
after(() => engine?.stop());

const text = (r) => r.content.filter((c) => c.type === "text").map((c) => c.text).join("");

test("test_req_mcp_003_cancelled_while_queued_never_runs", async () => {
  const client = new Client({ name: "cancel-queued", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  }));
  try {
    const busy = client.callTool({ name: "busy", arguments: { ms: 800 } });
    await new Promise((r) => setTimeout(r, 150));
    const ac = new AbortController();
    const queued = client.callTool({ name: "slow", arguments: { id: "q1" } }, undefined, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 150));
    ac.abort("enough");
    await assert.rejects(queued);
    assert.equal(text(await busy), "done");
    // The worker skips it: the next call is served at once, and the slow
    // tool (which would record ctx.signal.aborted when it ends) never ran.
    const started = Date.now();
    assert.equal(text(await client.callTool({ name: "add", arguments: { a: 1, b: 2 } })), "3");
    assert.ok(Date.now() - started < 500, "the next call waited for the cancelled one");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await (await fetch(`${engine.url}/mcp-test/cancelled?id=q1`)).json(), null);
  } finally {
    await client.close();
  }
});

async function abortOverStdio(args, id) {
  const client = new Client({ name: "cancel-stdio", version: "1.0.0" });
  await client.connect(new StdioClientTransport({ command: BIN, args, stderr: "ignore" }));
  try {
    const ac = new AbortController();
    const call = client.callTool({ name: "wait_abort", arguments: { id } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort("enough"), 300);
    await assert.rejects(call);
    let seen = null;
    await eventually("the abort listener to record the cancellation", async () => {
      seen = JSON.parse(text(await client.callTool({ name: "cancel_record", arguments: { id } })));
      return seen !== null;
    });
    assert.deepEqual(seen, { event: 2, aborted: true, reason: "the MCP client cancelled this call" });
  } finally {
    await client.close();
  }
}

test("test_req_mcp_003_abort_listeners_fire_over_the_stdio_url_bridge", async () => {
  await abortOverStdio(["mcp", "--url", `${engine.url}/mcp`, "--token", engine.token], "b1");
});

test("test_req_mcp_003_abort_listeners_fire_over_stdio_data", async () => {
  const own = await startEngine();
  try {
    await own.deploy("mcp.js", testScript("mcp_tools.js"));
    await own.stop(true);
    await abortOverStdio(["mcp", "--data", own.data], "d1");
  } finally {
    own.remove();
  }
});
