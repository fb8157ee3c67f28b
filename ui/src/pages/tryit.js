// "Try it": send a request to one of the script's routes and show the
// status, headers and body.
import { h, clear, notice, hideNotice } from '../dom.js';

const STREAM_MS = 3000;
const MAX_CHARS = 1_000_000;
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

export function tryPanel() {
  const msg = h('div', { class: 'notice', hidden: true });
  const route = h('select', { id: 'try-route' });
  const method = h('select', { id: 'try-method' }, METHODS.map((m) => h('option', { value: m }, m)));
  const path = h('input', { id: 'try-path', type: 'text', spellcheck: 'false', autocomplete: 'off' });
  const headers = h('textarea', { id: 'try-headers', rows: '2', spellcheck: 'false', placeholder: 'Accept: application/json' });
  const body = h('textarea', { id: 'try-body', rows: '4', spellcheck: 'false' });
  const bodyField = h('div', { class: 'field' }, h('label', { for: 'try-body' }, 'Body'), body);
  const send = h('button', { type: 'submit', class: 'primary' }, 'Send');
  const out = h('div', { class: 'try-out', 'aria-live': 'polite' });
  const note = h('p', { class: 'muted small' });
  const form = h('form', { class: 'try' },
    note,
    h('div', { class: 'field' }, h('label', { for: 'try-route' }, 'Route'), route),
    h('div', { class: 'field-row' }, h('label', { for: 'try-method', class: 'sr-only' }, 'Method'), method,
      h('label', { for: 'try-path', class: 'sr-only' }, 'Path and query'), path),
    h('div', { class: 'field' }, h('label', { for: 'try-headers' }, 'Headers (one "Name: value" a line)'), headers),
    bodyField, send, msg);
  const el = h('div', null, h('h2', { class: 'sr-only' }, 'Try it'), form, out);

  const syncBody = () => { bodyField.hidden = method.value === 'GET' || method.value === 'HEAD'; };
  method.addEventListener('change', syncBody);
  route.addEventListener('change', () => {
    const [m, p] = route.value.split(' ');
    method.value = m;
    path.value = p;
    syncBody();
  });

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(msg);
    const target = path.value.trim();
    if (!target.startsWith('/')) { notice(msg, 'error', 'The path must start with "/", for example /hello?name=you.'); return; }
    const hdrs = new Headers();
    try {
      for (const line of headers.value.split('\n')) {
        if (!line.trim()) continue;
        const i = line.indexOf(':');
        if (i < 1) throw new Error(`"${line}" is not a header line; write Name: value`);
        hdrs.append(line.slice(0, i).trim(), line.slice(i + 1).trim());
      }
    } catch (err) {
      notice(msg, 'error', err.message);
      return;
    }
    send.disabled = true;
    const started = performance.now();
    const ctrl = new AbortController();
    try {
      const res = await fetch(target, { method: method.value, headers: hdrs, cache: 'no-store', redirect: 'manual',
        body: bodyField.hidden ? undefined : body.value, credentials: 'same-origin', signal: ctrl.signal });
      const ms = Math.round(performance.now() - started);
      const { text, cut } = res.type === 'opaqueredirect' ? { text: '' } : await readBody(res, ctrl);
      show(res, text, ms, cut);
    } catch (err) {
      notice(msg, 'error', `The request failed: ${err.message}`);
    } finally {
      send.disabled = false;
    }
  });

  // A stream (SSE) never ends: show what came in the first seconds.
  async function readBody(res, ctrl) {
    if (!res.body) return { text: '' };
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let cut = null;
    const timer = setTimeout(() => {
      cut = `Stopped reading after ${STREAM_MS / 1000} s: the response was still streaming.`;
      ctrl.abort();
    }, STREAM_MS);
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        text += decoder.decode(value, { stream: true });
        if (text.length > MAX_CHARS) {
          cut = `Showing the first ${MAX_CHARS} characters.`;
          ctrl.abort();
          break;
        }
      }
    } catch (err) {
      if (!cut) throw err;
    } finally {
      clearTimeout(timer);
    }
    return { text, cut };
  }

  function show(res, text, ms, cut) {
    if (res.type === 'opaqueredirect') {
      clear(out, h('p', null, 'The route answered with a redirect; the browser hides its target. Try it with curl -i to see it.'));
      return;
    }
    let shown = text;
    const type = res.headers.get('content-type') || '';
    if (type.includes('json')) {
      try { shown = JSON.stringify(JSON.parse(text), null, 2); } catch { /* show as sent */ }
    }
    const kind = res.status < 300 ? 'ok' : res.status < 500 ? 'warn' : 'error';
    clear(out,
      h('h3', null, 'Response'),
      h('p', { class: 'try-status' }, h('span', { class: `badge badge-${kind}` }, `${res.status} ${res.statusText}`), ` in ${ms} ms`),
      h('details', { class: 'try-headers' }, h('summary', null, `Headers (${[...res.headers].length})`),
        h('table', { class: 'kv' }, h('tbody', null, [...res.headers].map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, k), h('td', null, v)))))),
      cut ? h('p', { class: 'muted small' }, cut) : null,
      h('pre', { class: 'try-body', tabindex: '0', 'aria-label': 'Response body' }, shown || '(empty body)'));
  }

  function update(s) {
    const prev = route.value;
    clear(route, s.routes.map((r) => h('option', { value: `${r.method} ${r.path}` }, `${r.method} ${r.path}`)));
    note.textContent = s.enabled ? (s.routes.length ? '' : 'This script registers no route.')
      : 'The script is disabled: its routes answer 404 until you enable it.';
    note.hidden = !note.textContent;
    if (!s.routes.length) return;
    if (prev && [...route.options].some((o) => o.value === prev)) route.value = prev;
    if (!path.value || route.value !== prev) route.dispatchEvent(new Event('change'));
  }

  syncBody();
  return { el, update };
}
