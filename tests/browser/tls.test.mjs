// The TLS certificate page (issue 5 §1): it shows the fingerprint that the
// server printed, refuses a bad PEM with the server's own message, serves
// an uploaded certificate at once, and goes back to the self-signed one.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launch, openPage, logIn, apiLogin, call, shot } from './lib.mjs';

const fixture = (name) => readFileSync(new URL(`fixtures/${name}`, import.meta.url), 'utf8');
// A certificate and key made for these tests only (valid until 2126).
const CERT = fixture('test-only-cert.pem');
const KEY = fixture('test-only-key.pem');
const CERT_FP = '37:16:5E:51:CE:B7:46:A7:EB:6F:EC:52:36:3E:45:B3:B4:8F:5B:81:E9:F5:C1:F0:0D:11:48:AF:57:E1:3E:9C';

let server;
let browser;
before(async () => {
  server = await startServer({ https: true });
  browser = await launch();
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('the TLS page shows the fingerprint, the server\'s refusal of a bad PEM, and an upload', async () => {
  assert.match(server.fingerprint || '', /^[0-9A-F]{2}(:[0-9A-F]{2}){31}$/);
  const p = await openPage(browser, server.url);
  await logIn(p);
  await p.getByRole('link', { name: 'TLS certificate' }).click();
  await p.getByRole('heading', { name: 'TLS certificate', exact: true }).waitFor();
  await p.locator('#tls-fingerprint', { hasText: server.fingerprint }).waitFor();
  await p.getByText('self-signed', { exact: true }).waitFor();
  await shot(p, 'tls-self-signed-1280');

  // A bad PEM: the page shows exactly what the server answers.
  const t = await apiLogin(server.url);
  const refused = await call(server.url, t, 'PUT', '/engine/api/tls', { cert: 'not a certificate', key: KEY });
  assert.equal(refused.status, 400);
  await p.getByLabel('Certificate chain (PEM)').fill('not a certificate');
  await p.getByLabel('Private key (PEM, unencrypted)').fill(KEY);
  await p.getByRole('button', { name: 'Upload and serve' }).click();
  await p.getByRole('alert').filter({ hasText: refused.json.error.message }).waitFor();
  await shot(p, 'tls-bad-pem-1280');

  // A good one, read from a file: served at once.
  await p.getByLabel('Certificate chain (PEM)').fill('');
  await p.locator('#tls-cert-file').setInputFiles({ name: 'cert.pem', mimeType: 'application/x-pem-file', buffer: Buffer.from(CERT) });
  await p.waitForFunction(() => document.getElementById('tls-cert').value.includes('BEGIN CERTIFICATE'));
  await p.getByRole('button', { name: 'Upload and serve' }).click();
  await p.locator('#tls-fingerprint', { hasText: CERT_FP }).waitFor();
  await p.getByText('Serving the uploaded certificate now').waitFor();
  await p.getByText('shop.example.test', { exact: true }).waitFor();
  await shot(p, 'tls-uploaded-1280');

  await p.getByRole('button', { name: 'Go back to the self-signed certificate' }).click();
  await p.getByRole('dialog').getByRole('button', { name: 'Delete the upload' }).click();
  await p.locator('#tls-fingerprint', { hasText: server.fingerprint }).waitFor();
  assert.deepEqual(p.problems(), []);
});

test('the TLS page on a phone', async () => {
  const p = await openPage(browser, server.url, { width: 375, height: 900 });
  await logIn(p);
  await p.goto(`${server.url}/engine/admin/tls`);
  await p.locator('#tls-fingerprint', { hasText: server.fingerprint }).waitFor();
  const wide = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(wide <= 0, `${wide}px wider than the screen`);
  await shot(p, 'tls-375');
  assert.deepEqual(p.problems(), []);
});
