// Renaming a script from its page (issue 4 §4).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, get, shot } from './lib.mjs';

let server;
let browser;
let token;
before(async () => {
  server = await startServer();
  browser = await launch();
  token = await apiLogin(server.url);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('rename a script: a taken name is refused in the dialog, a free one moves it', async () => {
  for (const [name, src] of [['before.js', 'register("/moved", () => "still here");'], ['taken.js', 'register("/t", () => "t");']]) {
    assert.equal((await call(server.url, token, 'PUT', `/engine/api/scripts/${name}`, src)).status, 201);
  }
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/scripts/before.js`);
  await p.getByRole('heading', { name: 'before.js' }).waitFor();

  await p.getByRole('button', { name: 'Rename' }).click();
  const dialog = p.getByRole('dialog');
  await dialog.getByLabel('New name').fill('taken.js');
  await dialog.getByRole('button', { name: 'Rename' }).click();
  await dialog.getByRole('alert').getByText('a script named taken.js already exists').waitFor();
  await shot(p, 'rename-taken');

  await dialog.getByLabel('New name').fill('after.js');
  await dialog.getByRole('button', { name: 'Rename' }).click();
  await p.getByText('Renamed before.js to after.js.').waitFor();
  await p.waitForURL(/\/engine\/admin\/scripts\/after\.js$/);
  await p.getByRole('heading', { name: 'after.js' }).waitFor();
  assert.equal((await get(server.url, '/moved')).text, 'still here');

  await p.getByRole('link', { name: 'Scripts', exact: true }).first().click();
  await p.getByRole('link', { name: 'after.js' }).waitFor();
  assert.equal(await p.getByRole('link', { name: 'before.js' }).count(), 0);
  assert.deepEqual(p.problems(), []);
});
