// A small MCP client for the admin UI's MCP page: JSON-RPC over the
// engine's own Streamable HTTP endpoint (/mcp), protocol revision
// 2025-06-18, authenticated by the session cookie. An answer comes as JSON
// or as a Server-Sent Events stream that ends with it; both are read.

const PROTOCOL = '2025-06-18';

export class McpError extends Error {
  constructor(message, code) {
    super(message);
    this.code = code;
  }
}

export class McpClient {
  constructor(path = '/mcp') {
    this.path = path;
    this.session = null;
    this.nextId = 1;
    this.server = null;
  }

  async connect() {
    const init = await this.request('initialize', {
      protocolVersion: PROTOCOL,
      capabilities: {},
      clientInfo: { name: 'aiwebengine-admin-ui', version: '1' },
    });
    this.server = init;
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return init;
  }

  // Ends the session (DELETE), so the server forgets it at once.
  async close() {
    if (!this.session) return;
    const headers = this.headers();
    this.session = null;
    await fetch(this.path, { method: 'DELETE', headers, credentials: 'same-origin' }).catch(() => {});
  }

  headers() {
    const h = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-protocol-version': PROTOCOL };
    if (this.session) h['mcp-session-id'] = this.session;
    return h;
  }

  async request(method, params) {
    const id = this.nextId++;
    const messages = await this.post({ jsonrpc: '2.0', id, method, params });
    const answer = messages.find((m) => m.id === id);
    if (!answer) throw new McpError(`${method}: the server sent no answer`);
    if (answer.error) throw new McpError(`${method}: ${answer.error.message}`, answer.error.code);
    return answer.result;
  }

  // Every page of a list method (`tools/list` ...), concatenated.
  async list(method, key) {
    const all = [];
    let cursor;
    do {
      const page = await this.request(method, cursor ? { cursor } : {});
      all.push(...(page[key] || []));
      cursor = page.nextCursor;
    } while (cursor);
    return all;
  }

  async post(message) {
    let res;
    try {
      res = await fetch(this.path, { method: 'POST', headers: this.headers(), body: JSON.stringify(message), credentials: 'same-origin', cache: 'no-store' });
    } catch (e) {
      throw new McpError(`Could not reach ${this.path} (${e.message}).`);
    }
    const sid = res.headers.get('mcp-session-id');
    if (sid) this.session = sid;
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300);
      try { detail = JSON.parse(text).error.message || detail; } catch { /* not JSON */ }
      throw new McpError(`${this.path} answered ${res.status}${detail ? `: ${detail}` : ''}`);
    }
    if (!text) return [];
    const type = res.headers.get('content-type') || '';
    return type.includes('text/event-stream') ? sseMessages(text) : [JSON.parse(text)].flat();
  }
}

// The JSON messages of an SSE body (`data:` lines, events split by a blank line).
export function sseMessages(text) {
  const out = [];
  for (const event of text.split(/\r?\n\r?\n/)) {
    const data = event.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, '')).join('\n');
    if (!data.trim()) continue;
    try { out.push(JSON.parse(data)); } catch { /* a keep-alive or a non-JSON event */ }
  }
  return out;
}
