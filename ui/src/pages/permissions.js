// Named permissions (admins only): define them, grant them to users or
// groups. Scripts check them with auth.hasPermission(name).
import { api } from '../api.js';
import { h, clear, notice, hideNotice, pageHead, formDialog, confirmDialog } from '../dom.js';
import { memberSelect, memberBody, chip } from './groups.js';

export function permissionsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', { class: 'panels' }, h('p', { class: 'muted' }, 'Loading…'));
  const create = h('button', { type: 'button', class: 'primary', onclick: () => createPermission() }, 'New permission');
  clear(main, pageHead('Permissions',
    'Named permissions such as orders.refund. Grant them to users or groups (members inherit them, through nesting); scripts check them with auth.hasPermission(name). Admins hold every permission.',
    create), msg, body);
  let users = [];
  let groups = [];
  let perms = [];

  async function load() {
    try {
      const [u, g, p] = await Promise.all([api('GET', '/engine/api/users'), api('GET', '/engine/api/groups'),
        api('GET', '/engine/api/permissions')]);
      users = u.users;
      groups = g.groups.sort((a, b) => a.name.localeCompare(b.name));
      perms = p.permissions.sort((a, b) => a.name.localeCompare(b.name));
      draw();
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
      create.hidden = e.status === 403;
    }
  }

  const email = (id) => (users.find((u) => u.id === id) || { email: `unknown user ${id}` }).email;

  function draw() {
    clear(body, perms.length === 0 ? h('p', { class: 'muted' }, 'No permissions defined yet.') : perms.map((p) => panel(p)));
  }

  function panel(p) {
    const note = h('div', { class: 'notice', hidden: true });
    const selId = `grant-${p.name}`;
    const select = memberSelect(selId, users.filter((u) => !p.users.includes(u.id)), groups.filter((g) => !p.groups.includes(g.name)));
    const form = h('form', { class: 'inline-form' },
      h('label', { for: selId }, `Grant ${p.name} to`), select, h('button', { type: 'submit' }, 'Grant'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (select.value) await change(p, 'PUT', memberBody(select.value), note);
    });
    const holders = [
      ...p.users.map((id) => chip(email(id), 'user', () => change(p, 'DELETE', { user: id }, note), `Take ${p.name} back from ${email(id)}`)),
      ...p.groups.map((n) => chip(`group ${n}`, 'group', () => change(p, 'DELETE', { group: n }, note), `Take ${p.name} back from group ${n}`)),
    ];
    return h('section', { class: 'panel', 'aria-labelledby': `perm-${p.name}` },
      h('div', { class: 'panel-head' },
        h('h2', { id: `perm-${p.name}` }, h('code', null, p.name)),
        h('button', { type: 'button', class: 'small-button danger', onclick: () => remove(p), 'aria-label': `Delete permission ${p.name}` }, 'Delete')),
      p.description ? h('p', { class: 'muted small' }, p.description) : null,
      note,
      holders.length ? h('ul', { class: 'chips', 'aria-label': `Holders of ${p.name}` }, holders)
        : h('p', { class: 'muted small' }, 'Not granted to anyone yet.'),
      form);
  }

  async function change(p, method, member, note) {
    hideNotice(msg);
    try {
      await api(method, `/engine/api/permissions/${encodeURIComponent(p.name)}/grants`, { json: member });
      await load();
      const who = member.user ? email(member.user) : `group ${member.group}`;
      notice(msg, 'ok', method === 'PUT' ? `Granted ${p.name} to ${who}.` : `Took ${p.name} back from ${who}.`);
    } catch (e) {
      notice(note, 'error', e.message);
    }
  }

  async function createPermission() {
    const p = await formDialog({
      title: 'New permission',
      fields: [
        { name: 'name', label: 'Name', required: true, placeholder: 'orders.refund' },
        { name: 'description', label: 'Description', help: 'Optional: what it allows.' },
      ],
      submit: 'Create permission',
      onSubmit: (v) => api('POST', '/engine/api/permissions', { json: { name: v.name.trim(), description: v.description.trim() } }),
    });
    if (!p) return;
    await load();
    notice(msg, 'ok', `Created permission ${p.name}.`);
  }

  async function remove(p) {
    if (!await confirmDialog({ title: `Delete permission ${p.name}?`,
      body: 'Scripts that check it will find that nobody (except admins) holds it.', confirm: 'Delete permission', danger: true })) return;
    try {
      await api('DELETE', `/engine/api/permissions/${encodeURIComponent(p.name)}`);
      await load();
      notice(msg, 'ok', `Deleted permission ${p.name}.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  load();
}
