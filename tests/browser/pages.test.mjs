// Every page of the admin UI, on a laptop and on a phone: it loads with no
// console error, no failed call, and nothing wider than the screen.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, apiLogin, call, shot } from './lib.mjs';

const PAGES = [
  ['/', 'Dashboard'], ['/scripts', 'Scripts'], ['/scripts/shop.js', 'shop.js'], ['/scripts/new', 'New script'],
  ['/routes', 'Routes'], ['/streams', 'Streams'], ['/logs', 'Logs'], ['/users', 'Users'], ['/groups', 'Groups'],
  ['/permissions', 'Permissions'], ['/audit', 'Audit log'], ['/settings', 'Settings'], ['/account', 'Your account'],
  ['/tokens', 'API tokens'], ['/sessions', 'Sessions'], ['/assets', 'Assets'], ['/tls', 'TLS certificate'],
];

let server;
let browser;
before(async () => {
  server = await startServer();
  browser = await launch();
  const t = await apiLogin(server.url);
  const ok = (r) => assert.ok(r.status < 300, r.text);
  ok(await call(server.url, t, 'PUT', '/engine/api/scripts/shop.js',
    'register("/shop/items", () => ({ json: [] }));\nregister("/shop/fail", () => { throw new Error("out of stock"); });\n'));
  ok(await call(server.url, t, 'POST', '/engine/api/users', { email: 'ed@example.com', password: 'editor password 1', name: 'Ed', role: 'editor' }));
  ok(await call(server.url, t, 'POST', '/engine/api/groups', { name: 'shop-team' }));
  ok(await call(server.url, t, 'POST', '/engine/api/permissions', { name: 'orders.refund', description: 'Refund an order' }));
  ok(await call(server.url, t, 'POST', '/engine/api/tokens', { name: 'ci', expires_in_days: 30 }));
  await fetch(`${server.url}/shop/items`);
  await fetch(`${server.url}/shop/fail`);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

for (const width of [1280, 375]) {
  test(`every page at ${width}px: no console error, no error message, no sideways scrolling`, async () => {
    const p = await openPage(browser, server.url, { width, height: width > 400 ? 800 : 760 });
    await logIn(p);
    for (const [path, heading] of PAGES) {
      await p.goto(`${server.url}/engine/admin${path}`);
      await p.getByRole('heading', { name: heading, exact: true }).waitFor();
      await p.waitForFunction(() => ![...document.querySelectorAll('main p')].some((e) => e.textContent === 'Loading…'));
      // The Logs page keeps a live stream open: the network is never idle.
      if (path === '/logs') await p.locator('.live-state[data-state="live"]').waitFor();
      else await p.waitForLoadState('networkidle');
      if (path === '/') await p.locator('.card-label', { hasText: 'Requests' }).waitFor();
      const errors = await p.locator('.notice-error:visible').allTextContents();
      if (path !== '/settings') assert.deepEqual(errors, [], `${path}: ${errors}`);
      const wide = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(wide <= 0, `${path} is ${wide}px wider than the screen`);
      await shot(p, `page-${path.replace(/\W+/g, '-').replace(/^-|-$/g, '') || 'dashboard'}-${width}`);
    }
    assert.deepEqual(p.problems(), []);
  });
}

test('the menu button opens the navigation on a phone', async () => {
  const p = await openPage(browser, server.url, { width: 375, height: 760 });
  await logIn(p);
  const users = p.getByRole('link', { name: 'Users' });
  assert.equal(await users.isVisible(), false);
  await p.getByRole('button', { name: 'Menu' }).click();
  assert.equal(await p.getByRole('button', { name: 'Menu' }).getAttribute('aria-expanded'), 'true');
  await shot(p, 'phone-menu');
  await users.click();
  await p.getByRole('heading', { name: 'Users' }).waitFor();
  assert.equal(await users.isVisible(), false, 'the menu closes after a choice');
  assert.deepEqual(p.problems(), []);
});
