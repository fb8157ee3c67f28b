// MCP tools for tests/clients/mcp.test.mjs and tests/mcp.rs (REQ-MCP-002/003).
registerMCPTool('add', 'Adds two numbers', {
  type: 'object',
  properties: { a: { type: 'number' }, b: { type: 'number' } },
  required: ['a', 'b'],
}, (args) => String(args.a + args.b), { annotations: { readOnlyHint: true }, title: 'Add' });

function whoami(args, ctx) {
  return ctx.auth.isAuthenticated ? 'user ' + ctx.auth.userEmail : 'anonymous';
}
registerMCPTool('whoami', 'Who is calling', { type: 'object' }, 'whoami');

registerMCPTool('stats', 'Structured output', {
  type: 'object', properties: { n: { type: 'integer', minimum: 0 } }, required: ['n'],
}, async (args) => ({ n: args.n, square: args.n * args.n }), {
  outputSchema: {
    type: 'object',
    properties: { n: { type: 'integer' }, square: { type: 'integer' } },
    required: ['n', 'square'],
  },
});

registerMCPTool('bad_output', 'Returns what its outputSchema forbids', { type: 'object' },
  () => ({ n: 'not a number' }),
  { outputSchema: { type: 'object', properties: { n: { type: 'integer' } } } });

registerMCPTool('fail', 'Always throws', { type: 'object' }, () => {
  throw new Error('the tool failed on purpose');
});

registerMCPTool('image', 'Content passes through', { type: 'object' }, () => ({
  content: [
    { type: 'text', text: 'a pixel' },
    { type: 'image', data: 'iVBORw0KGgo=', mimeType: 'image/png' },
  ],
}));

registerMCPTool('count', 'Reports progress', {
  type: 'object', properties: { to: { type: 'integer' } }, required: ['to'],
}, async (args, ctx) => {
  for (let i = 1; i <= args.to; i++) {
    await sleep(10);
    ctx.progress(i, args.to, 'step ' + i);
  }
  // The engine writes each progress notification before the result, but the
  // TypeScript v2 client runs notification handlers a microtask later and
  // drops the call's progress handler as soon as the result is parsed: a
  // last notification that arrives in the same read as the result is lost
  // (seen in CI over stdio, 2026-12-05). Keep them apart in time.
  await sleep(20);
  return 'counted to ' + args.to;
});

registerMCPTool('slow', 'Waits until cancelled, then records it', {
  type: 'object', properties: { id: { type: 'string' } }, required: ['id'],
}, async (args, ctx) => {
  for (let i = 0; i < 1000 && !ctx.signal.aborted; i++) await sleep(20);
  await kv.set(['cancelled', args.id], ctx.signal.aborted);
  return 'finished';
});

registerMCPTool('wait_abort', 'Waits for the abort event of ctx.signal, then records its reason', {
  type: 'object', properties: { id: { type: 'string' } }, required: ['id'],
}, (args, ctx) => new Promise((resolve) => {
  let fired = 0;
  ctx.signal.onabort = () => { fired++; };
  ctx.signal.addEventListener('abort', async () => {
    fired++;
    await kv.set(['cancelled', args.id], {
      event: fired, aborted: ctx.signal.aborted, reason: String(ctx.signal.reason && ctx.signal.reason.message),
    });
    resolve('aborted');
  });
}));

registerMCPTool('busy', 'Keeps its JS worker busy (no await) for ms milliseconds', {
  type: 'object', properties: { ms: { type: 'integer' } }, required: ['ms'],
}, (args) => {
  const end = Date.now() + args.ms;
  while (Date.now() < end) { /* busy */ }
  return 'done';
});

registerMCPTool('cancel_record', 'What a cancelled call recorded under id (for stdio, where no route is reachable)', {
  type: 'object', properties: { id: { type: 'string' } }, required: ['id'],
}, async (args) => {
  const e = await kv.get(['cancelled', args.id]);
  return JSON.stringify(e.value === undefined ? null : e.value);
});

registerMCPTool('chatty', 'Logs at four levels through ctx.log', { type: 'object' }, (args, ctx) => {
  ctx.log('debug', 'a detail');
  ctx.log('info', { step: 1 }, 'chatty');
  ctx.log('warning', 'careful');
  ctx.log('error', 'it broke');
  if (args.bad) ctx.log('loud', 'x');
  return 'logged';
});

register('/mcp-test/cancelled', async (req) => {
  const e = await kv.get(['cancelled', req.query.id]);
  return { status: 200, body: JSON.stringify(e.value === undefined ? null : e.value) };
});

// Resources and prompts (REQ-MCP-004/005).
registerMCPResource('memo://index', 'index', 'All note ids', () => JSON.stringify(['1', '2']),
  { mimeType: 'application/json' });
registerMCPResource('memo://{id}', 'note', 'One note by id', (req) => ({ text: 'memo ' + req.params.id }),
  { mimeType: 'text/plain', complete: (a) => ['1', '2', '10'].filter((v) => v.startsWith(a.value)) });
registerMCPResource('pixel://one', 'pixel', 'A blob', () => ({ blob: 'iVBORw0KGgo=', mimeType: 'image/png' }));
registerMCPTool('touch', 'Marks a note changed', {
  type: 'object', properties: { id: { type: 'string' } }, required: ['id'],
}, (args) => { notifyMCPResourceUpdated('memo://' + args.id); return 'ok'; });
registerMCPPrompt('summarize', 'Summarize a note', [
  { name: 'id', description: 'note id', required: true },
  { name: 'style', description: 'short or long' },
], (args) => 'Summarize note ' + args.id + ' in a ' + (args.style || 'short') + ' style.',
{ complete: (a) => (a.argument === 'style' ? ['short', 'long'].filter((v) => v.startsWith(a.value)) : []) });
