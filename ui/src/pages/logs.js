// Script logs, polled every 2 s (live SSE comes with the events work).
import { api } from '../api.js';
import { BASE, h, clear, notice, hideNotice } from '../dom.js';

const LEVELS = ['debug', 'log', 'info', 'warn', 'error'];
const POLL_MS = 2000;

export function logsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const script = h('select', { id: 'log-script' }, h('option', { value: '' }, 'All scripts'));
  const level = h('select', { id: 'log-level' },
    LEVELS.map((l, i) => h('option', { value: l }, i === 0 ? 'all levels' : `${l} and above`)));
  const pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const status = h('span', { class: 'muted', 'aria-live': 'off' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  clear(main, h('h1', null, 'Logs'),
    h('div', { class: 'filters' },
      h('label', { for: 'log-script' }, 'Script'), script,
      h('label', { for: 'log-level' }, 'Level'), level,
      pause, status),
    msg, body);

  let entries = [];
  let paused = false;
  let timer = null;
  let stopped = false;
  let lastKey = '';

  api('GET', '/engine/api/scripts').then(({ scripts }) => {
    for (const s of scripts) script.append(h('option', { value: s.name }, s.name));
  }).catch(() => {});

  const draw = () => {
    const min = LEVELS.indexOf(level.value);
    const shown = entries.filter((e) => LEVELS.indexOf(e.level) >= min);
    clear(body, shown.length === 0 ? h('p', { class: 'muted' }, 'No log entries match.')
      : h('div', { class: 'table-wrap' }, h('table', { class: 'list logs' },
        h('caption', { class: 'sr-only' }, 'Log entries, newest first'),
        h('thead', null, h('tr', null, ['Time', 'Level', 'Script', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, shown.map((e) => h('tr', { class: `level-${e.level}` },
          h('td', { 'data-label': 'Time', class: 'nowrap' }, h('time', { datetime: e.time, title: e.time }, new Date(e.time).toLocaleTimeString())),
          h('td', { 'data-label': 'Level' }, h('span', { class: `badge badge-level-${e.level}` }, e.level)),
          h('td', { 'data-label': 'Script' }, h('a', { href: `${BASE}/scripts/${encodeURIComponent(e.script)}` }, e.script)),
          h('td', { 'data-label': 'Message' }, h('pre', { class: 'log-message' }, e.message),
            e.request_id ? h('div', { class: 'muted small' }, `request ${e.request_id}`) : null)))))));
  };

  async function poll() {
    timer = null;
    if (stopped) return;
    const q = new URLSearchParams({ limit: '500' });
    if (script.value) q.set('script', script.value);
    try {
      const data = await api('GET', `/engine/api/logs?${q}`);
      if (stopped) return;
      hideNotice(msg);
      const key = JSON.stringify([script.value, data.entries.length, data.entries[0]]);
      entries = data.entries;
      if (key !== lastKey) draw();
      lastKey = key;
      status.textContent = `updated ${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (stopped) return;
      notice(msg, 'error', `Could not load the logs: ${e.message}`);
    }
    if (!paused && !stopped) timer = setTimeout(poll, POLL_MS);
  }

  script.addEventListener('change', () => { lastKey = ''; if (timer) clearTimeout(timer); poll(); });
  level.addEventListener('change', draw);
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (paused) { if (timer) clearTimeout(timer); timer = null; status.textContent = 'paused'; } else poll();
  });
  poll();
  return () => { stopped = true; if (timer) clearTimeout(timer); };
}
