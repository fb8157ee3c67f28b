// The MCP page: what the engine serves at /mcp (tools, resources, resource
// templates, prompts, with their schemas), a form to call a tool and one to
// read a resource. It talks MCP itself, as the logged-in user, so it shows
// exactly what an AI client with that user's rights would see.
import { BASE, h, clear, notice, hideNotice, badge, time } from '../dom.js';
import { api, isAdmin } from '../api.js';
import { McpClient } from '../mcp-client.js';

const json = (v) => JSON.stringify(v, null, 2);

function schemaBlock(label, schema) {
  if (!schema) return null;
  return h('details', { class: 'schema' }, h('summary', null, label), h('pre', { class: 'try-body' }, json(schema)));
}

function hintBadges(a) {
  if (!a) return [];
  const out = [];
  if (a.readOnlyHint) out.push(badge('read-only', 'ok'));
  if (a.destructiveHint && !a.readOnlyHint) out.push(badge('destructive', 'warn'));
  if (a.idempotentHint) out.push(badge('idempotent', 'off'));
  return out;
}

// Arguments to start from: each required property, with a placeholder of its type.
export function skeleton(schema) {
  const out = {};
  const props = (schema && schema.properties) || {};
  for (const name of (schema && schema.required) || []) {
    const t = [].concat((props[name] || {}).type || 'string')[0];
    out[name] = { string: '', integer: 0, number: 0, boolean: false, array: [], object: {} }[t] ?? null;
  }
  return out;
}

