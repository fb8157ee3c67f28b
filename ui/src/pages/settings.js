// Settings (admins only): the effective configuration with the source of
// each value (GET /engine/api/config). Values from the data file's
// settings layer are editable (PUT /engine/api/config {key, value}); the
// rest are read-only and the page says where to change them.
import { api } from '../api.js';
import { h, clear, notice, hideNotice, badge, pageHead } from '../dom.js';

export function describeSource(source) {
  const s = String(source || '');
  if (s === 'default') return { label: 'default', how: 'Built-in default. Set it in the config file, an environment variable or a flag to change it.' };
  if (s === 'flag') return { label: 'command-line flag', how: 'Set by a command-line flag of serve; change the flag and restart.' };
  if (s === 'settings') return { label: 'settings (data file)', how: 'Stored in the data file; editable here.' };
  if (s.startsWith('file:')) return { label: `config file ${s.slice(5)}`, how: `Change it in ${s.slice(5)} and restart.` };
  if (s.startsWith('env:')) return { label: `environment ${s.slice(4)}`, how: `Set by the environment variable ${s.slice(4)}; change it and restart.` };
  return { label: s || 'unknown', how: '' };
}

export function showValue(v) {
  if (v === null || v === undefined) return h('span', { class: 'muted' }, 'not set');
  if (typeof v === 'string') return v === '' ? h('span', { class: 'muted' }, '(empty)') : h('code', { class: 'break' }, v);
  return h('code', { class: 'break' }, JSON.stringify(v));
}

// The text in the edit box, and back: strings stay strings, anything else
// is edited as JSON (numbers, booleans, lists).
const toText = (v) => (typeof v === 'string' ? v : v == null ? '' : JSON.stringify(v));
function fromText(text, old) {
  if (typeof old === 'string') return text;
  if (old === null && text.trim() === '') return null;
  if (typeof old === 'boolean') return text === 'true';
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function settingsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const filter = h('input', { id: 'settings-filter', type: 'search', placeholder: 'key, value or source' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const tools = h('div', { class: 'filters' }, h('label', { for: 'settings-filter' }, 'Filter'), filter);
  clear(main, pageHead('Settings',
    'The configuration the server runs with, and where each value comes from. Secrets are masked. A value that no config file, environment variable or flag sets can be changed here: it is stored in the data file\'s settings. The others are read-only.'),
  tools, msg, body);
  let values = [];

  async function load() {
    try {
      const data = await api('GET', '/engine/api/config');
      values = (data && data.values) || [];
      draw();
    } catch (e) {
      clear(body);
      tools.hidden = true;
      if (e.status === 404) {
        notice(msg, 'info', `Settings are not available on this server: GET /engine/api/config answered 404 (${e.message}). The configuration is in the config file (see aiwebengine serve --help).`);
      } else {
        notice(msg, 'error', e.message);
      }
    }
  }

  function draw() {
    const q = filter.value.trim().toLowerCase();
    const shown = values.filter((v) => !q || `${v.key} ${toText(v.value)} ${v.source}`.toLowerCase().includes(q));
    if (!shown.length) {
      clear(body, h('p', { class: 'muted' }, values.length ? 'No setting matches the filter.' : 'The server reported no settings.'));
      return;
    }
    const sections = new Map();
    for (const v of shown) {
      const sec = v.key.includes('.') ? v.key.slice(0, v.key.indexOf('.')) : 'general';
      if (!sections.has(sec)) sections.set(sec, []);
      sections.get(sec).push(v);
    }
    clear(body, [...sections].map(([sec, list]) => h('section', { class: 'settings-section', 'aria-labelledby': `sec-${sec}` },
      h('h2', { id: `sec-${sec}` }, `[${sec}]`),
      h('div', { class: 'table-wrap' }, h('table', { class: 'list settings' },
        h('caption', { class: 'sr-only' }, `Settings in [${sec}]`),
        h('thead', null, h('tr', null, ['Key', 'Value', 'Source', ''].map((t) => h('th', { scope: 'col' }, t)))),
        h('tbody', null, list.map(row)))))));
  }

  function row(v) {
    const src = describeSource(v.source);
    const valueCell = h('td', { 'data-label': 'Value' }, showValue(v.value), v.secret ? [' ', badge('secret', 'off')] : null,
      v.pending_restart ? [' ', h('span', { class: 'badge badge-warn', title: 'Changed; the running server still uses the old value' }, 'restart needed')] : null);
    const when = v.reload === 'restart' ? ' Takes effect after a restart.' : v.reload === 'live' ? ' Applies at once.' : '';
    const actions = h('td', { class: 'row-actions-cell' });
    const tr = h('tr', { 'data-key': v.key },
      h('th', { scope: 'row', 'data-label': 'Key' }, h('code', { class: 'break' }, v.key)),
      valueCell,
      h('td', { 'data-label': 'Source' }, h('span', { class: `source source-${String(v.source).split(':')[0]}` }, src.label),
        h('div', { class: 'muted small' }, v.editable ? `Editable here.${when}` : src.how)),
      actions);
    if (v.editable) {
      actions.append(h('button', { type: 'button', class: 'small-button', 'aria-label': `Edit ${v.key}`, onclick: () => edit(v, valueCell, actions) }, 'Edit'));
    }
    if (v.editable && v.source === 'settings') {
      actions.append(h('button', { type: 'button', class: 'small-button', 'aria-label': `Reset ${v.key}`,
        title: 'Remove it from the settings: the config file or the default applies again', onclick: () => put(v.key, null, null) }, 'Reset'));
    }
    return tr;
  }

  function edit(v, valueCell, actions) {
    const id = `edit-${v.key.replace(/[^\w-]/g, '_')}`;
    const err = h('div', { class: 'notice', hidden: true });
    const input = typeof v.value === 'boolean'
      ? h('select', { id }, ['true', 'false'].map((o) => h('option', { value: o, selected: String(v.value) === o }, o)))
      : h('input', { id, type: v.secret ? 'password' : typeof v.value === 'number' ? 'number' : 'text', step: 'any',
        value: v.secret ? '' : toText(v.value), spellcheck: 'false', autocomplete: 'off',
        placeholder: v.secret ? 'new value' : null });
    const save = h('button', { type: 'submit', class: 'primary small-button' }, 'Save');
    const cancel = h('button', { type: 'button', class: 'small-button', onclick: () => draw() }, 'Cancel');
    const form = h('form', { class: 'edit-value' },
      h('label', { for: id, class: 'sr-only' }, `New value of ${v.key}`), input, save, cancel, err);
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      hideNotice(err);
      save.disabled = true;
      if (!await put(v.key, fromText(input.value, v.value), err)) {
        save.disabled = false;
        input.focus();
      }
    });
    clear(valueCell, form);
    clear(actions);
    input.focus();
  }

  // PUT one value; the outcome says whether it applies now or at restart.
  async function put(key, value, errEl) {
    hideNotice(msg);
    try {
      const r = await api('PUT', '/engine/api/config', { json: { key, value } });
      await load();
      const later = (r && r.restart_required) || [];
      const notes = (r && r.notes) || [];
      const what = value === null ? `Reset ${key}.` : `Saved ${key}.`;
      notice(msg, 'ok', [what, later.length ? ` Restart the server for ${later.join(', ')} to take effect.` : '',
        notes.length ? `\n${notes.join('\n')}` : ''].join(''));
      return true;
    } catch (ex) {
      notice(errEl || msg, 'error', ex.message);
      return false;
    }
  }

  filter.addEventListener('input', draw);
  load();
}
