// The Assets page (issue 6 §4): upload an image into a folder, see it in the
// list with a preview and its public URL, the server's refusal of a file
// whose bytes lie about its type, and delete with confirmation.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startServer, launch, openPage, logIn, get, shot } from './lib.mjs';

const PNG = readFileSync(new URL('fixtures/logo.png', import.meta.url));

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

for (const width of [1280, 375]) {
  test(`at ${width}px an image uploads, shows in the list and deletes`, async () => {
    const p = await openPage(browser, server.url, { width, height: width > 400 ? 800 : 900 });
    await logIn(p);
    await p.goto(`${server.url}/engine/admin/assets`);
    await p.getByRole('heading', { name: 'Assets', exact: true }).waitFor();
    const name = `logo-${width}.png`;
    await p.getByLabel('Folder').fill('img');
    await p.locator('#asset-files').setInputFiles({ name, mimeType: 'image/png', buffer: PNG });
    const row = p.getByRole('row').filter({ hasText: `/img/${name}` });
    await row.waitFor();
    await row.getByText('image/png').waitFor();
    await row.locator('img').evaluate((img) => (img.complete ? null : new Promise((r) => { img.onload = r; })));
    assert.ok(await row.locator('img').evaluate((img) => img.naturalWidth > 0), 'the preview loaded');
    assert.equal((await get(server.url, `/img/${name}`)).status, 200);
    await shot(p, `assets-${width}`);

    // Bytes that are not a PNG: the server says so, the page shows it.
    await p.locator('#asset-files').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not really a png') });
    const refusal = p.locator('.notice-error', { hasText: 'Nothing was uploaded' });
    await refusal.waitFor();
    assert.ok((await refusal.textContent()).length > 'Nothing was uploaded: '.length + 10);

    await row.getByRole('button', { name: `Delete img/${name}` }).click();
    await p.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached' });
    assert.equal((await get(server.url, `/img/${name}`)).status, 404);
    // The refused upload is the only failed call on purpose.
    assert.deepEqual(p.problems(), []);
    await p.context().close();
  });
}
