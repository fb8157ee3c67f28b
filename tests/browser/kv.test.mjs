// The script page's Data tab browses what the script stored with kv
// (issue 6 §1), read-only, with a prefix filter and long values cut.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, get, shot } from './lib.mjs';

const SCRIPT = `register("/remember", async (req) => {
  await kv.set(["users", req.query.id], { name: req.query.name, visits: 3, tags: ["new", "newsletter"] });
  await kv.set(["notes", "long"], { text: "lorem ipsum ".repeat(60) });
  return "ok";
});
`;

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  const t = await apiLogin(server.url);
  const r = await call(server.url, t, 'PUT', '/engine/api/scripts/members.js', SCRIPT);
  assert.equal(r.status, 201, r.text);
  assert.equal((await get(server.url, '/remember?id=alice&name=Alice')).status, 200);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const width of [1280, 375]) {
  test(`at ${width}px the Data tab shows the keys a script stored`, async () => {
    const p = await openPage(browser, server.url, { width, height: width > 400 ? 800 : 900 });
    await logIn(p);
    await p.goto(`${server.url}/engine/admin/scripts/members.js`);
    await p.getByRole('tab', { name: 'Data' }).click();
    const panel = p.getByRole('tabpanel');
    await panel.getByText('["users", "alice"]').waitFor();
    await panel.locator('pre.kv-value', { hasText: '"name": "Alice"' }).waitFor();
    // The long value is cut, and "Show all" opens it.
    const more = panel.getByRole('button', { name: /Show all/ });
    await more.click();
    await panel.getByRole('button', { name: 'Show less' }).waitFor();
    await panel.getByRole('button', { name: 'Show less' }).click();
    await shot(p, `script-data-${width}`);

    await panel.getByLabel('Key prefix').fill('users');
    await panel.getByRole('button', { name: 'Show', exact: true }).click();
    await panel.getByText('["notes", "long"]').waitFor({ state: 'detached' });
    await panel.getByText('["users", "alice"]').waitFor();
    await panel.getByLabel('Key prefix').fill('["nothing"]');
    await panel.getByRole('button', { name: 'Show', exact: true }).click();
    await panel.getByText('No keys start with this prefix.').waitFor();
    assert.deepEqual(p.problems(), []);
    await p.context().close();
  });
}
