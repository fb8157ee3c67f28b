// The Logs page follows the script logs live over SSE (issue 4 §4): a new
// entry shows up without a reload, and the level filter applies to it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, get, shot } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  const t = await apiLogin(server.url);
  const r = await call(server.url, t, 'PUT', '/engine/api/scripts/orders.js',
    'register("/say", (req) => { console[req.query.l || "log"](req.query.m); return "ok"; });\n');
  assert.equal(r.status, 201, r.text);
  await get(server.url, '/say?l=info&m=order%2041%20shipped');
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const width of [1280, 375]) {
  test(`at ${width}px a new entry appears live, filtered by level`, async () => {
    const p = await openPage(browser, server.url, { width, height: width > 400 ? 800 : 760 });
    await logIn(p);
    await p.goto(`${server.url}/engine/admin/logs`);
    await p.getByRole('heading', { name: 'Logs', exact: true }).waitFor();
    await p.locator('.live-state[data-state="live"]').waitFor();
    await p.locator('pre.log-message', { hasText: 'order 41 shipped' }).waitFor();

    const msg = `order ${width} paid`;
    await get(server.url, `/say?l=warn&m=${encodeURIComponent(msg)}`);
    await p.locator('pre.log-message', { hasText: msg }).waitFor();
    await shot(p, `logs-live-${width}`);

    // "error and above": the warning goes, and a new error comes in live.
    await p.getByLabel('Level').selectOption('error');
    await p.locator('.live-state[data-state="live"]').waitFor();
    await p.locator('pre.log-message', { hasText: msg }).waitFor({ state: 'detached' });
    await get(server.url, `/say?l=warn&m=${encodeURIComponent(`ignored ${width}`)}`);
    await get(server.url, `/say?l=error&m=${encodeURIComponent(`card ${width} declined`)}`);
    await p.locator('pre.log-message', { hasText: `card ${width} declined` }).waitFor();
    assert.equal(await p.locator('pre.log-message', { hasText: `ignored ${width}` }).count(), 0);
    assert.deepEqual(p.problems(), []);
    await p.context().close();
  });
}
