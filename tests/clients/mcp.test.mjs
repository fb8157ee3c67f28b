// REQ-MCP-001..003 with the official TypeScript SDK v1 (2025-11-25) over
// Streamable HTTP at /mcp.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from "@modelcontextprotocol/sdk/types.js";
import { startEngine, testScript, eventually } from "./engine.mjs";

let engine;
let client;
before(async () => {
  engine = await startEngine();
  await engine.deploy("mcp.js", testScript("mcp_tools.js"));
  client = await connect();
});
after(async () => {
  await client?.close();
  await engine.stop();
});

async function connect() {
  const c = new Client({ name: "aiwebengine-test", version: "1.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(`${engine.url}/mcp`), {
    requestInit: { headers: { authorization: `Bearer ${engine.token}` } },
  });
  await c.connect(transport);
  return c;
}

const text = (r) => r.content.filter((c) => c.type === "text").map((c) => c.text).join("");

test("test_req_mcp_001_negotiates_2025_11_25_and_lists_tools", async () => {
  assert.equal(client.getServerVersion().name, "aiwebengine");
  assert.ok(client.getServerCapabilities().tools);
  const { tools } = await client.listTools();
  const add = tools.find((t) => t.name === "add");
  assert.ok(add, JSON.stringify(tools.map((t) => t.name)));
  assert.equal(add.title, "Add");
  assert.equal(add.annotations.readOnlyHint, true);
  assert.deepEqual(add.inputSchema.required, ["a", "b"]);
  assert.ok(tools.find((t) => t.name === "stats").outputSchema);
});

test("test_req_mcp_003_tool_call_valid_and_invalid_arguments", async () => {
  const ok = await client.callTool({ name: "add", arguments: { a: 2, b: 3 } });
  assert.equal(ok.isError, false);
  assert.equal(text(ok), "5");
  const bad = await client.callTool({ name: "add", arguments: { a: 2, b: "x" } });
  assert.equal(bad.isError, true);
  assert.match(text(bad), /at \/b: /, text(bad));
  const missing = await client.callTool({ name: "add", arguments: { a: 2 } });
  assert.equal(missing.isError, true);
  assert.match(text(missing), /"b" is a required property/, text(missing));
});

test("test_req_mcp_003_structured_output_and_its_schema", async () => {
  const r = await client.callTool({ name: "stats", arguments: { n: 3 } });
  assert.equal(r.isError, false);
  assert.deepEqual(r.structuredContent, { n: 3, square: 9 });
  assert.deepEqual(JSON.parse(text(r)), { n: 3, square: 9 });
  const bad = await client.callTool({ name: "bad_output", arguments: {} }).catch((e) => e);
  // The SDK itself checks structuredContent against outputSchema; either
  // the server's isError or the client's refusal shows the mismatch.
  if (bad instanceof Error) assert.match(bad.message, /structured content|outputSchema/i);
  else {
    assert.equal(bad.isError, true);
    assert.match(text(bad), /does not match its outputSchema/);
  }
});

test("test_req_mcp_003_thrown_error_is_an_error_result", async () => {
  const r = await client.callTool({ name: "fail", arguments: {} });
  assert.equal(r.isError, true);
  assert.match(text(r), /the tool failed on purpose/);
});

test("test_req_mcp_003_content_passes_through", async () => {
  const r = await client.callTool({ name: "image", arguments: {} });
  assert.equal(r.content[1].type, "image");
  assert.equal(r.content[1].mimeType, "image/png");
});

test("test_req_mcp_003_ctx_auth_is_the_caller", async () => {
  const r = await client.callTool({ name: "whoami", arguments: {} });
  assert.equal(text(r), "user admin@example.com");
});

