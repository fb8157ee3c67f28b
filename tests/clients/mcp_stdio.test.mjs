// REQ-MCP-001 over stdio: `aiwebengine mcp --data FILE` driven by the
// official TypeScript SDK v1's StdioClientTransport.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { startEngine, testScript, BIN } from "./engine.mjs";

test("test_req_mcp_001_stdio_data_file_serves_the_scripts", async () => {
  const engine = await startEngine();
  try {
    await engine.deploy("mcp.js", testScript("mcp_tools.js"));
    const held = spawnSync(BIN, ["mcp", "--data", engine.data], { input: "", encoding: "utf8", timeout: 20000 });
    assert.equal(held.status, 1, held.stderr);
    assert.match(held.stderr, /in use by another process/);
    await engine.stop(true);
    const client = new Client({ name: "stdio-test", version: "1.0.0" });
    await client.connect(new StdioClientTransport({ command: BIN, args: ["mcp", "--data", engine.data], stderr: "ignore" }));
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.find((t) => t.name === "add"));
      const r = await client.callTool({ name: "add", arguments: { a: 20, b: 22 } });
      assert.equal(r.content[0].text, "42");
      const bad = await client.callTool({ name: "add", arguments: { a: 1 } });
      assert.equal(bad.isError, true);
      const note = await client.readResource({ uri: "memo://5" });
      assert.equal(note.contents[0].text, "memo 5");
      const p = await client.getPrompt({ name: "summarize", arguments: { id: "1" } });
      assert.match(p.messages[0].content.text, /Summarize note 1/);
      const who = await client.callTool({ name: "whoami", arguments: {} });
      assert.equal(who.content[0].text, "anonymous");
    } finally {
      await client.close();
    }
  } finally {
    engine.remove();
  }
});

test("test_req_mcp_001_stdio_url_bridges_to_a_running_server", async () => {
  const engine = await startEngine();
  try {
    await engine.deploy("mcp.js", testScript("mcp_tools.js"));
    const client = new Client({ name: "bridge-test", version: "1.0.0" });
    await client.connect(new StdioClientTransport({
      command: BIN, args: ["mcp", "--url", `${engine.url}/mcp`, "--token", engine.token], stderr: "ignore",
    }));
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.find((t) => t.name === "add"));
      const r = await client.callTool({ name: "add", arguments: { a: 1, b: 2 } });
      assert.equal(r.content[0].text, "3");
      const seen = [];
      const counted = await client.callTool({ name: "count", arguments: { to: 2 } }, undefined, {
        onprogress: (p) => seen.push(p.progress),
      });
      assert.equal(counted.content[0].text, "counted to 2");
      assert.deepEqual(seen, [1, 2]);
      const who = await client.callTool({ name: "whoami", arguments: {} });
      assert.equal(who.content[0].text, "user admin@example.com");
    } finally {
      await client.close();
    }
  } finally {
    await engine.stop();
  }
});
