// The admin UI in headless chromium against the real binary.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, fillLogin, apiLogin, call, setSource, get, shot, EMAIL } from './lib.mjs';

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

async function page(opts) {
  return openPage(browser, server.url, opts);
}

async function createScript(p, name, source) {
  await p.goto(`${server.url}/engine/admin/scripts/new`);
  await p.getByLabel('Name', { exact: true }).fill(name);
  await setSource(p, source);
  await p.keyboard.press('Control+S');
  await p.getByText(`Saved ${name} as version 1.`).waitFor();
}

test('the UI is served with a CSP, hashed immutable assets and an SPA fallback', async () => {
  const index = await get(server.url, '/engine/admin/scripts/whatever');
  assert.equal(index.status, 200);
  assert.match(index.headers.get('content-security-policy'), /script-src 'self'/);
  assert.equal(index.headers.get('cache-control'), 'no-cache');
  const js = index.text.match(/\/engine\/admin\/assets\/app-\w+\.js/)[0];
  const asset = await get(server.url, js);
  assert.equal(asset.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  assert.equal((await get(server.url, '/engine/admin/assets/missing.js')).status, 404);
  assert.equal((await fetch(`${server.url}/engine/admin/`, { method: 'POST' })).status, 405);
});

test('login: a wrong password shows the server message, the right one opens the dashboard', async () => {
  const p = await page();
  await p.goto(`${server.url}/engine/admin/`);
  await shot(p, 'login');
  await p.getByLabel('Email').fill(EMAIL);
  await p.getByLabel('Password').fill('wrong password!');
  await p.getByRole('button', { name: 'Log in' }).click();
  await p.getByRole('alert').getByText('wrong email or password').waitFor();
  await logIn(p);
  await p.getByText('Uptime').waitFor();
  await p.locator('.card-value').first().waitFor();
  await shot(p, 'dashboard');
  assert.deepEqual(p.problems(), []);
});

test('create a script in the editor, save it with Ctrl+S and call its route', async () => {
  const p = await page();
  await logIn(p);
  await createScript(p, 'greet.js', 'register("/greet", (req) => "Hi " + (req.query.name || "you"));\n');
  assert.equal((await get(server.url, '/greet?name=ann')).text, 'Hi ann');
  // the "Try it" panel calls the route from the browser
  await p.getByLabel('Path and query').fill('/greet?name=bob');
  await p.getByRole('button', { name: 'Send' }).click();
  await p.locator('.try-body').getByText('Hi bob').waitFor();
  await p.getByText('200 OK').waitFor();
  await shot(p, 'editor');
  await p.getByRole('link', { name: 'Scripts', exact: true }).first().click();
  await p.getByRole('row', { name: /greet\.js/ }).getByText('Enabled').waitFor();
  await shot(p, 'scripts');
  assert.deepEqual(p.problems(), []);
});

test('a syntax error shows inline at its line, and the old version keeps serving', async () => {
  const p = await page();
  await logIn(p);
  await createScript(p, 'broken.js', 'register("/broken", () => "still v1");\n');
  await setSource(p, '// v2\nregister("/broken", () => "v2";\n');
  await p.getByRole('button', { name: 'Save' }).click();
  const inline = p.locator('.cm-load-error');
  await inline.waitFor();
  assert.match(await inline.textContent(), /SyntaxError.*line 2.*version 1 keeps serving/s);
  await p.locator('.cm-lint-marker-error').waitFor();
  await shot(p, 'syntax-error');
  assert.equal((await get(server.url, '/broken')).text, 'still v1');
  assert.deepEqual(p.problems(), []);
});

test('the history shows a diff and restores an older version in one click', async () => {
  const p = await page();
  await logIn(p);
  await createScript(p, 'flip.js', 'register("/flip", () => "one");\n');
  await setSource(p, 'register("/flip", () => "two");\n');
  await p.keyboard.press('Control+S');
  await p.getByText('Saved flip.js as version 2.').waitFor();
  assert.equal((await get(server.url, '/flip')).text, 'two');
  await p.getByRole('tab', { name: 'History' }).click();
  await p.locator('table.diff tr.del').getByText('"one"', { exact: false }).waitFor();
  await p.locator('table.diff tr.add').getByText('"two"', { exact: false }).waitFor();
  await shot(p, 'history');
  await p.getByRole('button', { name: 'Restore version 1' }).click();
  await p.getByText('Restored version 1 as version 3').waitFor();
  assert.equal((await get(server.url, '/flip')).text, 'one');
  assert.match(await p.locator('.cm-content').textContent(), /"one"/);
  assert.deepEqual(p.problems(), []);
});

test('on a phone-sized screen: disable, then delete after confirming', async () => {
  const p = await page({ width: 390, height: 844 });
  await logIn(p);
  await createScript(p, 'gone.js', 'register("/gone", () => "here");\n');
  await shot(p, 'phone-editor');
  await p.getByRole('button', { name: 'Disable' }).click();
  await p.getByText('gone.js is disabled').waitFor();
  assert.equal((await get(server.url, '/gone')).status, 404);
  await p.getByRole('button', { name: 'Delete' }).click();
  await p.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await p.getByText('Deleted gone.js.').waitFor();
  await shot(p, 'phone-scripts');
  assert.equal(await p.getByRole('link', { name: 'gone.js' }).count(), 0);
  assert.deepEqual(p.problems(), []);
});

test('routes and logs pages list what the scripts registered and wrote', async () => {
  const p = await page();
  await logIn(p);
  await createScript(p, 'noisy.js', 'register("/noisy", () => { writeLog("noisy was called"); return "ok"; });\n');
  await get(server.url, '/noisy');
  await p.getByRole('link', { name: 'Routes' }).click();
  await p.getByRole('row', { name: /\/noisy.*noisy\.js/ }).waitFor();
  await p.getByRole('link', { name: 'Logs' }).click();
  await p.getByLabel('Script').selectOption('noisy.js');
  await p.getByText('noisy was called').waitFor();
  await shot(p, 'logs');
  assert.deepEqual(p.problems(), []);
});

test('keyboard: the skip link comes first and arrow keys switch the script tabs', async () => {
  const p = await page();
  await logIn(p);
  await createScript(p, 'keys.js', 'register("/keys", () => "k");\n');
  await p.reload();
  await p.locator('.cm-content').waitFor();
  await p.keyboard.press('Tab');
  assert.equal(await p.evaluate(() => document.activeElement.textContent), 'Skip to content');
  await p.getByRole('tab', { name: 'Try it' }).focus();
  await p.keyboard.press('ArrowRight');
  assert.equal(await p.getByRole('tab', { name: 'History' }).getAttribute('aria-selected'), 'true');
  assert.deepEqual(p.problems(), []);
});

test('a revoked session sends the user to the login page, and back after logging in', async () => {
  const p = await page();
  await logIn(p);
  await p.getByRole('link', { name: 'Routes' }).click();
  await p.getByRole('heading', { name: 'Routes' }).waitFor();
  // "Log out everywhere" from another client ends this browser's session too.
  const token = await apiLogin(server.url);
  assert.equal((await call(server.url, token, 'DELETE', '/engine/api/sessions')).status, 200);
  await p.getByRole('link', { name: 'Scripts', exact: true }).click();
  await p.getByText('Your session has ended. Please log in again.').waitFor();
  assert.match(p.url(), /\/engine\/admin\/login\?next=%2Fscripts/);
  await fillLogin(p);
  await p.getByRole('heading', { name: 'Scripts', exact: true }).waitFor();
  assert.match(p.url(), /\/engine\/admin\/scripts$/);
  assert.deepEqual(p.problems(), []);
});

test('a refused save shows the server message (a route another script owns)', async () => {
  const p = await page();
  await logIn(p);
  await createScript(p, 'first.js', 'register("/taken", () => "first");\n');
  await p.goto(`${server.url}/engine/admin/scripts/new`);
  await p.getByLabel('Name', { exact: true }).fill('second.js');
  await setSource(p, 'register("/taken", () => "second");\n');
  await p.getByRole('button', { name: 'Save' }).click();
  await p.getByRole('alert').getByText('GET /taken is already registered by script first.js').waitFor();
  assert.equal((await get(server.url, '/taken')).text, 'first');
  assert.deepEqual(p.problems(), []);
});