test("test_req_mcp_003_progress_notifications", async () => {
  const seen = [];
  const r = await client.callTool({ name: "count", arguments: { to: 3 } }, undefined, {
    onprogress: (p) => seen.push(p),
  });
  assert.equal(text(r), "counted to 3");
  assert.deepEqual(seen.map((p) => [p.progress, p.total, p.message]),
    [[1, 3, "step 1"], [2, 3, "step 2"], [3, 3, "step 3"]]);
});

test("test_req_mcp_003_cancellation_reaches_the_handler", async () => {
  const ac = new AbortController();
  const call = client.callTool({ name: "slow", arguments: { id: "c1" } }, undefined, { signal: ac.signal });
  setTimeout(() => ac.abort("enough"), 200);
  await assert.rejects(call);
  await eventually("the handler to see ctx.signal.aborted", async () => {
    const r = await fetch(`${engine.url}/mcp-test/cancelled?id=c1`);
    return (await r.text()) === "true";
  });
});

test("test_req_mcp_003_cancellation_fires_abort_listeners_of_a_waiting_handler", async () => {
  const ac = new AbortController();
  const call = client.callTool({ name: "wait_abort", arguments: { id: "l1" } }, undefined, { signal: ac.signal });
  setTimeout(() => ac.abort("enough"), 200);
  await assert.rejects(call);
  let got;
  await eventually("the abort listeners to run", async () => {
    const r = await fetch(`${engine.url}/mcp-test/cancelled?id=l1`);
    got = await r.json();
    return got !== null;
  });
  assert.deepEqual(got, { event: 2, aborted: true, reason: "the MCP client cancelled this call" });
});

test("test_req_mcp_003_ctx_log_honours_logging_set_level", async () => {
  const seen = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => seen.push(n.params));
  assert.ok(client.getServerCapabilities().logging, "the server offers logging");
  // No level set yet: info and above.
  await client.callTool({ name: "chatty", arguments: {} });
  await eventually("log messages", () => seen.length >= 3);
  assert.deepEqual(seen.map((m) => m.level), ["info", "warning", "error"]);
  assert.deepEqual(seen[0].data, { step: 1 });
  assert.equal(seen[0].logger, "chatty");
  seen.length = 0;
  await client.setLoggingLevel("warning");
  await client.callTool({ name: "chatty", arguments: {} });
  await eventually("log messages", () => seen.length >= 2);
  assert.deepEqual(seen.map((m) => [m.level, m.data]), [["warning", "careful"], ["error", "it broke"]]);
  const bad = await client.callTool({ name: "chatty", arguments: { bad: true } });
  assert.equal(bad.isError, true);
  assert.match(bad.content[0].text, /unknown level "loud"/);
  await client.setLoggingLevel("debug");
});

test("test_req_mcp_002_list_changed_after_a_save_and_conflicts_refused", async () => {
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => { changed++; });
  await engine.deploy("more.js", "registerMCPTool('echo', 'Echoes', {type: 'object'}, (a) => JSON.stringify(a));");
  await eventually("notifications/tools/list_changed", () => changed > 0);
  const { tools } = await client.listTools();
  assert.ok(tools.find((t) => t.name === "echo"));
  const r = await engine.api("PUT", "/engine/api/scripts/clash.js",
    "registerMCPTool('add', 'Another add', {type: 'object'}, () => 'x');");
  assert.equal(r.status, 409);
  const body = await r.json();
  assert.equal(body.error.code, "mcp_conflict");
  assert.match(body.error.message, /mcp\.js/);
});

test("test_req_mcp_001_unauthenticated_and_foreign_origin_refused", async () => {
  const init = {
    jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "x", version: "1" } },
  };
  const headers = { "content-type": "application/json", accept: "application/json, text/event-stream" };
  const anon = await fetch(`${engine.url}/mcp`, { method: "POST", headers, body: JSON.stringify(init) });
  assert.equal(anon.status, 401);
  assert.match(anon.headers.get("www-authenticate"), /^Bearer/);
  const foreign = await fetch(`${engine.url}/mcp`, {
    method: "POST",
    headers: { ...headers, authorization: `Bearer ${engine.token}`, origin: "https://evil.example" },
    body: JSON.stringify(init),
  });
  assert.equal(foreign.status, 403);
});

