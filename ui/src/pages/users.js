// Users (admins only): create, edit name/role/disabled, reset a password,
// see their sessions, delete.
import { api, currentUser } from '../api.js';
import { BASE, h, clear, notice, hideNotice, time, badge, pageHead, listTable, formDialog, confirmDialog } from '../dom.js';

export const ROLES = [['authenticated', 'authenticated (no scripts)'], ['editor', 'editor (own scripts)'], ['admin', 'admin (everything)']];
const MIN_PASSWORD = 10;

export function userLabel(u) {
  return u.name && u.name !== u.email.split('@')[0] ? `${u.name} <${u.email}>` : u.email;
}

export function usersPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const create = h('button', { type: 'button', class: 'primary', onclick: () => createUser() }, 'New user');
  clear(main, pageHead('Users', 'Accounts that can log in. Editors manage their own scripts; admins manage everything.', create),
    msg, body);
  const me = currentUser();

  async function load() {
    try {
      const { users } = await api('GET', '/engine/api/users');
      draw(users);
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
      create.hidden = e.status === 403;
    }
  }

  function draw(users) {
    clear(body, users.length === 0 ? h('p', { class: 'muted' }, 'No users.') : listTable('Users',
      ['Email', 'Name', 'Role', 'Status', 'Last login', 'Actions'],
      users.map((u) => [
        h('span', { class: 'break' }, u.email, u.id === me.id ? h('span', { class: 'muted' }, ' (you)') : null),
        u.name,
        badge(u.role, u.role === 'admin' ? 'admin' : u.role === 'editor' ? 'ok' : 'off'),
        h('span', null, u.disabled ? badge('disabled', 'error') : badge('active', 'ok'), u.totp ? [' ', badge('2-step', 'ok')] : null),
        u.last_login ? time(u.last_login) : h('span', { class: 'muted' }, 'never'),
        h('div', { class: 'row-actions' },
          h('button', { type: 'button', class: 'small-button', onclick: () => edit(u), 'aria-label': `Edit ${u.email}` }, 'Edit'),
          h('button', { type: 'button', class: 'small-button', onclick: () => resetPassword(u), 'aria-label': `Reset the password of ${u.email}` }, 'Reset password'),
          u.totp ? h('button', { type: 'button', class: 'small-button', onclick: () => resetTotp(u), 'aria-label': `Reset the two-step login of ${u.email}` }, 'Reset 2-step') : null,
          h('a', { class: 'button small-button', href: `${BASE}/sessions?user=${encodeURIComponent(u.id)}`, 'aria-label': `Sessions of ${u.email}` }, 'Sessions'),
          h('button', { type: 'button', class: 'small-button', onclick: () => unlink(u), 'aria-label': `Sign-in providers of ${u.email}` }, 'Providers'),
          h('button', { type: 'button', class: 'small-button danger', onclick: () => remove(u), 'aria-label': `Delete ${u.email}` }, 'Delete')),
      ]), 'users'));
  }

  async function createUser() {
    const u = await formDialog({
      title: 'New user',
      fields: [
        { name: 'email', label: 'Email', type: 'email', required: true },
        { name: 'name', label: 'Name', help: 'Optional; defaults to the part of the email before @.' },
        { name: 'password', label: 'Password', type: 'password', required: true, minlength: MIN_PASSWORD,
          autocomplete: 'new-password', help: `At least ${MIN_PASSWORD} characters. Tell the user to change it after logging in.` },
        { name: 'role', label: 'Role', type: 'select', options: ROLES, value: 'editor' },
      ],
      submit: 'Create user',
      onSubmit: (v) => api('POST', '/engine/api/users', { json: { email: v.email.trim(), name: v.name.trim() || undefined, password: v.password, role: v.role } }),
    });
    if (!u) return;
    await load();
    notice(msg, 'ok', `Created ${u.email} (${u.role}).`);
  }

  async function edit(u) {
    const r = await formDialog({
      title: `Edit ${u.email}`,
      fields: [
        { name: 'name', label: 'Name', value: u.name, required: true },
        { name: 'role', label: 'Role', type: 'select', options: ROLES, value: u.role },
        { name: 'disabled', label: 'Disabled (cannot log in; sessions and API tokens stop working)', type: 'checkbox', value: u.disabled },
      ],
      intro: 'A lower role or disabling the account ends all of its sessions at once.',
      submit: 'Save',
      onSubmit: (v) => {
        const patch = {};
        if (v.name.trim() !== u.name) patch.name = v.name.trim();
        if (v.role !== u.role) patch.role = v.role;
        if (v.disabled !== u.disabled) patch.disabled = v.disabled;
        if (!Object.keys(patch).length) return u;
        return api('PATCH', `/engine/api/users/${encodeURIComponent(u.id)}`, { json: patch });
      },
    });
    if (!r) return;
    await load();
    notice(msg, 'ok', `Saved ${r.email}.`);
  }

  async function resetPassword(u) {
    const r = await formDialog({
      title: `Reset the password of ${u.email}`,
      intro: 'The new password takes effect at once and ends every session of this user.',
      fields: [{ name: 'password', label: 'New password', type: 'password', required: true, minlength: MIN_PASSWORD,
        autocomplete: 'new-password', help: `At least ${MIN_PASSWORD} characters.` }],
      submit: 'Set password',
      onSubmit: (v) => api('PATCH', `/engine/api/users/${encodeURIComponent(u.id)}`, { json: { password: v.password } }),
    });
    if (r) notice(msg, 'ok', `Changed the password of ${u.email}; their sessions have ended.`);
  }

  async function resetTotp(u) {
    const ok = await confirmDialog({
      title: `Reset the two-step login of ${u.email}?`,
      body: 'For a lost device: their authenticator secret and recovery codes are deleted, and they log in with the password alone '
        + '(or set up a new app at their next login, when their role requires one). The reset is written to the audit log.',
      confirm: 'Reset two-step login', danger: true,
    });
    if (!ok) return;
    hideNotice(msg);
    try {
      await api('DELETE', `/engine/api/users/${encodeURIComponent(u.id)}/totp`);
      await load();
      notice(msg, 'ok', `Reset the two-step login of ${u.email}.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  // The accounts at sign-in providers linked to a user; an admin unlinks
  // one (the user then signs in with that provider only after linking again).
  async function unlink(u) {
    hideNotice(msg);
    let data;
    try {
      data = await api('GET', `/engine/api/users/${encodeURIComponent(u.id)}/identities`);
    } catch (e) {
      notice(msg, 'error', e.message);
      return;
    }
    if (!data.identities.length) {
      notice(msg, 'ok', `${u.email} has no sign-in provider account linked.`);
      return;
    }
    const names = new Map(data.providers.map((p) => [p.name, p.display_name]));
    const label = (i) => `${names.get(i.provider) || i.provider}${i.email ? ` (${i.email})` : ''}`;
    const r = await formDialog({
      title: `Sign-in providers of ${u.email}`,
      intro: `Linked: ${data.identities.map(label).join(', ')}.`,
      fields: [{ name: 'provider', label: 'Unlink', type: 'select', options: data.identities.map((i) => [i.provider, label(i)]) }],
      submit: 'Unlink', danger: true,
      onSubmit: async (v) => {
        await api('DELETE', `/engine/api/users/${encodeURIComponent(u.id)}/identities/${encodeURIComponent(v.provider)}`);
        return v;
      },
    });
    if (r) notice(msg, 'ok', `Unlinked ${names.get(r.provider) || r.provider} from ${u.email}.`);
  }

  async function remove(u) {
    const ok = await confirmDialog({
      title: `Delete ${u.email}?`,
      body: 'The user, their sessions, API tokens, group memberships and permission grants are deleted. Scripts they owned fall to admins. There is no undo.',
      confirm: 'Delete user', danger: true,
    });
    if (!ok) return;
    hideNotice(msg);
    try {
      await api('DELETE', `/engine/api/users/${encodeURIComponent(u.id)}`);
      await load();
      notice(msg, 'ok', `Deleted ${u.email}.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  load();
}
