// Script logs, live: the newest page from GET /engine/api/logs, then every
// new entry as it is logged, over Server-Sent Events from
// GET /engine/api/logs/stream (same filters). The EventSource reconnects by
// itself; after a reconnect the page is fetched again to fill the gap.
import { api } from '../api.js';
import { BASE, h, clear, notice, hideNotice } from '../dom.js';

const LEVELS = ['debug', 'log', 'info', 'warn', 'error'];
const KEEP = 1000;
const PAGE = 500;

const keyOf = (e) => `${e.time}|${e.script}|${e.level}|${e.request_id || ''}|${e.message}`;

export function logsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const note = h('div', { class: 'notice', hidden: true });
  const script = h('select', { id: 'log-script' }, h('option', { value: '' }, 'All scripts'));
  const level = h('select', { id: 'log-level' },
    LEVELS.map((l, i) => h('option', { value: l }, i === 0 ? 'all levels' : `${l} and above`)));
  const pause = h('button', { type: 'button', 'aria-pressed': 'false' }, 'Pause');
  const state = h('span', { class: 'live-state', role: 'status', 'data-state': 'connecting' }, 'connecting…');
  const count = h('span', { class: 'muted small' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  clear(main,
    h('div', { class: 'page-head' }, h('div', null, h('h1', null, 'Logs'),
      h('p', { class: 'muted lead' }, 'What scripts log with console.*, newest first. New entries appear as they are logged.')),
    h('div', { class: 'toolbar' }, state)),
    h('div', { class: 'filters' },
      h('span', { class: 'filter' }, h('label', { for: 'log-script' }, 'Script'), script),
      h('span', { class: 'filter' }, h('label', { for: 'log-level' }, 'Level'), level),
      pause, count),
    msg, note, body);

  let entries = [];
  let seen = new Set();
  let source = null;
  let paused = false;
  let stopped = false;
  let generation = 0;
  let everOpen = false;
  let retry = null;
  let drawQueued = false;
  const fresh = new Set();

  const setState = (s, text) => {
    state.dataset.state = s;
    state.textContent = text;
  };

  api('GET', '/engine/api/scripts').then(({ scripts }) => {
    for (const s of scripts) script.append(h('option', { value: s.name }, s.name));
  }).catch(() => {});

  const wanted = (e) => LEVELS.indexOf(e.level) >= LEVELS.indexOf(level.value)
    && (!script.value || e.script === script.value);

  function add(list, { live }) {
    let added = 0;
    for (const e of list) {
      const k = keyOf(e);
      if (seen.has(k) || !wanted(e)) continue;
      seen.add(k);
      entries.push(e);
      if (live) fresh.add(k);
      added += 1;
    }
    if (!added) return;
    entries.sort((a, b) => (a.time < b.time ? 1 : a.time > b.time ? -1 : 0));
    if (entries.length > KEEP) {
      for (const e of entries.splice(KEEP)) seen.delete(keyOf(e));
    }
    queueDraw();
  }

  function queueDraw() {
    if (drawQueued) return;
    drawQueued = true;
    requestAnimationFrame(() => { drawQueued = false; draw(); });
  }

  function draw() {
    count.textContent = `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}`;
    if (!entries.length) {
      clear(body, h('p', { class: 'muted' }, 'No log entries match. New ones appear here as scripts log them.'));
      return;
    }
    clear(body, h('div', { class: 'table-wrap' }, h('table', { class: 'list logs' },
      h('caption', { class: 'sr-only' }, 'Log entries, newest first'),
      h('thead', null, h('tr', null, ['Time', 'Level', 'Script', 'Message'].map((t) => h('th', { scope: 'col' }, t)))),
      h('tbody', null, entries.map((e) => h('tr', { class: `level-${e.level}${fresh.has(keyOf(e)) ? ' fresh' : ''}` },
        h('td', { 'data-label': 'Time', class: 'nowrap' }, h('time', { datetime: e.time, title: e.time }, new Date(e.time).toLocaleTimeString())),
        h('td', { 'data-label': 'Level' }, h('span', { class: `badge badge-level-${e.level}` }, e.level)),
        h('td', { 'data-label': 'Script' }, h('a', { href: `${BASE}/scripts/${encodeURIComponent(e.script)}` }, e.script)),
        h('td', { 'data-label': 'Message' }, h('pre', { class: 'log-message' }, e.message),
          e.request_id ? h('div', { class: 'muted small' }, `request ${e.request_id}`) : null)))))));
    fresh.clear();
  }

  // The newest page, merged with what the stream already brought.
  async function loadPage(gen) {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (script.value) q.set('script', script.value);
    try {
      const data = await api('GET', `/engine/api/logs?${q}`);
      if (gen !== generation || stopped) return;
      hideNotice(msg);
      add(data.entries, { live: false });
      draw();
    } catch (e) {
      if (gen !== generation || stopped) return;
      notice(msg, 'error', `Could not load the logs: ${e.message}`);
    }
  }

  function disconnect() {
    if (source) source.close();
    source = null;
    if (retry) clearTimeout(retry);
    retry = null;
  }

  // (Re)starts from scratch: filters changed, resumed, or first load.
  function start() {
    disconnect();
    generation += 1;
    const gen = generation;
    entries = [];
    seen = new Set();
    everOpen = false;
    hideNotice(note);
    clear(body, h('p', { class: 'muted' }, 'Loading…'));
    connect(gen);
  }

  function connect(gen) {
    const q = new URLSearchParams();
    if (script.value) q.set('script', script.value);
    if (level.value !== 'debug') q.set('level', level.value);
    setState('connecting', everOpen ? 'reconnecting…' : 'connecting…');
    const es = new EventSource(`/engine/api/logs/stream${q.size ? `?${q}` : ''}`);
    source = es;
    es.addEventListener('open', () => {
      if (gen !== generation) return;
      setState('live', 'live');
      // First open, or back after a drop: fetch the page to fill any gap.
      everOpen = true;
      loadPage(gen);
    });
    es.addEventListener('log', (ev) => {
      if (gen !== generation) return;
      try {
        add([JSON.parse(ev.data)], { live: true });
      } catch { /* not ours */ }
    });
    es.addEventListener('lagged', (ev) => {
      if (gen !== generation) return;
      let n = '';
      try { n = JSON.parse(ev.data).skipped; } catch { /* keep it vague */ }
      notice(note, 'info', `The live view fell behind the server and skipped ${n || 'some'} entries; the newest ${PAGE} are fetched again.`);
      loadPage(gen);
    });
    es.addEventListener('end', () => {
      // The token this stream started with no longer works: the session
      // ended (the call below then shows the login page), or it slid to a
      // new cookie in another tab (then the stream starts again with it).
      disconnect();
      setState('reconnecting', 'reconnecting…');
      api('GET', '/engine/api/me').then(() => {
        if (gen === generation && !paused) connect(gen);
      }).catch(() => { if (gen === generation) setState('off', 'stopped'); });
    });
    es.addEventListener('error', () => {
      if (gen !== generation || stopped) return;
      if (es.readyState === EventSource.CONNECTING) {
        setState('reconnecting', 'reconnecting…');
        return;
      }
      // Closed for good (an error answer): ask the API why, then retry.
      disconnect();
      setState('reconnecting', 'reconnecting…');
      api('GET', '/engine/api/logs?limit=1').then(() => {
        retry = setTimeout(() => { if (gen === generation && !paused) connect(gen); }, 3000);
      }).catch((e) => {
        if (gen !== generation) return;
        setState('off', 'stopped');
        notice(msg, 'error', `The live log stopped: ${e.message}`);
      });
    });
  }

  script.addEventListener('change', () => { if (!paused) start(); });
  level.addEventListener('change', () => { if (!paused) start(); });
  pause.addEventListener('click', () => {
    paused = !paused;
    pause.textContent = paused ? 'Resume' : 'Pause';
    pause.setAttribute('aria-pressed', String(paused));
    if (paused) {
      disconnect();
      generation += 1;
      setState('paused', 'paused');
    } else {
      start();
    }
  });
  start();
  return () => { stopped = true; generation += 1; disconnect(); };
}
