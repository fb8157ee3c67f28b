// docs/aiwebengine.d.ts is valid TypeScript and types real scripts: a
// classic script and a module app type-check with `tsc --strict` against
// it, and a wrong call is reported (issue 16, type definitions; the names
// and arities are checked against the live globals by tests/dts_drift.rs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dts = resolve(here, '../../docs/aiwebengine.d.ts');
const tsc = resolve(here, 'node_modules/typescript/bin/tsc');

function check(files) {
  const dir = mkdtempSync(join(tmpdir(), 'aiwe-dts-'));
  try {
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
      compilerOptions: {
        noEmit: true, allowJs: true, checkJs: true, strict: true,
        lib: ['ES2023'], types: [], target: 'ES2023', module: 'ES2022',
      },
      files: [dts, ...Object.keys(files)],
    }));
    try {
      execFileSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      return '';
    } catch (e) {
      return String(e.stdout) + String(e.stderr);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const CLASSIC = `
register('/hi', (req) => 'hi ' + req.query.name, 'GET', { maxBodyBytes: 1024 });
register('/notes', async (req) => ({ status: 201, body: { got: req.json, text: await req.text() } }), 'POST');
registerWebStream('/feed');
sendStreamMessageToPath('/feed', { n: 1 }, { event: 'tick' });
registerGraphQLQuery('hello', 'type Query { hello: String }', () => 'world');
registerMCPTool('add', 'Adds', { type: 'object' }, (args, ctx) => { ctx.log('info', args); return String(args.a + args.b); });
registerMCPResource('note://{id}', 'note', 'One note', (r) => ({ text: r.params.id }), { mimeType: 'text/plain' });
registerMCPPrompt('sum', 'Summarize', [{ name: 'id', required: true }], (a) => 'Summarize ' + a.id);
notifyMCPResourceUpdated('note://1');
const u = new URL('http://x/?a=1'); u.searchParams.append('b', '2');
setTimeout(() => writeLog(auth.loginUrl('/back')), 10);
kv.atomic().sum(['hits'], 1).commit().then((r) => console.log(r.ok));
`;

const MODULE = `
/** @type {App} */
const app = {
  async fetch(request, ctx) {
    if (request.method === 'POST') return Response.json(await request.json(), { status: 201 });
    const form = request.headers.get('content-type') ? await request.formData() : null;
    ctx.waitUntil(Promise.resolve());
    return new Response(ctx.mount + ctx.path + (form ? form.get('a') : ''));
  },
};
register('/app', app, { maxBodyBytes: 4096 });
`;

const ES_MODULE = `
import { greet } from './lib.js';
export const mount = '/greeter';
/** @type {App} */
export default { fetch: (request, ctx) => new Response(greet(ctx.path) + request.url) };
`;

test('the d.ts types a classic script, an app and a module script with tsc --strict', () => {
  const lib = 'export const greet = (/** @type {string} */ s) => "hi " + s;\n';
  const out = check({ 'classic.js': CLASSIC, 'app.js': MODULE, 'lib.js': lib, 'mod.js': ES_MODULE });
  assert.equal(out, '', out);
});

test('the d.ts reports a wrong call', () => {
  const out = check({ 'bad.js': "register('/x', 42);\nsleep('soon');\n" });
  assert.match(out, /bad\.js\(1,/, out);
  assert.match(out, /bad\.js\(2,/, out);
});
