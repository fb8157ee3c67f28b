// The Settings page: the effective configuration with the source of each
// value (GET /engine/api/config), editable where the server says so.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, shot } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test("the Settings page shows the server's effective configuration and sources", async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'Settings' }).click();
  await p.getByRole('heading', { name: 'Settings' }).waitFor();
  const rows = p.locator('table.settings tbody tr');
  await rows.first().waitFor();
  assert.ok(await rows.count() > 5, 'several settings are listed');
  // started with --http: at least one value comes from a flag, most from defaults
  await p.locator('table.settings').getByText('command-line flag').first().waitFor();
  await p.locator('table.settings').getByText('default', { exact: true }).first().waitFor();
  await shot(p, 'settings');
  // a change goes to the data file's settings; the server checks it
  const row = p.locator('tr[data-key="server.request_timeout_ms"]');
  await p.getByRole('button', { name: 'Edit server.request_timeout_ms' }).click();
  await p.getByLabel('New value of server.request_timeout_ms').fill('1.5');
  await row.getByRole('button', { name: 'Save' }).click();
  await row.getByRole('alert').getByText('allowed: a whole number').waitFor();
  await p.getByLabel('New value of server.request_timeout_ms').fill('6000');
  await row.getByRole('button', { name: 'Save' }).click();
  await p.getByText('Saved server.request_timeout_ms. Restart the server for server.request_timeout_ms to take effect.').waitFor();
  await row.getByText('settings (data file)').waitFor();
  await row.getByText('restart needed').waitFor();
  await shot(p, 'settings-saved');
  await p.getByRole('button', { name: 'Reset server.request_timeout_ms' }).click();
  await p.getByText('Reset server.request_timeout_ms.').waitFor();
  await row.getByText('default', { exact: true }).waitFor();
  assert.deepEqual(p.problems(), []);
});

// The page against the API contract, with the answers given here: masked
// secrets as sent, where each value comes from, and an edit refused with
// the server's message, then accepted.
test('Settings: editable values, masked secrets and the server message on 400', async () => {
  const values = [
    { key: 'server.http', value: '127.0.0.1:8080', source: 'flag', secret: false, editable: false },
    { key: 'server.request_timeout_ms', value: 30000, source: 'file:/etc/aiwebengine.toml', secret: false, editable: false },
    { key: 'metrics.token', value: '********', source: 'env:AIWEBENGINE_METRICS_TOKEN', secret: true, editable: false },
    { key: 'js.fetch.allow', value: ['api.example.com'], source: 'settings', secret: false, editable: true },
    { key: 'logging.access_format', value: 'off', source: 'default', secret: false, editable: true },
  ];
  const p = await openPage(browser, server.url, { width: 375, height: 800 });
  const sent = [];
  await p.route('**/engine/api/config', async (route) => {
    const req = route.request();
    if (req.method() === 'GET') return route.fulfill({ json: { values } });
    const body = req.postDataJSON();
    sent.push({ body, csrf: req.headers()['x-csrf-token'] });
    if (body.value === 'loud') {
      return route.fulfill({ status: 400, json: { error: { code: 'invalid_value', message: 'logging.access_format: "loud" is not one of common, combined, json, off' } } });
    }
    values.find((v) => v.key === body.key).value = body.value;
    return route.fulfill({ json: { key: body.key, value: body.value, source: 'settings' } });
  });
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/settings`);
  const row = (key) => p.locator(`tr[data-key="${key}"]`);
  await row('metrics.token').getByText('********').waitFor();
  await row('metrics.token').getByText('environment AIWEBENGINE_METRICS_TOKEN').waitFor();
  await row('server.request_timeout_ms').getByText('config file /etc/aiwebengine.toml').waitFor();
  assert.equal(await row('server.http').getByRole('button').count(), 0, 'read-only values have no edit control');
  await shot(p, 'settings-phone');

  await p.getByRole('button', { name: 'Edit logging.access_format' }).click();
  await p.getByLabel('New value of logging.access_format').fill('loud');
  await p.getByRole('button', { name: 'Save' }).click();
  await row('logging.access_format').getByRole('alert').getByText('"loud" is not one of common, combined, json, off').waitFor();
  await p.getByLabel('New value of logging.access_format').fill('json');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.getByText('Saved logging.access_format.').waitFor();
  await row('logging.access_format').getByText('json').waitFor();

  await p.getByRole('button', { name: 'Edit js.fetch.allow' }).click();
  await p.getByLabel('New value of js.fetch.allow').fill('["api.example.com", "pay.example.com"]');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.getByText('Saved js.fetch.allow.').waitFor();
  assert.deepEqual(sent.map((s) => s.body), [
    { key: 'logging.access_format', value: 'loud' },
    { key: 'logging.access_format', value: 'json' },
    { key: 'js.fetch.allow', value: ['api.example.com', 'pay.example.com'] },
  ]);
  assert.ok(sent.every((s) => s.csrf), 'every change carries the CSRF header');
  assert.deepEqual(p.problems(), []);
});
