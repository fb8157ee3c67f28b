// A nested script name (api/users.js) and a module app through the editor
// (issue 16): create it, call its mount point, open it from the list and
// by its deep link, save a new version, see both in the history.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, logIn, setSource, get, shot } from './lib.mjs';

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

const LIB = 'export const hello = (who) => `hello ${who}`;\n';
const APP = (word) => `import { hello } from "../lib/words.js";
export const mount = "/api/users";
export default {
  fetch(request, ctx) {
    return new Response(hello(ctx.path.slice(1) || "${word}"));
  },
};
`;

async function create(p, name, source) {
  await p.goto(`${server.url}/engine/admin/scripts/new`);
  await p.getByLabel('Name', { exact: true }).fill(name);
  await setSource(p, source);
  await p.keyboard.press('Control+S');
  await p.getByText(`Saved ${name} as version 1.`).waitFor();
}

test('a nested module script: create, call, open from the list and by link, new version, history', async () => {
  const p = await openPage(browser, server.url);
  await logIn(p);
  await create(p, 'lib/words.js', LIB);
  await create(p, 'api/users.js', APP('everyone'));
  await p.waitForURL(/\/engine\/admin\/scripts\/api%2Fusers\.js$/);
  await p.getByRole('heading', { name: 'api/users.js' }).waitFor();
  // The mount's 14 routes read as two: ANY /api/users and ANY /api/users/*.
  const routes = p.locator('.routes-line li');
  assert.deepEqual(await routes.allTextContents(), ['ANY /api/users', 'ANY /api/users/*']);
  assert.equal((await get(server.url, '/api/users')).text, 'hello everyone');
  assert.equal((await get(server.url, '/api/users/ann')).text, 'hello ann');

  // The list links to it; the link opens the editor with its source.
  await p.getByRole('link', { name: 'Scripts', exact: true }).first().click();
  await p.getByRole('link', { name: 'api/users.js' }).click();
  await p.getByRole('heading', { name: 'api/users.js' }).waitFor();
  await p.locator('.cm-content').getByText('export const mount', { exact: false }).waitFor();
  await shot(p, 'nested-module');

  // A deep link (a reload) finds the same script.
  await p.goto(`${server.url}/engine/admin/scripts/api%2Fusers.js`);
  await p.locator('.cm-content').getByText('hello(ctx.path', { exact: false }).waitFor();
  await setSource(p, APP('nobody'));
  await p.keyboard.press('Control+S');
  await p.getByText('Saved api/users.js as version 2.').waitFor();
  assert.equal((await get(server.url, '/api/users')).text, 'hello nobody');

  await p.getByRole('tab', { name: 'History' }).click();
  await p.locator('table.diff tr.del').getByText('everyone', { exact: false }).waitFor();
  await p.locator('table.diff tr.add').getByText('nobody', { exact: false }).waitFor();
  assert.deepEqual(p.problems(), []);
});
