// First run: the one-time link that `serve` prints creates the first
// administrator, who lands in the admin UI already logged in.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, shot } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer({ admin: false });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('first-run setup through the link, on a phone-sized screen', async () => {
  const link = await server.setupUrl();
  const p = await openPage(browser, server.url, { width: 375, height: 760 });
  await p.goto(link);
  await p.getByRole('heading', { name: 'Set up aiwebengine' }).waitFor();
  await p.getByLabel('Email').fill('first@example.com');
  await p.getByLabel('Name').fill('First Admin');
  await p.getByLabel('Password', { exact: true }).fill('a long enough password');
  await p.getByLabel('Password again').fill('another password!');
  await p.getByRole('button', { name: 'Create administrator' }).click();
  await p.getByRole('alert').getByText('The two passwords differ.').waitFor();
  assert.equal(await p.getByLabel('Email').inputValue(), 'first@example.com', 'what was typed is kept');
  await shot(p, 'setup');
  await p.getByLabel('Password', { exact: true }).fill('a long enough password');
  await p.getByLabel('Password again').fill('a long enough password');
  await p.getByRole('button', { name: 'Create administrator' }).click();
  await p.getByText('Administrator first@example.com created. You are logged in.').waitFor();
  await shot(p, 'setup-done');
  await p.getByRole('link', { name: 'Open the admin UI' }).click();
  await p.getByRole('heading', { name: 'Dashboard' }).waitFor();
  const me = await p.evaluate(() => fetch('/engine/api/me').then((r) => r.json()));
  assert.equal(me.email, 'first@example.com');
  assert.equal(me.role, 'admin');
  // the link works once
  const again = await fetch(link);
  assert.equal(again.status, 403);
  assert.deepEqual(p.problems(), []);
});
