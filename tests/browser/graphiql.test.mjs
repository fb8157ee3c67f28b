// GraphiQL at GET /graphql (REQ-GQL-005), embedded: nothing from a CDN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, launch, openPage, shot, get, EMAIL, PASSWORD } from './lib.mjs';

let server;
let browser;
before(async () => {
  server = await startServer({ args: ['--dev'] });
  browser = await launch();
  const login = await fetch(`${server.url}/engine/auth/login`, {
    method: 'POST', body: JSON.stringify({ email: EMAIL, password: PASSWORD }),
  });
  const { token } = await login.json();
  const put = await fetch(`${server.url}/engine/api/scripts/hello-gql.js`, {
    method: 'PUT', headers: { authorization: `Bearer ${token}` },
    body: 'registerGraphQLQuery("hello", "hello(name: String): String", (args) => "Hello " + (args.name || "world"));',
  });
  assert.equal(put.status, 201);
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

test('GraphiQL is served at /graphql for browsers in --dev and runs a query', async () => {
  const p = await openPage(browser, server.url);
  await p.goto(`${server.url}/graphql`);
  await p.locator('.graphiql-container').waitFor();
  await p.locator('.graphiql-query-editor .CodeMirror').click();
  await p.keyboard.press('Control+A');
  await p.keyboard.insertText('{ hello(name: "browser") }');
  await p.locator('.graphiql-execute-button').click();
  await p.locator('.graphiql-response').getByText('Hello browser').waitFor();
  await shot(p, 'graphiql');
  assert.deepEqual(p.problems(), []);
});

test('a GET with a query still executes it, HTML or not', async () => {
  const r = await get(server.url, '/graphql?query=%7Bhello%7D');
  assert.equal(JSON.parse(r.text).data.hello, 'Hello world');
});
