// Version history: a diff between any two versions and one-click restore.
import { api, scriptPath } from '../api.js';
import { h, clear, notice, hideNotice, time, bytes, confirmDialog } from '../dom.js';
import { diffLines, hunks } from '../diff.js';

export function historyPanel(name, { onRestore, onError, isDirty }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const from = h('select', { id: 'diff-from' });
  const to = h('select', { id: 'diff-to' });
  const list = h('ol', { class: 'versions', reversed: true });
  const diffBox = h('div', { class: 'diff-box' });
  const el = h('div', { class: 'history' },
    msg,
    h('h2', { class: 'sr-only' }, 'Version history'),
    list,
    h('h3', null, 'Compare versions'),
    h('div', { class: 'field-row' },
      h('label', { for: 'diff-from' }, 'From'), from,
      h('label', { for: 'diff-to' }, 'to'), to),
    diffBox);
  const sources = new Map();
  let current = 0;

  const source = async (n) => {
    if (!sources.has(n)) sources.set(n, (await api('GET', `${scriptPath(name)}/versions/${n}`)).source);
    return sources.get(n);
  };

  async function showDiff() {
    const a = Number(from.value), b = Number(to.value);
    if (!a || !b) { clear(diffBox); return; }
    try {
      const [x, y] = await Promise.all([source(a), source(b)]);
      const lines = diffLines(x, y);
      const rows = hunks(lines);
      const added = lines.filter((l) => l.op === '+').length;
      const removed = lines.filter((l) => l.op === '-').length;
      clear(diffBox,
        h('p', { class: 'muted small', 'aria-live': 'polite' },
          a === b ? 'The same version on both sides.' : `v${a} → v${b}: ${added} line${added === 1 ? '' : 's'} added, ${removed} removed`),
        added + removed === 0 ? null : h('table', { class: 'diff' },
          h('caption', { class: 'sr-only' }, `Differences between version ${a} and version ${b}`),
          h('tbody', null, rows.map((r) => r.skip
            ? h('tr', { class: 'skip' }, h('td', { colspan: '3' }, `⋯ ${r.skip} unchanged line${r.skip === 1 ? '' : 's'}`))
            : h('tr', { class: r.op === '+' ? 'add' : r.op === '-' ? 'del' : 'same' },
              h('td', { class: 'ln' }, r.a || ''), h('td', { class: 'ln' }, r.b || ''),
              h('td', { class: 'code' }, h('span', { class: 'op', 'aria-label': r.op === '+' ? 'added' : r.op === '-' ? 'removed' : null }, r.op), r.text))))));
    } catch (e) {
      clear(diffBox);
      notice(msg, 'error', e.message);
    }
  }
  from.addEventListener('change', showDiff);
  to.addEventListener('change', showDiff);

  async function restore(n) {
    if (isDirty() && !await confirmDialog({ title: `Restore version ${n}?`,
      body: 'The editor has unsaved changes; restoring replaces them with the restored source.', confirm: 'Restore' })) return;
    try {
      const r = await api('POST', `${scriptPath(name)}/versions/${n}/restore`);
      await onRestore(r, n);
      await refresh(r.version);
    } catch (e) {
      onError(e);
    }
  }

  async function refresh(latest) {
    hideNotice(msg);
    try {
      const { versions } = await api('GET', `${scriptPath(name)}/versions`);
      current = latest || (versions.length ? versions[versions.length - 1].version : 0);
      const newest = [...versions].reverse();
      clear(list, newest.map((v) => h('li', { class: 'version' },
        h('div', null, h('strong', null, `v${v.version}`), v.version === current ? h('span', { class: 'badge badge-ok' }, 'current') : null),
        h('div', { class: 'muted small' }, time(v.created_at), ` · ${v.author} · ${bytes(v.size)}`),
        v.version === current ? null : h('button', { type: 'button', class: 'small-button',
          'aria-label': `Restore version ${v.version}`, onclick: () => restore(v.version) }, 'Restore'))));
      const opts = (sel, value) => {
        clear(sel, newest.map((v) => h('option', { value: String(v.version), selected: v.version === value }, `v${v.version}`)));
        sel.value = String(value);
      };
      opts(from, Math.max(current - 1, versions[0] ? versions[0].version : 1));
      opts(to, current);
      await showDiff();
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  return { el, refresh };
}
