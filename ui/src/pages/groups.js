// Groups (admins only): users and nested groups; a membership that would
// make a cycle is refused by the server, whose message is shown as is.
import { api } from '../api.js';
import { h, clear, notice, hideNotice, pageHead, formDialog, confirmDialog } from '../dom.js';

// A <select> of users and groups, values "user:ID" / "group:NAME".
export function memberSelect(id, users, groups, { placeholder = 'Choose a user or group…', skipGroup } = {}) {
  return h('select', { id, required: true },
    h('option', { value: '' }, placeholder),
    users.length ? h('optgroup', { label: 'Users' }, users.map((u) => h('option', { value: `user:${u.id}` }, u.email))) : null,
    groups.length ? h('optgroup', { label: 'Groups' }, groups.filter((g) => g.name !== skipGroup)
      .map((g) => h('option', { value: `group:${g.name}` }, `group ${g.name}`))) : null);
}

export function memberBody(value) {
  const i = value.indexOf(':');
  return { [value.slice(0, i)]: value.slice(i + 1) };
}

// A removable chip for a user or group.
export function chip(text, kind, onRemove, removeLabel) {
  return h('li', { class: `chip chip-${kind}` }, h('span', null, text),
    onRemove ? h('button', { type: 'button', class: 'chip-x', 'aria-label': removeLabel, title: removeLabel, onclick: onRemove }, '×') : null);
}

export function groupsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', { class: 'panels' }, h('p', { class: 'muted' }, 'Loading…'));
  const create = h('button', { type: 'button', class: 'primary', onclick: () => createGroup() }, 'New group');
  clear(main, pageHead('Groups',
    'Groups hold users and other groups, nested to any depth. A script owned by a group, or granted to it, is available to every member, directly or through nesting.',
    create), msg, body);
  let users = [];
  let groups = [];

  async function load() {
    try {
      const [u, g] = await Promise.all([api('GET', '/engine/api/users'), api('GET', '/engine/api/groups')]);
      users = u.users;
      groups = g.groups.sort((a, b) => a.name.localeCompare(b.name));
      draw();
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
      create.hidden = e.status === 403;
    }
  }

  const email = (id) => (users.find((u) => u.id === id) || { email: `unknown user ${id}` }).email;

  function draw() {
    if (!groups.length) {
      clear(body, h('p', { class: 'muted' }, 'No groups yet.'));
      return;
    }
    clear(body, groups.map((g) => panel(g)));
  }

  function panel(g) {
    const note = h('div', { class: 'notice', hidden: true });
    const selId = `add-${g.name}`;
    const select = memberSelect(selId, users.filter((u) => !g.users.includes(u.id)),
      groups.filter((x) => !g.groups.includes(x.name)), { skipGroup: g.name });
    const form = h('form', { class: 'inline-form' },
      h('label', { for: selId }, `Add to ${g.name}`), select,
      h('button', { type: 'submit' }, 'Add'));
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      if (!select.value) return;
      await change(g, 'PUT', memberBody(select.value), note);
    });
    const members = [
      ...g.users.map((id) => chip(email(id), 'user', () => change(g, 'DELETE', { user: id }, note), `Remove ${email(id)} from ${g.name}`)),
      ...g.groups.map((n) => chip(`group ${n}`, 'group', () => change(g, 'DELETE', { group: n }, note), `Remove group ${n} from ${g.name}`)),
    ];
    return h('section', { class: 'panel', 'aria-labelledby': `group-${g.name}` },
      h('div', { class: 'panel-head' },
        h('h2', { id: `group-${g.name}` }, g.name),
        h('button', { type: 'button', class: 'small-button danger', onclick: () => remove(g), 'aria-label': `Delete group ${g.name}` }, 'Delete')),
      note,
      members.length ? h('ul', { class: 'chips', 'aria-label': `Members of ${g.name}` }, members)
        : h('p', { class: 'muted small' }, 'No members yet.'),
      form);
  }

  async function change(g, method, member, note) {
    hideNotice(msg);
    try {
      await api(method, `/engine/api/groups/${encodeURIComponent(g.name)}/members`, { json: member });
      await load();
      const what = member.user ? email(member.user) : `group ${member.group}`;
      notice(msg, 'ok', method === 'PUT' ? `Added ${what} to ${g.name}.` : `Removed ${what} from ${g.name}.`);
    } catch (e) {
      notice(note, 'error', e.message);
    }
  }

  async function createGroup() {
    const g = await formDialog({
      title: 'New group',
      fields: [{ name: 'name', label: 'Group name', required: true, help: 'Letters, digits, ".", "_" and "-"; for example shop-team.' }],
      submit: 'Create group',
      onSubmit: (v) => api('POST', '/engine/api/groups', { json: { name: v.name.trim() } }),
    });
    if (!g) return;
    await load();
    notice(msg, 'ok', `Created group ${g.name}.`);
  }

  async function remove(g) {
    const ok = await confirmDialog({
      title: `Delete group ${g.name}?`,
      body: 'Its members stay; the group leaves other groups and permissions, and scripts it owned fall to admins.',
      confirm: 'Delete group', danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', `/engine/api/groups/${encodeURIComponent(g.name)}`);
      await load();
      notice(msg, 'ok', `Deleted group ${g.name}.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  load();
}