function toolsTable(tools) {
  if (!tools.length) return h('p', { class: 'muted' }, 'No tools: no script registers one, and the admin tools are off (mcp.admin_tools) or not for your role.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('caption', { class: 'sr-only' }, 'Tools'),
    h('thead', null, h('tr', null, ['Tool', 'Description', 'Schemas'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, tools.map((t) => h('tr', { 'data-tool': t.name },
      h('td', { 'data-label': 'Tool' }, h('code', null, t.name), t.title ? h('div', { class: 'muted small' }, t.title) : null, ...hintBadges(t.annotations)),
      h('td', { 'data-label': 'Description' }, t.description || ''),
      h('td', { 'data-label': 'Schemas' }, schemaBlock('Input', t.inputSchema), schemaBlock('Output', t.outputSchema)))))));
}

function resourcesTable(resources, templates) {
  const rows = [...resources.map((r) => ({ ...r, key: r.uri })), ...templates.map((t) => ({ ...t, key: t.uriTemplate }))];
  if (!rows.length) return h('p', { class: 'muted' }, 'No resources: no script registers one.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('caption', { class: 'sr-only' }, 'Resources'),
    h('thead', null, h('tr', null, ['URI', 'Name', 'Type', 'Description'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((r) => h('tr', null,
      h('td', { 'data-label': 'URI' }, h('code', null, r.key), r.uriTemplate ? h('div', { class: 'muted small' }, 'template') : null),
      h('td', { 'data-label': 'Name' }, r.title || r.name || ''),
      h('td', { 'data-label': 'Type' }, r.mimeType || ''),
      h('td', { 'data-label': 'Description' }, r.description || ''))))));
}

function promptsTable(prompts) {
  if (!prompts.length) return h('p', { class: 'muted' }, 'No prompts: no script registers one.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('caption', { class: 'sr-only' }, 'Prompts'),
    h('thead', null, h('tr', null, ['Prompt', 'Description', 'Arguments'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, prompts.map((p) => h('tr', null,
      h('td', { 'data-label': 'Prompt' }, h('code', null, p.name)),
      h('td', { 'data-label': 'Description' }, p.description || ''),
      h('td', { 'data-label': 'Arguments' }, (p.arguments || []).map((a) => h('div', null, h('code', null, a.name), a.required ? ' (required)' : '', a.description ? ` — ${a.description}` : ''))))))));
}

function callForm(client, tools) {
  const msg = h('div', { class: 'notice', hidden: true });
  const pick = h('select', { id: 'mcp-tool' }, tools.map((t) => h('option', { value: t.name }, t.name)));
  const args = h('textarea', { id: 'mcp-args', rows: '6', spellcheck: 'false' });
  const out = h('div', { class: 'try-out', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Call');
  const fill = () => { args.value = json(skeleton((tools.find((t) => t.name === pick.value) || {}).inputSchema)); };
  pick.addEventListener('change', fill);
  fill();
  const form = h('form', { class: 'try', id: 'mcp-call' },
    h('div', { class: 'field' }, h('label', { for: 'mcp-tool' }, 'Tool'), pick),
    h('div', { class: 'field' }, h('label', { for: 'mcp-args' }, 'Arguments (JSON)'), args), send, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(msg);
    let parsed;
    try { parsed = JSON.parse(args.value || '{}'); } catch (err) { notice(msg, 'error', `The arguments are not JSON: ${err.message}`); return; }
    send.disabled = true;
    try {
      const r = await client.request('tools/call', { name: pick.value, arguments: parsed });
      const texts = (r.content || []).filter((c) => c.type === 'text').map((c) => c.text);
      clear(out,
        h('p', { class: 'try-status' }, r.isError ? badge('error', 'error') : badge('ok', 'ok')),
        r.structuredContent !== undefined ? h('pre', { class: 'try-body', id: 'mcp-result' }, json(r.structuredContent))
          : h('pre', { class: 'try-body', id: 'mcp-result' }, texts.join('\n')));
    } catch (err) {
      notice(msg, 'error', err.message);
    } finally {
      send.disabled = false;
    }
  });
  return h('div', null, form, out);
}

function readForm(client, resources) {
  const msg = h('div', { class: 'notice', hidden: true });
  const uri = h('input', { id: 'mcp-uri', type: 'text', list: 'mcp-uris', spellcheck: 'false', autocomplete: 'off', value: resources[0]?.uri || '' });
  const uris = h('datalist', { id: 'mcp-uris' }, resources.map((r) => h('option', { value: r.uri })));
  const out = h('div', { class: 'try-out', 'aria-live': 'polite' });
  const send = h('button', { type: 'submit', class: 'primary' }, 'Read');
  const form = h('form', { class: 'try', id: 'mcp-read' },
    h('div', { class: 'field' }, h('label', { for: 'mcp-uri' }, 'Resource URI (a template filled in, too)'), uri, uris), send, msg);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(msg);
    send.disabled = true;
    try {
      const r = await client.request('resources/read', { uri: uri.value.trim() });
      clear(out, (r.contents || []).map((c) => h('div', null,
        h('p', { class: 'muted small' }, `${c.uri}${c.mimeType ? ` (${c.mimeType})` : ''}`),
        h('pre', { class: 'try-body' }, c.text !== undefined ? c.text : `${(c.blob || '').length} base64 characters`))));
    } catch (err) {
      notice(msg, 'error', err.message);
    } finally {
      send.disabled = false;
    }
  });
  return h('div', null, form, out);
}

// The connected sessions (admins): 2025-revision sessions with their
// client, protocol, user and activity. 2026-07-28 clients are stateless.
function sessionsTable(sessions) {
  if (!sessions.length) return h('p', { class: 'muted' }, 'No connected sessions.');
  const iso = (ms) => new Date(ms).toISOString();
  return h('div', { class: 'table-wrap' }, h('table', { class: 'list', id: 'mcp-sessions' },
    h('caption', { class: 'sr-only' }, 'Connected sessions'),
    h('thead', null, h('tr', null, ['Client', 'User', 'Protocol', 'Connected', 'Last active', 'Requests', 'Session'].map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, sessions.map((s) => h('tr', { 'data-session': s.id },
      h('td', { 'data-label': 'Client' }, `${s.client_name} ${s.client_version}`.trim()),
      h('td', { 'data-label': 'User' }, s.user || h('span', { class: 'muted' }, 'anonymous')),
      h('td', { 'data-label': 'Protocol' }, s.protocol_version),
      h('td', { 'data-label': 'Connected' }, time(iso(s.started_at))),
      h('td', { 'data-label': 'Last active' }, time(iso(s.last_active_at))),
      h('td', { 'data-label': 'Requests' }, String(s.requests)),
      h('td', { 'data-label': 'Session' }, h('code', { class: 'small' }, s.id.slice(0, 8))))))));
}

async function sessionsSection() {
  if (!isAdmin()) return null;
  const box = h('section', { id: 'mcp-sessions-section' }, h('h2', null, 'Connected sessions'));
  const refresh = h('button', { type: 'button' }, 'Refresh');
  const holder = h('div');
  const load = async () => {
    try {
      const r = await api('GET', '/engine/api/mcp/sessions', { quiet: true });
      clear(holder, sessionsTable(r.sessions || []));
    } catch (e) {
      clear(holder, h('p', { class: 'notice error' }, e.message));
    }
  };
  refresh.addEventListener('click', load);
  await load();
  box.append(h('p', { class: 'muted small' }, 'MCP sessions (protocol 2025-06-18 and 2025-11-25) connected now; 2026-07-28 clients are stateless and not listed. ', refresh), holder);
  return box;
}

export function mcpPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', null, h('p', { class: 'muted' }, 'Connecting to /mcp…'));
  clear(main, h('h1', null, 'MCP'),
    h('p', { class: 'muted' }, 'What AI clients see at ', h('code', null, '/mcp'), ' with your rights: the tools, resources and prompts that scripts register, and the engine\'s own admin tools when they are on. ',
      h('a', { href: `${BASE}/scripts` }, 'Scripts'), ' register them with registerMCPTool, registerMCPResource and registerMCPPrompt.'),
    msg, body);
  const client = new McpClient();
  const load = async () => {
    const init = await client.connect();
    const caps = init.capabilities || {};
    const [tools, resources, templates, prompts] = await Promise.all([
      caps.tools ? client.list('tools/list', 'tools') : [],
      caps.resources ? client.list('resources/list', 'resources') : [],
      caps.resources ? client.list('resources/templates/list', 'resourceTemplates') : [],
      caps.prompts ? client.list('prompts/list', 'prompts') : [],
    ]);
    const info = init.serverInfo || {};
    clear(body,
      h('p', { class: 'muted small', id: 'mcp-server' }, `Server ${info.name || ''} ${info.version || ''}, protocol ${init.protocolVersion}`),
      h('h2', null, `Tools (${tools.length})`), toolsTable(tools),
      tools.length ? h('section', null, h('h3', null, 'Call a tool'), callForm(client, tools)) : null,
      h('h2', null, `Resources (${resources.length + templates.length})`), resourcesTable(resources, templates),
      resources.length || templates.length ? h('section', null, h('h3', null, 'Read a resource'), readForm(client, resources)) : null,
      h('h2', null, `Prompts (${prompts.length})`), promptsTable(prompts),
      await sessionsSection());
  };
  load().catch((e) => { clear(body); notice(msg, 'error', e.message); });
  return () => { client.close(); };
}
