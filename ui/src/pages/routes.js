import { api } from '../api.js';
import { BASE, h, clear, notice } from '../dom.js';
import { statusBadge } from './scripts.js';

export function routesPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const filter = h('input', { id: 'route-filter', type: 'search', placeholder: 'path, method or script' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  clear(main, h('h1', null, 'Routes'),
    h('p', { class: 'muted' }, 'Every route that a script registers. Routes of disabled scripts answer 404 until the script is enabled.'),
    h('div', { class: 'filters' }, h('label', { for: 'route-filter' }, 'Filter'), filter),
    msg, body);
  let rows = [];
  const draw = () => {
    const q = filter.value.trim().toLowerCase();
    const shown = rows.filter((r) => !q || `${r.method} ${r.path} ${r.script.name}`.toLowerCase().includes(q));
    clear(body, shown.length === 0 ? h('p', { class: 'muted' }, rows.length ? 'No route matches the filter.' : 'No script registers a route yet.')
      : h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
        h('caption', { class: 'sr-only' }, 'Routes'),
        h('thead', null, h('tr', null, ['Method', 'Path', 'Script', 'Status'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, shown.map((r) => h('tr', null,
          h('td', { 'data-label': 'Method' }, h('span', { class: 'method' }, r.method)),
          h('td', { 'data-label': 'Path' }, h('code', null, r.path)),
          h('td', { 'data-label': 'Script' }, h('a', { href: `${BASE}/scripts/${encodeURIComponent(r.script.name)}` }, r.script.name)),
          h('td', { 'data-label': 'Status' }, statusBadge(r.script))))))));
  };
  filter.addEventListener('input', draw);
  api('GET', '/engine/api/scripts').then(({ scripts }) => {
    rows = scripts.flatMap((s) => s.routes.map((r) => ({ ...r, script: s })))
      .sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
    draw();
  }).catch((e) => { clear(body); notice(msg, 'error', e.message); });
}
