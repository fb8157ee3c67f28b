// Script ownership in the UI: an editor does not see an admin's script
// (not listed; its URL shows the server's 403), nor the admin pages; an
// admin grants access from the script's Access tab.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, shot } from './lib.mjs';

const EDITOR = { email: 'ed@example.com', password: 'editor password 1' };
let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  const admin = await apiLogin(server.url);
  assert.equal((await call(server.url, admin, 'PUT', '/engine/api/scripts/secret.js', 'register("/secret", () => "s");')).status, 201);
  assert.equal((await call(server.url, admin, 'POST', '/engine/api/users', { ...EDITOR, role: 'editor' })).status, 201);
  const ed = await apiLogin(server.url, EDITOR.email, EDITOR.password);
  assert.equal((await call(server.url, ed, 'PUT', '/engine/api/scripts/mine.js', 'register("/mine", () => "m");')).status, 201);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

const asEditor = async (opts) => {
  const p = await openPage(browser, server.url, opts);
  await logIn(p, EDITOR);
  return p;
};

test("an editor does not see an admin's script, and its URL shows the server's 403", async () => {
  const p = await asEditor();
  await p.getByRole('link', { name: 'Scripts', exact: true }).click();
  await p.getByRole('link', { name: 'mine.js' }).waitFor();
  assert.equal(await p.getByRole('link', { name: 'secret.js' }).count(), 0);
  await shot(p, 'editor-scripts');
  await p.goto(`${server.url}/engine/admin/scripts/secret.js`);
  await p.getByRole('alert').getByText('you may not read script secret.js; ask its owner or an admin for a grant').waitFor();
  assert.equal(await p.getByRole('button', { name: 'Save' }).isVisible(), false);
  await shot(p, 'editor-forbidden');
  assert.deepEqual(p.problems(), []);
});

test('an editor sees no admin navigation, and an admin page shows the 403 message', async () => {
  const p = await asEditor();
  const nav = p.getByRole('navigation', { name: 'Main' });
  await nav.getByRole('link', { name: 'API tokens' }).waitFor();
  for (const admin of ['Users', 'Groups', 'Permissions', 'Audit log', 'Settings']) {
    assert.equal(await nav.getByRole('link', { name: admin }).count(), 0, admin);
  }
  await p.goto(`${server.url}/engine/admin/users`);
  await p.getByRole('alert').getByText('this endpoint needs the admin role').waitFor();
  assert.equal(await p.getByRole('button', { name: 'New user' }).isVisible(), false);
  assert.deepEqual(p.problems(), []);
});

test('an admin grants the editor read access in the Access tab, then changes the owner', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/scripts/secret.js`);
  await p.getByRole('tab', { name: 'Access' }).click();
  await p.getByLabel('Grant to').selectOption({ label: EDITOR.email });
  await p.getByLabel('Access level').selectOption('read');
  await p.getByRole('button', { name: 'Grant', exact: true }).click();
  await p.getByText(`Granted read access to ${EDITOR.email}.`).waitFor();
  await shot(p, 'access');

  const ed = await asEditor();
  await ed.goto(`${server.url}/engine/admin/scripts`);
  await ed.getByRole('link', { name: 'secret.js' }).waitFor();

  await p.getByLabel('New owner').selectOption({ label: EDITOR.email });
  await p.getByRole('button', { name: 'Change owner' }).click();
  await p.getByText(`secret.js is now owned by ${EDITOR.email}.`).waitFor();
  await p.getByText(`owner ${EDITOR.email}`).waitFor();
  await p.getByRole('button', { name: `Remove the grant of ${EDITOR.email}` }).click();
  await p.getByText(`Removed the grant of ${EDITOR.email}.`).waitFor();
  assert.deepEqual(p.problems(), []);
  assert.deepEqual(ed.problems(), []);
});
