// The script page's "Data" tab: the script's kv keys and values, read-only
// (GET /engine/api/scripts/{name}/kv?prefix=&limit=&cursor=), a page at a
// time, with a key-prefix filter.
import { api, scriptPath } from '../api.js';
import { h, clear, notice, hideNotice } from '../dom.js';

const LIMIT = 25;
// Values longer than this (pretty-printed) show cut, with "Show all".
const SHORT_CHARS = 240;
const SHORT_LINES = 8;

// What the prefix box holds, as the API's JSON array of key parts:
// `["users", 1]` as it is, a plain word as one string part.
export function prefixParam(text) {
  const t = text.trim();
  if (!t) return null;
  if (t.startsWith('[')) {
    const v = JSON.parse(t);
    if (!Array.isArray(v)) throw new Error('the prefix must be a JSON array, such as ["users", 1]');
    return JSON.stringify(v);
  }
  return JSON.stringify([t]);
}

const keyText = (key) => `[${key.map((p) => JSON.stringify(p)).join(', ')}]`;

function valueView(value) {
  const full = value === undefined ? 'undefined' : JSON.stringify(value, null, 2);
  const lines = full.split('\n');
  const long = full.length > SHORT_CHARS || lines.length > SHORT_LINES;
  if (!long) return h('pre', { class: 'kv-value' }, full);
  let short = lines.slice(0, SHORT_LINES).join('\n');
  if (short.length > SHORT_CHARS) short = short.slice(0, SHORT_CHARS);
  const pre = h('pre', { class: 'kv-value' }, `${short}…`);
  const more = h('button', { type: 'button', class: 'link small', 'aria-expanded': 'false' }, `Show all (${full.length} characters)`);
  more.addEventListener('click', () => {
    const open = more.getAttribute('aria-expanded') !== 'true';
    more.setAttribute('aria-expanded', String(open));
    pre.textContent = open ? full : `${short}…`;
    more.textContent = open ? 'Show less' : `Show all (${full.length} characters)`;
  });
  return h('div', null, pre, more);
}

export function kvPanel(name) {
  const msg = h('div', { class: 'notice', hidden: true });
  const prefix = h('input', { id: 'kv-prefix', type: 'search', placeholder: 'users  or  ["users", 1]', spellcheck: 'false',
    autocomplete: 'off', 'aria-describedby': 'kv-prefix-help' });
  const list = h('div', { class: 'kv-list', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'small-button', disabled: true }, 'Previous');
  const next = h('button', { type: 'button', class: 'small-button', disabled: true }, 'Next');
  const where = h('span', { class: 'muted small' });
  const form = h('form', { class: 'kv-filter', role: 'search' },
    h('label', { for: 'kv-prefix' }, 'Key prefix'),
    h('div', { class: 'kv-filter-row' }, prefix, h('button', { type: 'submit', class: 'small-button' }, 'Show')),
    h('span', { id: 'kv-prefix-help', class: 'muted small' }, 'A word, or a JSON array of key parts. Read-only: scripts change their data with kv.*'));
  const el = h('div', { class: 'kv-panel' }, form, msg, list, h('div', { class: 'pager' }, prev, next, where));

  // cursors[i] is where page i starts (page 0 at the beginning).
  let cursors = [null];
  let page = 0;
  let loaded = false;

  async function load() {
    loaded = true;
    hideNotice(msg);
    let p;
    try {
      p = prefixParam(prefix.value);
    } catch (e) {
      notice(msg, 'error', `Prefix: ${e.message}`);
      return;
    }
    const q = new URLSearchParams({ limit: String(LIMIT) });
    if (p) q.set('prefix', p);
    if (cursors[page]) q.set('cursor', cursors[page]);
    clear(list, h('p', { class: 'muted' }, 'Loading…'));
    try {
      const data = await api('GET', `${scriptPath(name)}/kv?${q}`);
      const more = data.entries.length === LIMIT && data.cursor;
      cursors[page + 1] = more ? data.cursor : undefined;
      draw(data.entries);
      prev.disabled = page === 0;
      next.disabled = !more;
      where.textContent = data.entries.length
        ? `keys ${page * LIMIT + 1}–${page * LIMIT + data.entries.length}` : '';
    } catch (e) {
      clear(list);
      notice(msg, 'error', e.message);
    }
  }

  function draw(entries) {
    if (!entries.length) {
      clear(list, h('p', { class: 'muted' }, page > 0 ? 'No more keys.'
        : prefix.value.trim() ? 'No keys start with this prefix.' : 'This script has stored no data with kv yet.'));
      return;
    }
    clear(list, h('ul', { class: 'kv-entries' }, entries.map((e) => h('li', null,
      h('div', { class: 'kv-key' }, h('code', { title: e.versionstamp ? `versionstamp ${e.versionstamp}` : null }, keyText(e.key))),
      valueView(e.value)))));
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    cursors = [null];
    page = 0;
    load();
  });
  prev.addEventListener('click', () => { if (page > 0) { page -= 1; load(); } });
  next.addEventListener('click', () => { if (cursors[page + 1]) { page += 1; load(); } });

  return {
    el,
    // Loads on first show; again on each later show (the data changes).
    show: () => load(),
    loaded: () => loaded,
  };
}
