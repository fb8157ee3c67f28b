import { api } from '../api.js';
import { BASE, h, clear, notice, time } from '../dom.js';

function uptime(s) {
  const d = Math.floor(s / 86400), hr = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${hr} h`;
  if (hr) return `${hr} h ${m} min`;
  if (m) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

function card(label, value, detail) {
  return h('div', { class: 'card' }, h('div', { class: 'card-label' }, label),
    h('div', { class: 'card-value' }, value), detail ? h('div', { class: 'card-detail' }, detail) : null);
}

export function dashboardPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const cards = h('div', { class: 'cards' }, h('p', { class: 'muted' }, 'Loading…'));
  const errors = h('div');
  clear(main, h('h1', null, 'Dashboard'), msg, cards,
    h('h2', null, 'Recent errors'), errors);
  load();
  async function load() {
    const [health, list, logs] = await Promise.allSettled([
      fetch('/health', { cache: 'no-store' }).then((r) => r.json()),
      api('GET', '/engine/api/scripts'),
      api('GET', '/engine/api/logs?limit=500'),
    ]);
    const failed = [health, list, logs].filter((r) => r.status === 'rejected');
    if (failed.length) notice(msg, 'error', failed.map((r) => r.reason.message).join(' · '));
    const hv = health.value || {};
    const scripts = (list.value && list.value.scripts) || [];
    const enabled = scripts.filter((s) => s.enabled);
    const routes = enabled.reduce((n, s) => n + s.routes.length, 0);
    clear(cards,
      card('Version', hv.version || '?', hv.commit ? `commit ${hv.commit}, built ${hv.build_date}` : null),
      card('Uptime', hv.uptime_seconds != null ? uptime(hv.uptime_seconds) : '?', `status ${hv.status || '?'}, store ${hv.store || '?'}`),
      card('Scripts', String(hv.scripts ?? scripts.length), h('a', { href: `${BASE}/scripts` }, `${enabled.length} enabled`)),
      card('Routes', String(routes), h('a', { href: `${BASE}/routes` }, 'served by enabled scripts')));
    const entries = ((logs.value && logs.value.entries) || []).filter((e) => e.level === 'error').slice(0, 5);
    clear(errors, entries.length === 0
      ? h('p', { class: 'muted' }, 'No errors in the script logs.')
      : h('ul', { class: 'plain-list' }, entries.map((e) => h('li', null,
        time(e.time), ' ', h('a', { href: `${BASE}/scripts/${encodeURIComponent(e.script)}` }, e.script), ': ',
        h('code', null, e.message.split('\n')[0])))),
    h('p', null, h('a', { href: `${BASE}/logs` }, 'All logs →')));
  }
}
