// The admin UI's Streams page lists SSE streams with live connection counts
// (REQ-RT-002).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, shot, EMAIL, PASSWORD } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  const login = await fetch(`${server.url}/engine/auth/login`, {
    method: 'POST', body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { token } = await login.json();
  const put = await fetch(`${server.url}/engine/api/scripts/feed.js`, {
    method: 'PUT', headers: { authorization: `Bearer ${token}` }, body: 'registerWebStream("/feed");',
  });
  assert.equal(put.status, 201);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the Streams page shows each stream with its open connections', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  // One SSE client, opened from the page itself.
  await p.evaluate(() => { window.feed = new EventSource('/feed'); });
  await p.getByRole('link', { name: 'Streams' }).click();
  await p.getByRole('heading', { name: 'Streams', exact: true }).waitFor();
  const row = p.getByRole('row').filter({ hasText: '/feed' });
  await row.getByText('feed.js').waitFor();
  await row.getByRole('cell', { name: '1', exact: true }).waitFor();
  await shot(p, 'streams');
  assert.deepEqual(p.problems(), []);
});
