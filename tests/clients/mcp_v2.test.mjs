// REQ-MCP-001..005 with the TypeScript v2 client (@modelcontextprotocol/client),
// pinned to 2026-07-28 (stateless, no initialize): over /mcp, and over
// stdio with `aiwebengine mcp --data` and `--url`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import { StdioClientTransport } from "@modelcontextprotocol/client/stdio";
import { startEngine, testScript, BIN, eventually } from "./engine.mjs";

const PIN = { versionNegotiation: { mode: { pin: "2026-07-28" } } };
let engine;
before(async () => {
  engine = await startEngine();
  await engine.deploy("mcp.js", testScript("mcp_tools.js"));
});
after(() => engine.stop());

const text = (r) => r.content.filter((c) => c.type === "text").map((c) => c.text).join("");

async function exercise(client) {
  assert.equal(client.getNegotiatedProtocolVersion(), "2026-07-28");
  const { tools } = await client.listTools();
  assert.ok(tools.find((t) => t.name === "add"));
  assert.equal(text(await client.callTool({ name: "add", arguments: { a: 4, b: 5 } })), "9");
  const bad = await client.callTool({ name: "add", arguments: { a: 4, b: "x" } });
  assert.equal(bad.isError, true);
  assert.match(text(bad), /at \/b/);
  const stats = await client.callTool({ name: "stats", arguments: { n: 5 } });
  assert.deepEqual(stats.structuredContent, { n: 5, square: 25 });
  const failed = await client.callTool({ name: "fail", arguments: {} });
  assert.equal(failed.isError, true);
  const seen = [];
  const counted = await client.callTool({ name: "count", arguments: { to: 2 } }, { onprogress: (p) => seen.push(p.progress) });
  assert.equal(text(counted), "counted to 2");
  assert.deepEqual(seen, [1, 2]);
  const memo = await client.readResource({ uri: "memo://3" });
  assert.equal(memo.contents[0].text, "memo 3");
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.equal(resourceTemplates[0].uriTemplate, "memo://{id}");
  const p = await client.getPrompt({ name: "summarize", arguments: { id: "4" } });
  assert.match(p.messages[0].content.text, /Summarize note 4/);
  const c = await client.complete({ ref: { type: "ref/prompt", name: "summarize" }, argument: { name: "style", value: "s" } });
  assert.deepEqual(c.completion.values, ["short"]);
}

test("test_req_mcp_001_ts_v2_client_2026_07_28_over_http", async () => {
  const client = new Client({ name: "v2-http", version: "1.0.0" }, PIN);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  }));
  try {
    await exercise(client);
  } finally {
    await client.close();
  }
});

test("test_req_mcp_001_ts_v2_client_over_stdio_url_bridge", async () => {
  const client = new Client({ name: "v2-bridge", version: "1.0.0" }, PIN);
  await client.connect(new StdioClientTransport({
    command: BIN, args: ["mcp", "--url", `${engine.url}/mcp`, "--token", engine.token], stderr: "ignore",
  }));
  try {
    await exercise(client);
  } finally {
    await client.close();
  }
});

test("test_req_mcp_001_ts_v2_client_over_stdio_data_file", async () => {
  const own = await startEngine();
  try {
    await own.deploy("mcp.js", testScript("mcp_tools.js"));
    await own.stop(true);
    const client = new Client({ name: "v2-data", version: "1.0.0" }, PIN);
    await client.connect(new StdioClientTransport({ command: BIN, args: ["mcp", "--data", own.data], stderr: "ignore" }));
    try {
      await exercise(client);
    } finally {
      await client.close();
    }
  } finally {
    own.remove();
  }
});

test("test_req_mcp_003_ts_v2_client_cancellation_reaches_the_handler", async () => {
  const client = new Client({ name: "v2-cancel", version: "1.0.0" }, PIN);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  }));
  try {
    const ac = new AbortController();
    const call = client.callTool({ name: "wait_abort", arguments: { id: "v2" } }, { signal: ac.signal });
    setTimeout(() => ac.abort("enough"), 200);
    await assert.rejects(call);
    let got = null;
    for (let i = 0; i < 100 && got === null; i++) {
      await new Promise((r) => setTimeout(r, 50));
      got = await (await fetch(`${engine.url}/mcp-test/cancelled?id=v2`)).json();
    }
    assert.deepEqual(got, { event: 2, aborted: true, reason: "the MCP client cancelled this call" });
  } finally {
    await client.close();
  }
});

test("test_req_mcp_004_ts_v2_client_subscriptions_listen_gets_list_changes_and_updates", async () => {
  const client = new Client({ name: "v2-listen", version: "1.0.0" }, PIN);
  await client.connect(new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  }));
  try {
    const seen = [];
    client.setNotificationHandler("notifications/tools/list_changed", () => seen.push("tools"));
    client.setNotificationHandler("notifications/resources/updated", (n) => seen.push(`updated ${n.params.uri}`));
    const sub = await client.listen({ toolsListChanged: true, resourceSubscriptions: ["memo://11"] });
    assert.equal(sub.honoredFilter.toolsListChanged, true, JSON.stringify(sub.honoredFilter));
    assert.deepEqual(sub.honoredFilter.resourceSubscriptions, ["memo://11"]);
    // A save that adds a tool: tools/list_changed on the stream.
    await engine.deploy("listen_extra.js", "registerMCPTool('listen_extra', 'x', {type: 'object'}, () => 'x');\n");
    await eventually("tools/list_changed", () => seen.includes("tools"));
    // Updates of the subscribed URI only.
    await client.callTool({ name: "touch", arguments: { id: "12" } });
    await client.callTool({ name: "touch", arguments: { id: "11" } });
    await eventually("resources/updated", () => seen.some((s) => s.startsWith("updated")));
    assert.deepEqual(seen.filter((s) => s.startsWith("updated")), ["updated memo://11"]);
    await sub.close();
    assert.equal(await sub.closed, "local");
  } finally {
    await client.close();
  }
});

test("test_req_mcp_001_get_and_delete_answer_405_for_2026_07_28", async () => {
  for (const method of ["GET", "DELETE"]) {
    const r = await fetch(`${engine.url}/mcp`, {
      method,
      headers: { authorization: `Bearer ${engine.token}`, accept: "text/event-stream", "mcp-protocol-version": "2026-07-28" },
    });
    assert.equal(r.status, 405, method);
  }
});
