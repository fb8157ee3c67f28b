import { api, currentUser, isEditor } from '../api.js';
import { BASE, h, clear, notice, time, bytes } from '../dom.js';

function uptime(s) {
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

const count = (n) => (n == null ? '?' : Number(n).toLocaleString('en'));

function card(label, value, detail) {
  return h('div', { class: 'card' }, h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value), detail ? h('div', { class: 'card-detail' }, detail) : null);
}

export function dashboardPage({ main }) {
  const me = currentUser();
  const msg = h('div', { class: 'notice', hidden: true });
  const cards = h('div', { class: 'cards' }, h('p', { class: 'muted' }, 'Loading…'));
  const errors = h('div');
  if (!isEditor()) {
    // An "authenticated" account: no scripts to show.
    clear(main, h('h1', null, 'Dashboard'),
      h('div', { class: 'notice notice-info', role: 'status' },
        `You are logged in as ${me.email} with the role "${me.role}". Writing scripts needs the editor role: ask an administrator. `,
        'You can manage ', h('a', { href: `${BASE}/tokens` }, 'your API tokens'), ' and ',
        h('a', { href: `${BASE}/sessions` }, 'your sessions'), '.'));
    return undefined;
  }
  clear(main, h('h1', null, 'Dashboard'), msg, cards,
    h('h2', null, 'Recent errors'), errors);
  let stopped = false;
  load();
  const timer = setInterval(() => { if (!document.hidden) load(); }, 10_000);

  async function load() {
    const [status, list, logs] = await Promise.allSettled([
      api('GET', '/engine/api/status'),
      api('GET', '/engine/api/scripts'),
      api('GET', '/engine/api/logs?limit=500'),
    ]);
    if (stopped) return;
    const failed = [status, list, logs].filter((r) => r.status === 'rejected');
    if (failed.length) notice(msg, 'error', failed.map((r) => r.reason.message).join('\n'));
    else msg.hidden = true;
    const st = status.value || {};
    const req = st.requests || {};
    const scripts = (list.value && list.value.scripts) || [];
    const enabled = scripts.filter((s) => s.enabled);
    const broken = scripts.filter((s) => s.error);
    const routes = enabled.reduce((n, s) => n + s.routes.length, 0);
    clear(cards,
      card('Version', st.version || '?', st.commit ? `commit ${st.commit}, built ${st.build_date}` : null),
      card('Uptime', st.uptime_seconds != null ? uptime(st.uptime_seconds) : '?',
        st.memory_bytes ? `memory ${bytes(st.memory_bytes)}, data file ${bytes(st.store_bytes || 0)}` : null),
      card('Scripts', String(scripts.length), h('a', { href: `${BASE}/scripts` },
        `${enabled.length} enabled${broken.length ? `, ${broken.length} with errors` : ''}`)),
      card('Routes', String(routes), h('a', { href: `${BASE}/routes` }, 'served by enabled scripts')),
      card('Requests', count(req.total),
        req.total != null ? `${count(req['2xx'])} 2xx · ${count(req['4xx'])} 4xx · ${count(req['5xx'])} 5xx · mean ${Number(req.mean_ms).toFixed(1)} ms` : null),
      card('Script runs', count(st.script_runs),
        st.script_runs != null ? `${count(st.script_failures)} failed · ${count(st.sse_connections)} open streams` : null));
    const entries = ((logs.value && logs.value.entries) || []).filter((e) => e.level === 'error').slice(0, 5);
    clear(errors, entries.length === 0
      ? h('p', { class: 'muted' }, logs.status === 'rejected' ? 'The logs could not be read.' : 'No errors in the script logs.')
      : h('ul', { class: 'plain-list' }, entries.map((e) => h('li', null,
        time(e.time), ' ', h('a', { href: `${BASE}/scripts/${encodeURIComponent(e.script)}` }, e.script), ': ',
        h('code', null, e.message.split('\n')[0])))),
    h('p', null, h('a', { href: `${BASE}/logs` }, 'All logs →')));
  }
  return () => { stopped = true; clearInterval(timer); };
}
