// The audit log (admins only), newest first, a page at a time.
import { api } from '../api.js';
import { h, clear, notice, badge, pageHead, listTable } from '../dom.js';

const PAGE = 50;

export function auditPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const newer = h('button', { type: 'button', onclick: () => { stack.pop(); load(); } }, '← Newer');
  const older = h('button', { type: 'button', onclick: () => { stack.push(next); load(); } }, 'Older →');
  const newest = h('button', { type: 'button', onclick: () => { stack.length = 0; load(); } }, 'Newest');
  const where = h('span', { class: 'muted small', 'aria-live': 'polite' });
  const pager = h('div', { class: 'pager' }, newest, newer, older, where);
  clear(main, pageHead('Audit log', 'Every change made through the management API, and every refusal (403, CSRF), newest first.'),
    msg, pager, body);
  // `before` ids of the pages above the one shown.
  const stack = [];
  let next = null;
  // User ids in targets are shown as emails.
  const emailsP = api('GET', '/engine/api/users')
    .then(({ users }) => new Map(users.map((u) => [u.id, u.email]))).catch(() => new Map());
  let emails = null;
  const target = (t) => (emails && emails.has(t) ? h('span', { title: t }, emails.get(t)) : t);

  async function load() {
    const before = stack[stack.length - 1];
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (before != null) q.set('before', String(before));
    [newer, older, newest].forEach((b) => { b.disabled = true; });
    try {
      const data = await api('GET', `/engine/api/audit?${q}`);
      emails = await emailsP;
      msg.hidden = true;
      next = data.next_before;
      const rows = data.entries;
      where.textContent = rows.length ? `Page ${stack.length + 1}: entries ${rows[rows.length - 1].id}–${rows[0].id}` : '';
      clear(body, rows.length === 0 ? h('p', { class: 'muted' }, 'No entries.') : listTable('Audit log entries, newest first',
        ['Time', 'User', 'Action', 'Target', 'Result'],
        rows.map((e) => [
          h('time', { datetime: e.time, title: e.time }, new Date(e.time).toLocaleString()),
          h('span', { class: 'break' }, e.user || '—'),
          h('code', null, e.action),
          h('span', { class: 'break' }, target(e.target)),
          badge(e.result, e.result === 'ok' ? 'ok' : e.result === 'denied' || e.result === 'csrf_refused' ? 'error' : 'warn'),
        ]), 'audit first-plain'));
      newer.disabled = stack.length === 0;
      newest.disabled = stack.length === 0;
      older.disabled = next == null;
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
      pager.hidden = e.status === 403;
      newer.disabled = stack.length === 0;
      newest.disabled = stack.length === 0;
    }
  }
  load();
}
