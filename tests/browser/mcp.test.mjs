// The admin UI's MCP page (issue 12, "Admin UI"): it talks MCP to the
// engine's own /mcp as the logged-in admin and lists the admin tools with
// their schemas; calling one from the form shows its structured answer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, launch, openPage, logIn, shot, apiLogin, call } from './lib.mjs';

let server;
let browser;
const confDir = mkdtempSync(join(tmpdir(), 'aiwebengine-mcp-ui-'));
before(async () => {
  const conf = join(confDir, 'mcp.toml');
  writeFileSync(conf, '[mcp]\nadmin_tools = true\n');
  server = await startServer({ args: ['--config', conf] });
  browser = await launch();
  const token = await apiLogin(server.url);
  const put = await call(server.url, token, 'PUT', '/engine/api/scripts/hello.js', "register('/hello', () => 'hello from hello.js');");
  assert.equal(put.status, 201, put.text);
});
after(async () => {
  await browser?.close();
  await server?.stop();
  rmSync(confDir, { recursive: true, force: true });
});

test('the MCP page lists the admin tools and calls one', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'MCP', exact: true }).click();
  await p.getByRole('heading', { name: 'MCP', exact: true }).waitFor();
  await p.getByRole('heading', { name: /^Tools \(\d+\)$/ }).waitFor();
  const row = p.locator('tr[data-tool="put_script"]');
  await row.getByText('destructive').waitFor();
  await row.getByText('Input').click();
  await row.getByText('"source"').first().waitFor();
  await shot(p, 'mcp');
  // Call list_routes from the form.
  await p.getByLabel('Tool', { exact: true }).selectOption('list_routes');
  await p.getByRole('button', { name: 'Call' }).click();
  const result = p.locator('#mcp-result');
  await result.getByText('/hello').waitFor();
  const answer = JSON.parse(await result.textContent());
  // Every script's routes are listed (the seed examples' too); ours is there.
  const routes = answer.routes.map((r) => [r.method, r.path, r.script]);
  assert.ok(routes.some((r) => r.join(' ') === 'GET /hello hello.js'), JSON.stringify(routes));
  await shot(p, 'mcp-called');
  assert.deepEqual(p.problems(), []);
});

test('the MCP page lists connected sessions, and a closed one goes away', async () => {
  const token = await apiLogin(server.url);
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
  const init = await fetch(`${server.url}/mcp`, {
    method: 'POST', headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'session-list-agent', version: '7.1' } } }),
  });
  assert.equal(init.status, 200);
  const sid = init.headers.get('mcp-session-id');
  await init.text();
  const h2 = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
  const ready = await fetch(`${server.url}/mcp`, { method: 'POST', headers: h2, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
  assert.equal(ready.status, 202);

  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'MCP', exact: true }).click();
  await p.getByRole('heading', { name: 'Connected sessions' }).waitFor();
  const row = p.locator(`#mcp-sessions tr[data-session="${sid}"]`);
  await row.getByText('session-list-agent 7.1').waitFor();
  await row.getByText('2025-06-18').waitFor();
  await row.getByText('admin@example.com').waitFor();
  await shot(p, 'mcp-sessions');

  // The agent ends its session: after a refresh it is gone.
  const del = await fetch(`${server.url}/mcp`, { method: 'DELETE', headers: h2 });
  assert.ok(del.status < 300, `DELETE: ${del.status}`);
  for (let i = 0; i < 40; i++) {
    await p.getByRole('button', { name: 'Refresh' }).click();
    await p.waitForTimeout(250);
    if ((await row.count()) === 0) break;
  }
  assert.equal(await row.count(), 0, 'the closed session is still listed');
  assert.deepEqual(p.problems(), []);
});
