// The OAuth flow of a remote AI client (issue 12, docs/mcp-auth.md), with
// the real TypeScript MCP SDK (`auth()` and its OAuthClientProvider) and
// Chromium for the person: discovery, dynamic registration, PKCE, the
// engine's login and the consent page, a tool call with the token; the
// same token refused for another resource; revoked on the sessions page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { auth } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startServer, launch, openPage, fillLogin, apiLogin, call, shot, EMAIL } from './lib.mjs';

const TOOL = `registerMCPTool('whoami', 'Who is calling', { type: 'object', properties: {} },
  (args, ctx) => ctx.auth.userEmail + ' ' + ctx.auth.role);`;

// Where the browser comes back with the code: a loopback server, as a
// desktop client runs one (RFC 8252).
async function callbackServer() {
  let got;
  const code = new Promise((resolve) => { got = resolve; });
  const srv = http.createServer((req, res) => {
    const u = new URL(req.url, 'http://127.0.0.1');
    res.writeHead(200, { 'content-type': 'text/plain' }).end('You can close this window.');
    if (u.pathname === '/callback') got(u.searchParams);
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${srv.address().port}/callback`, code, close: () => srv.close() };
}

function within(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

// An in-memory OAuthClientProvider: what a desktop client keeps on disk.
class Provider {
  constructor(redirect) {
    this.redirect = redirect;
    this.saved = {};
    this.authUrl = null;
  }
  get redirectUrl() { return this.redirect; }
  get clientMetadata() {
    return {
      client_name: 'SDK Test Agent', redirect_uris: [this.redirect],
      grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'],
      token_endpoint_auth_method: 'none',
    };
  }
  clientInformation() { return this.saved.client; }
  saveClientInformation(c) { this.saved.client = c; }
  tokens() { return this.saved.tokens; }
  saveTokens(t) { this.saved.tokens = t; }
  redirectToAuthorization(url) { this.authUrl = url; }
  saveCodeVerifier(v) { this.saved.verifier = v; }
  codeVerifier() { return this.saved.verifier; }
}

async function connect(url, provider) {
  const client = new Client({ name: 'oauth-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { authProvider: provider }));
  return client;
}

test('an AI client gets the browser login and consent, calls a tool, and is revoked from the sessions page', async () => {
  const server = await startServer();
  const cb = await callbackServer();
  const browser = await launch();
  try {
    const admin = await apiLogin(server.url);
    assert.equal((await call(server.url, admin, 'PUT', '/engine/api/scripts/who.js', TOOL)).status, 201);
    const mcp = `${server.url}/mcp`;

    // Discovery and registration by the SDK; it hands us the URL to open.
    const provider = new Provider(cb.url);
    assert.equal(await auth(provider, { serverUrl: mcp }), 'REDIRECT');
    assert.ok(provider.saved.client?.client_id, 'registered');
    const authUrl = provider.authUrl;
    assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(authUrl.searchParams.get('resource'), mcp);

    // The person: the engine's login, then the consent page.
    const page = await openPage(browser, server.url);
    await page.goto(authUrl.href);
    await fillLogin(page);
    await page.getByRole('heading', { name: 'Allow SDK Test Agent to use this engine?' }).waitFor();
    assert.ok((await page.textContent('main')).includes(EMAIL));
    await shot(page, 'oauth-consent');
    await page.getByRole('button', { name: 'Allow' }).click();
    const back = await within(cb.code, 10_000, 'the redirect back to the client');
    assert.equal(back.get('iss'), server.url);
    assert.equal(back.get('state'), authUrl.searchParams.get('state'));
    assert.equal(await auth(provider, { serverUrl: mcp, authorizationCode: back.get('code') }), 'AUTHORIZED');
    const { access_token: token } = provider.saved.tokens;

    // A tool call with the token: the tool sees the user, as a browser would.
    const client = await connect(mcp, provider);
    const r = await client.callTool({ name: 'whoami', arguments: {} });
    assert.deepEqual(r.content, [{ type: 'text', text: `${EMAIL} admin` }]);

    // The same token for another resource (this engine under another
    // name): refused, with the challenge that points at the metadata.
    const other = mcp.replace('127.0.0.1', 'localhost');
    const res = await fetch(other, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }),
    });
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate'), /resource_metadata="http:\/\/localhost:\d+\/\.well-known\/oauth-protected-resource\/mcp"/);

    // The admin revokes it on the sessions page; the next call gets 401.
    await page.goto(`${server.url}/engine/admin/sessions`);
    const row = page.getByRole('row').filter({ hasText: 'SDK Test Agent' });
    await row.getByRole('button', { name: 'Revoke the access of SDK Test Agent' }).click();
    await page.getByText('Session revoked').waitFor();
    await shot(page, 'oauth-revoked');
    const after = await fetch(mcp, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }),
    });
    assert.equal(after.status, 401);
    await client.close().catch(() => {});
    const foreign = page.problems().filter((p) => !p.includes(cb.url.replace('/callback', '')));
    assert.deepEqual(foreign, []);
  } finally {
    await browser.close();
    cb.close();
    await server.stop();
  }
});
