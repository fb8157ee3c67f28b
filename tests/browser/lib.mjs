// Helpers for the browser tests: start the real binary on 127.0.0.1:0 with
// a temp data file and an administrator, and drive Debian's chromium.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const EMAIL = 'admin@example.com';
export const PASSWORD = 'correct horse battery staple';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
// Set SCREENSHOTS=dir to keep PNGs of the pages the tests visit.
export const SHOTS = process.env.SCREENSHOTS || '';

// The newest of the debug and release builds (or $AIWEBENGINE_BIN).
export function binary() {
  if (process.env.AIWEBENGINE_BIN) return process.env.AIWEBENGINE_BIN;
  const target = process.env.CARGO_TARGET_DIR || '/var/tmp/aiwebengine-target';
  const found = ['release', 'debug'].map((p) => join(target, p, 'aiwebengine'))
    .flatMap((path) => { try { return [{ path, mtime: statSync(path).mtimeMs }]; } catch { return []; } })
    .sort((a, b) => b.mtime - a.mtime);
  if (!found.length) throw new Error(`no aiwebengine binary under ${target}; run cargo build first`);
  return found[0].path;
}

// `admin: false` starts without an administrator: the server then prints
// a one-time setup link, resolved by `setupUrl()`. `https: true` also
// listens on HTTPS (the tests still browse over plain HTTP on loopback);
// `fingerprint` is then the certificate's printed SHA-256 fingerprint.
// `http` fixes the listen address (default a free port); `env` adds
// environment, such as AIWEBENGINE_CONFIG for a config file.
export async function startServer({ args = [], admin = true, https = false, http = '127.0.0.1:0', env: extra = {} } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'aiwebengine-browser-'));
  const data = join(dir, 'data.redb');
  const bin = binary();
  const env = { ...process.env };
  // The server reads AIWEBENGINE_* as config (and warns about unknown ones).
  for (const v of Object.keys(env)) if (v.startsWith('AIWEBENGINE_')) delete env[v];
  if (admin) {
    const made = spawnSync(bin, ['admin', 'create', EMAIL, '--password-stdin', '--data', data], { input: `${PASSWORD}\n`, env });
    if (made.status !== 0) throw new Error(`admin create failed: ${made.stderr}`);
  }
  const child = spawn(bin, ['serve', '--data', data, '--http', http, '--https', https ? '127.0.0.1:0' : 'off', ...args], {
    env: { ...env, AIWEBENGINE_LOG: 'warn', ...extra }, stdio: ['ignore', 'pipe', 'inherit'],
  });
  let gotSetup;
  const setup = new Promise((resolve) => { gotSetup = resolve; });
  let fingerprint = null;
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not print "listening on" within 20 s')), 20_000);
    child.on('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = line.match(/^listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
      const fp = line.match(/^SHA-256 fingerprint: (\S+)/);
      if (fp) fingerprint = fp[1];
      const s = line.match(/(http:\/\/\S+\/engine\/admin\/setup\?token=\S+)/);
      if (s) gotSetup(s[1]);
    });
  });
  return {
    url,
    fingerprint,
    setupUrl: () => setup,
    async stop() {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

// A fresh page that records uncaught errors, console errors and any request
// that leaves the server's origin. `problems()` lists them; tests assert it
// is empty. "Failed to load resource" lines are the browser's own report of
// a 4xx answer that a test provoked on purpose, so they are left out.
export async function openPage(browser, base, { width = 1280, height = 800 } = {}) {
  const context = await browser.newContext({ viewport: { width, height } });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const found = [];
  const origin = new URL(base).origin;
  page.on('pageerror', (e) => found.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) found.push(`console: ${m.text()}`);
  });
  page.on('request', (r) => {
    if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) found.push(`foreign request: ${r.url()}`);
  });
  page.problems = () => found;
  page.base = base;
  return page;
}

export async function shot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`) });
}

export async function logIn(page, { email = EMAIL, password = PASSWORD, landing = 'Dashboard' } = {}) {
  await page.goto(`${page.base}/engine/admin/`);
  await fillLogin(page, email, password);
  await page.getByRole('heading', { name: landing, exact: true }).waitFor();
}

export async function fillLogin(page, email = EMAIL, password = PASSWORD) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

// The JSON API with a bearer login token, for setting up test data.
export async function apiLogin(base, email = EMAIL, password = PASSWORD) {
  const res = await fetch(`${base}/engine/auth/login`, { method: 'POST', body: JSON.stringify({ email, password }) });
  if (res.status !== 200) throw new Error(`login as ${email}: ${res.status} ${await res.text()}`);
  return (await res.json()).token;
}

export async function call(base, token, method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, json, text };
}

// Replaces the editor's text as a paste would (typing would trigger
// auto-closing brackets).
export async function setSource(page, source) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(source);
}

export async function get(base, path) {
  const res = await fetch(base + path);
  return { status: res.status, text: await res.text(), headers: res.headers };
}
