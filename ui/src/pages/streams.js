import { api } from '../api.js';
import { BASE, h, clear, notice } from '../dom.js';

// Live SSE streams and GraphQL subscription topics with their connection
// counts (GET /engine/api/streams), refreshed every 2 s.
export function streamsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  clear(main, h('h1', null, 'Streams'),
    h('p', { class: 'muted' }, 'Server-Sent Events streams registered with registerWebStream, and GraphQL subscriptions, with the clients connected now.'),
    msg, body);
  const table = (caption, heads, rows) => h('div', { class: 'table-wrap' }, h('table', { class: 'list' },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows)));
  const load = () => api('GET', '/engine/api/streams').then(({ streams, subscriptions = [] }) => {
    msg.hidden = true;
    clear(body,
      h('h2', null, 'SSE streams'),
      streams.length === 0 ? h('p', { class: 'muted' }, 'No enabled script registers a stream.')
        : table('SSE streams', ['Path', 'Script', 'Connections'], streams.map((s) => h('tr', null,
          h('td', { 'data-label': 'Path' }, h('code', null, s.path)),
          h('td', { 'data-label': 'Script' }, h('a', { href: `${BASE}/scripts/${encodeURIComponent(s.script)}` }, s.script)),
          h('td', { 'data-label': 'Connections', class: 'num' }, String(s.connections))))),
      h('h2', null, 'GraphQL subscriptions'),
      subscriptions.length === 0 ? h('p', { class: 'muted' }, 'No GraphQL subscription has subscribers.')
        : table('GraphQL subscriptions', ['Subscription', 'Subscribers'], subscriptions.map((s) => h('tr', null,
          h('td', { 'data-label': 'Subscription' }, h('code', null, s.name)),
          h('td', { 'data-label': 'Subscribers', class: 'num' }, String(s.subscribers))))));
  }).catch((e) => notice(msg, 'error', e.message));
  load();
  const timer = setInterval(load, 2000);
  return () => clearInterval(timer);
}