test("test_req_mcp_004_resources_templates_read_and_subscribe", async () => {
  const { resources } = await client.listResources();
  assert.deepEqual(resources.map((r) => r.uri).sort(), ["memo://index", "pixel://one"]);
  const { resourceTemplates } = await client.listResourceTemplates();
  assert.equal(resourceTemplates[0].uriTemplate, "memo://{id}");
  const index = await client.readResource({ uri: "memo://index" });
  assert.deepEqual(JSON.parse(index.contents[0].text), ["1", "2"]);
  assert.equal(index.contents[0].mimeType, "application/json");
  const note = await client.readResource({ uri: "memo://42" });
  assert.equal(note.contents[0].text, "memo 42");
  assert.equal(note.contents[0].uri, "memo://42");
  const blob = await client.readResource({ uri: "pixel://one" });
  assert.equal(blob.contents[0].blob, "iVBORw0KGgo=");
  await assert.rejects(client.readResource({ uri: "none://x" }), /no resource none:\/\/x/);
  const seen = [];
  const { ResourceUpdatedNotificationSchema } = await import("@modelcontextprotocol/sdk/types.js");
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => seen.push(n.params.uri));
  await client.subscribeResource({ uri: "memo://7" });
  await client.callTool({ name: "touch", arguments: { id: "8" } });
  await client.callTool({ name: "touch", arguments: { id: "7" } });
  await eventually("notifications/resources/updated", () => seen.length > 0);
  assert.deepEqual(seen, ["memo://7"]);
});

test("test_req_mcp_005_prompts_arguments_and_completion", async () => {
  const { prompts } = await client.listPrompts();
  const p = prompts.find((x) => x.name === "summarize");
  assert.equal(p.arguments[0].required, true);
  const got = await client.getPrompt({ name: "summarize", arguments: { id: "3", style: "long" } });
  assert.equal(got.messages[0].role, "user");
  assert.equal(got.messages[0].content.text, "Summarize note 3 in a long style.");
  await assert.rejects(client.getPrompt({ name: "summarize", arguments: {} }), /needs the argument "id"/);
  const c = await client.complete({ ref: { type: "ref/prompt", name: "summarize" }, argument: { name: "style", value: "l" } });
  assert.deepEqual(c.completion.values, ["long"]);
  const t = await client.complete({ ref: { type: "ref/resource", uri: "memo://{id}" }, argument: { name: "id", value: "1" } });
  assert.deepEqual(t.completion.values, ["1", "10"]);
});

test("test_req_mcp_002_seed_example_notes_server", async () => {
  const r = await engine.api("PATCH", "/engine/api/scripts/example-mcp-notes.js", JSON.stringify({ enabled: true }));
  assert.equal(r.status, 200, await r.text());
  const added = await client.callTool({ name: "example_add_note", arguments: { title: "Milk", body: "Buy oat milk" } });
  assert.equal(added.isError, false, JSON.stringify(added));
  const { id } = added.structuredContent;
  const list = await client.callTool({ name: "example_list_notes", arguments: {} });
  assert.deepEqual(list.structuredContent.notes, [{ id, title: "Milk" }]);
  const note = await client.readResource({ uri: `note://${id}` });
  assert.equal(note.contents[0].text, "# Milk\n\nBuy oat milk");
  assert.equal(note.contents[0].mimeType, "text/markdown");
  const c = await client.complete({ ref: { type: "ref/resource", uri: "note://{id}" }, argument: { name: "id", value: id.slice(0, 3) } });
  assert.deepEqual(c.completion.values, [id]);
  const p = await client.getPrompt({ name: "example_summarize_note", arguments: { id, length: "detailed" } });
  assert.match(p.messages[0].content.text, /detailed way:\n\nBuy oat milk/);
});
