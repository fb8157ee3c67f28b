// Builds src/ into dist/ (committed; served by the binary with rust-embed).
// Deterministic: the same sources and lock file give the same bytes and the
// same hashed file names, so CI can rebuild and `git diff --exit-code dist`.
import * as esbuild from 'esbuild';
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename } from 'node:path';

const here = new URL('.', import.meta.url).pathname;
const dist = `${here}dist`;

await rm(dist, { recursive: true, force: true });
await mkdir(`${dist}/assets`, { recursive: true });

const result = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/app.js', 'src/app.css'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  charset: 'utf8',
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const pick = (ext) => {
  const found = outputs.filter((n) => n.startsWith('app-') && n.endsWith(ext));
  if (found.length !== 1) throw new Error(`expected one app-*${ext}, got ${found}`);
  return `/engine/admin/assets/${found[0]}`;
};

const html = (await readFile(`${here}src/index.html`, 'utf8'))
  .replace('%APP_JS%', pick('.js'))
  .replace('%APP_CSS%', pick('.css'));
await writeFile(`${dist}/index.html`, html);
await copyFile(`${here}src/favicon.svg`, `${dist}/favicon.svg`);

// GraphiQL, served at GET /graphql (dev mode or [graphql] graphiql = true).
const gql = await esbuild.build({
  absWorkingDir: here,
  entryPoints: ['src/graphiql.jsx'],
  outdir: 'dist/assets',
  entryNames: '[name]-[hash]',
  bundle: true,
  minify: true,
  format: 'esm',
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  charset: 'utf8',
  legalComments: 'eof',
  metafile: true,
  logLevel: 'error',
});
const gqlOut = Object.keys(gql.metafile.outputs).map((p) => basename(p));
const gqlPick = (ext) => {
  const found = gqlOut.filter((n) => n.startsWith('graphiql-') && n.endsWith(ext));
  if (found.length !== 1) throw new Error(`expected one graphiql-*${ext}, got ${found}`);
  return `/engine/admin/assets/${found[0]}`;
};
const gqlHtml = (await readFile(`${here}src/graphiql.html`, 'utf8'))
  .replace('%GQL_JS%', gqlPick('.js'))
  .replace('%GQL_CSS%', gqlPick('.css'));
await writeFile(`${dist}/graphiql.html`, gqlHtml);
console.log(`built ${outputs.length + gqlOut.length + 3} files into ui/dist`);
