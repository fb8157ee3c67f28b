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
  return 'counted to ' + args.to;
});

registerMCPTool('slow', 'Waits until cancelled, then records it', {
  type: 'object', properties: { id: { type: 'string' } }, required: ['id'],
}, async (args, ctx) => {
  for (let i = 0; i < 1000 && !ctx.signal.aborted; i++) await sleep(20);
  await kv.set(['cancelled', args.id], ctx.signal.aborted);
  return 'finished';
});

register('/mcp-test/cancelled', async (req) => {
  const e = await kv.get(['cancelled', req.query.id]);
  return { status: 200, body: JSON.stringify(e.value === undefined ? null : e.value) };
});
