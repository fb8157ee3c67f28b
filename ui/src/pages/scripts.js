import { api } from '../api.js';
import { BASE, h, clear, notice, takeFlash, time, badge, bytes } from '../dom.js';
import { ownerText } from './access.js';

export function statusBadge(s) {
  if (s.error) return badge('Error', 'error');
  return s.enabled ? badge('Enabled', 'ok') : badge('Disabled', 'off');
}

const ALL_METHODS = 7;

// One entry per path, with its methods: an app mounted at /app registers
// all seven methods on /app and /app/*, shown as "ANY /app" and "ANY /app/*".
export function routeList(routes) {
  if (!routes.length) return h('span', { class: 'muted' }, 'none');
  const byPath = new Map();
  for (const r of routes) {
    const key = (r.stream ? 'stream ' : '') + r.path;
    if (!byPath.has(key)) byPath.set(key, { path: r.path, stream: r.stream, methods: [] });
    byPath.get(key).methods.push(r.method);
  }
  return h('ul', { class: 'routes-inline' }, [...byPath.values()].map((r) =>
    h('li', null,
      h('span', { class: 'method', title: r.methods.join(', ') }, r.methods.length === ALL_METHODS ? 'ANY' : r.methods.join(' ')),
      ' ', h('code', null, r.path),
      r.stream ? h('span', { class: 'badge badge-off', title: 'a Server-Sent Events stream' }, 'stream') : null)));
}

export function scriptsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const flash = takeFlash();
  if (flash) notice(msg, 'ok', flash);
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  clear(main,
    h('div', { class: 'page-head' }, h('h1', null, 'Scripts'),
      h('a', { class: 'button primary', href: `${BASE}/scripts/new` }, 'New script')),
    msg, body);
  api('GET', '/engine/api/scripts').then(({ scripts }) => {
    if (!scripts.length) {
      clear(body, h('p', null, 'No scripts yet. ', h('a', { href: `${BASE}/scripts/new` }, 'Create the first one.')));
      return;
    }
    clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
      h('caption', { class: 'sr-only' }, 'Scripts'),
      h('thead', null, h('tr', null, ['Name', 'Status', 'Owner', 'Routes', 'Version', 'Updated'].map((t) =>
        h('th', { scope: 'col', class: `col-${t.toLowerCase()}` }, t)))),
      h('tbody', null, scripts.map((s) => h('tr', null,
        h('th', { scope: 'row', 'data-label': 'Name' }, h('a', { href: `${BASE}/scripts/${encodeURIComponent(s.name)}` }, s.name)),
        h('td', { 'data-label': 'Status' }, statusBadge(s)),
        h('td', { 'data-label': 'Owner', class: 'col-owner' }, s.owner || s.owner_group ? ownerText(s) : h('span', { class: 'muted' }, ownerText(s)),
          s.grants && s.grants.length ? h('div', { class: 'muted small' }, `+ ${s.grants.length} grant${s.grants.length === 1 ? '' : 's'}`) : null),
        h('td', { 'data-label': 'Routes' }, routeList(s.routes)),
        h('td', { 'data-label': 'Version', class: 'col-version' }, `v${s.version}`, h('span', { class: 'muted' }, ` · ${bytes(s.size)}`)),
        h('td', { 'data-label': 'Updated', class: 'col-updated' }, time(s.updated_at))))))));
  }).catch((e) => { clear(body); notice(msg, 'error', e.message); });
}
