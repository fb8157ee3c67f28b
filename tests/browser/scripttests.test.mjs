// The script page's Tests tab (issue 16, "Script tests"): runs the
// script's *.test.js companion on the server against a throwaway engine
// and shows each test's result and the summary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, shot } from './lib.mjs';

const APP = `register("/greet", (req) => ({ status: 200, body: { hi: req.query.name || "world" } }));
`;
const TESTS = `test("greets by name", async () => {
  const res = await request("GET", "/greet?name=ada");
  expect(res.status).toBe(200);
  expect(res.json()).toEqual({ hi: "ada" });
});

test("fails on purpose", async () => {
  const res = await request("GET", "/greet");
  expect(res.json().hi).toBe("ada");
});
`;

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  const t = await apiLogin(server.url);
  for (const [name, src] of [['greet.js', APP], ['greet.test.js', TESTS]]) {
    const r = await call(server.url, t, 'PUT', `/engine/api/scripts/${name}`, src);
    assert.equal(r.status, 201, r.text);
  }
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the Tests tab runs greet.test.js and shows pass, fail and the summary', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/scripts/greet.js`);
  await p.getByRole('tab', { name: 'Tests' }).click();
  const panel = p.getByRole('tabpanel', { name: 'Tests' });
  await panel.getByText('greet.test.js', { exact: false }).first().waitFor();
  await panel.getByRole('button', { name: 'Run tests' }).click();
  await panel.getByRole('status').getByText('1 passed, 1 failed').waitFor();
  const pass = panel.locator('li.test-pass');
  const fail = panel.locator('li.test-fail');
  assert.equal(await pass.count(), 1);
  assert.equal(await fail.count(), 1);
  assert.match(await pass.innerText(), /ok – greets by name/);
  const failed = await fail.innerText();
  assert.match(failed, /not ok – fails on purpose/);
  assert.match(failed, /"world"/);
  assert.match(failed, /greet\.test\.js:\d+:\d+/);
  await shot(p, 'script-tests');
  assert.deepEqual(p.problems(), []);
  await p.context().close();
});

test('a script without a test file says which file to write', async () => {
  const t = await apiLogin(server.url);
  const r = await call(server.url, t, 'PUT', '/engine/api/scripts/lonely.js', 'register("/lonely", () => "x");');
  assert.equal(r.status, 201, r.text);
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/scripts/lonely.js`);
  await p.getByRole('tab', { name: 'Tests' }).click();
  const panel = p.getByRole('tabpanel', { name: 'Tests' });
  await panel.getByRole('button', { name: 'Run tests' }).click();
  await panel.getByText('save its tests as lonely.test.js').waitFor();
  await p.context().close();
});
