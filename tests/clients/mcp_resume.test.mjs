// REQ-MCP-001, resumable streams (2025-11-25): a POST's SSE answer carries
// event ids; a client that loses the stream mid-call reconnects with GET and
// `Last-Event-ID` and gets exactly the events it missed, up to the result.
// Raw HTTP, as the Streamable HTTP transport spec describes it (the SDKs
// resume on their own and give no hook to drop a stream at a chosen event).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { startEngine, testScript } from "./engine.mjs";

let engine;
before(async () => {
  engine = await startEngine();
  await engine.deploy("mcp.js", testScript("mcp_tools.js"));
});
after(() => engine.stop());

/** SSE events ({id, data}) parsed from text. */
function events(text) {
  return text.split("\n\n").filter((b) => b.trim()).map((block) => {
    const ev = {};
    for (const line of block.split("\n")) {
      const m = line.match(/^(\w+): ?(.*)$/);
      if (m) ev[m[1]] = m[2];
    }
    return ev;
  });
}

test("test_req_mcp_001_stream_resumes_with_last_event_id", async () => {
  const base = {
    authorization: `Bearer ${engine.token}`,
    accept: "application/json, text/event-stream",
    "content-type": "application/json",
  };
  const post = (headers, body, signal) =>
    fetch(`${engine.url}/mcp`, { method: "POST", headers, body: JSON.stringify(body), signal });
  const init = await post(base, {
    jsonrpc: "2.0", id: 1, method: "initialize",
    params: { protocolVersion: "2025-11-25", capabilities: {}, clientInfo: { name: "resume", version: "1" } },
  });
  assert.equal(init.status, 200);
  const sid = init.headers.get("mcp-session-id");
  assert.ok(sid);
  await init.text();
  const h = { ...base, "mcp-session-id": sid, "mcp-protocol-version": "2025-11-25" };
  assert.equal((await post(h, { jsonrpc: "2.0", method: "notifications/initialized" })).status, 202);

  // A call that reports 30 progress steps; drop its stream after step 2.
  const ac = new AbortController();
  const call = await post(h, {
    jsonrpc: "2.0", id: 2, method: "tools/call",
    params: { name: "count", arguments: { to: 30 }, _meta: { progressToken: "t" } },
  }, ac.signal);
  assert.equal(call.headers.get("content-type"), "text/event-stream");
  const reader = call.body.getReader();
  let text = "";
  let lastId;
  while (!lastId) {
    const { value, done } = await reader.read();
    assert.ok(!done, "the stream ended before step 2");
    text += new TextDecoder().decode(value);
    const two = events(text).find((e) => e.data && JSON.parse(e.data).params?.progress === 2);
    if (two) lastId = two.id;
  }
  ac.abort();
  assert.ok(lastId, "events carry ids");

  // Reconnect with the id of the last event seen.
  const resumed = await fetch(`${engine.url}/mcp`, {
    headers: { ...h, accept: "text/event-stream", "last-event-id": lastId },
  });
  assert.equal(resumed.status, 200);
  const got = events(await resumed.text()).filter((e) => e.data);
  const messages = got.map((e) => JSON.parse(e.data));
  const steps = messages.filter((m) => m.method === "notifications/progress").map((m) => m.params.progress);
  assert.deepEqual(steps, Array.from({ length: 28 }, (_, i) => i + 3), "exactly the missed steps, in order");
  const result = messages.find((m) => m.id === 2);
  assert.ok(result, "the result arrives on the resumed stream");
  assert.equal(result.result.content[0].text, "counted to 30");
});
