// A notes server for AI clients over MCP (docs/mcp.md).
// Enable it, then point an MCP client at http://localhost:8080/mcp with
// "Authorization: Bearer TOKEN" (or run `aiwebengine mcp --data FILE`).
// Notes live in this script's kv data.

registerMCPTool('example_add_note', 'Store a note and return its id', {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 1, description: 'Short title' },
    body: { type: 'string', description: 'The note text' },
  },
  required: ['title', 'body'],
}, async (args) => {
  const id = crypto.randomUUID().slice(0, 8);
  await kv.set(['note', id], { id, title: args.title, body: args.body });
  notifyMCPResourceUpdated('note://' + id);
  return { id, title: args.title };
}, {
  title: 'Add a note',
  outputSchema: {
    type: 'object',
    properties: { id: { type: 'string' }, title: { type: 'string' } },
    required: ['id', 'title'],
  },
});

registerMCPTool('example_list_notes', 'List the stored notes (id and title)', { type: 'object' },
  async () => {
    const notes = [];
    for await (const e of kv.list({ prefix: ['note'] })) notes.push({ id: e.value.id, title: e.value.title });
    return { notes };
  }, { annotations: { readOnlyHint: true } });

async function noteIds() {
  const ids = [];
  for await (const e of kv.list({ prefix: ['note'] })) ids.push(e.value.id);
  return ids;
}

// A templated resource: `note://{id}`; the client may complete the id.
registerMCPResource('note://{id}', 'note', 'One note as Markdown', async (req) => {
  const e = await kv.get(['note', req.params.id]);
  if (!e.value) throw new Error('no note ' + req.params.id);
  return { text: '# ' + e.value.title + '\n\n' + e.value.body };
}, {
  mimeType: 'text/markdown',
  complete: async (a) => (await noteIds()).filter((id) => id.startsWith(a.value)),
});

registerMCPPrompt('example_summarize_note', 'Ask the model to summarize a note', [
  { name: 'id', description: 'The note id', required: true },
  { name: 'length', description: 'short or detailed' },
], async (args) => {
  const e = await kv.get(['note', args.id]);
  const text = e.value ? e.value.body : '(no such note)';
  return 'Summarize this note in a ' + (args.length || 'short') + ' way:\n\n' + text;
}, { complete: (a) => (a.argument === 'length' ? ['short', 'detailed'].filter((v) => v.startsWith(a.value)) : []) });
