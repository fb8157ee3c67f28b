// The "Access" panel of a script: its owner and grants. Admins change them
// (PUT /owner, PUT|DELETE /grants); editors see them read-only.
import { api, scriptPath, isAdmin, currentUser } from '../api.js';
import { h, clear, notice, hideNotice, badge } from '../dom.js';
import { memberSelect, memberBody } from './groups.js';

export function ownerText(s) {
  if (s.owner_group) return `group ${s.owner_group}`;
  return s.owner || 'nobody (admins only)';
}

export function accessPanel(name, { onChanged }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const el = h('div', { class: 'access' }, h('h2', { class: 'sr-only' }, 'Access'), msg);
  const body = h('div');
  el.append(body);
  let users = null;
  let groups = [];
  let meta = null;

  const who = (g) => {
    if (g.group) return `group ${g.group}`;
    if (g.user === currentUser().id) return 'you';
    const u = users && users.find((x) => x.id === g.user);
    return u ? u.email : `user ${g.user}`;
  };

  async function update(s) {
    meta = s;
    if (isAdmin() && users === null) {
      try {
        const [u, gr] = await Promise.all([api('GET', '/engine/api/users'), api('GET', '/engine/api/groups')]);
        users = u.users;
        groups = gr.groups.sort((a, b) => a.name.localeCompare(b.name));
      } catch (e) {
        notice(msg, 'error', e.message);
        users = [];
      }
    }
    draw();
  }

  function draw() {
    const s = meta;
    const grants = s.grants || [];
    const grantList = grants.length === 0 ? h('p', { class: 'muted small' }, 'No grants.')
      : h('ul', { class: 'grants' }, grants.map((g) => h('li', null,
        h('span', { class: 'break' }, who(g)), ' ', badge(g.access, g.access === 'write' ? 'warn' : 'off'),
        isAdmin() ? h('button', { type: 'button', class: 'small-button', 'aria-label': `Remove the grant of ${who(g)}`,
          onclick: () => call('DELETE', 'grants', g.user ? { user: g.user } : { group: g.group }, `Removed the grant of ${who(g)}.`) }, 'Remove') : null)));
    if (!isAdmin()) {
      clear(body,
        h('h3', null, 'Owner'), h('p', null, ownerText(s)),
        h('h3', null, 'Grants'), grantList,
        h('p', { class: 'muted small' }, 'Only an admin can change the owner and the grants.'));
      return;
    }
    const owner = memberSelect('owner-select', users || [], groups, { placeholder: 'Choose the new owner…' });
    const ownerForm = h('form', { class: 'stack-form' },
      h('label', { for: 'owner-select' }, 'New owner'), owner,
      h('button', { type: 'submit' }, 'Change owner'));
    ownerForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!owner.value) return;
      const label = owner.selectedOptions[0].textContent;
      call('PUT', 'owner', memberBody(owner.value), `${name} is now owned by ${label}.`);
    });
    const grantee = memberSelect('grant-select', users || [], groups);
    const access = h('select', { id: 'grant-access' }, h('option', { value: 'read' }, 'read (see it)'), h('option', { value: 'write' }, 'write (change it)'));
    const grantForm = h('form', { class: 'stack-form' },
      h('label', { for: 'grant-select' }, 'Grant to'), grantee,
      h('label', { for: 'grant-access' }, 'Access level'), access,
      h('button', { type: 'submit' }, 'Grant'));
    grantForm.addEventListener('submit', (e) => {
      e.preventDefault();
      if (!grantee.value) return;
      const label = grantee.selectedOptions[0].textContent;
      call('PUT', 'grants', { ...memberBody(grantee.value), access: access.value }, `Granted ${access.value} access to ${label}.`);
    });
    clear(body,
      h('h3', null, 'Owner'), h('p', null, ownerText(s)), ownerForm,
      h('h3', null, 'Grants'), grantList, grantForm,
      h('p', { class: 'muted small' }, 'Editors manage scripts they own, scripts owned by their groups, and scripts granted to them or their groups.'));
  }

  async function call(method, what, json, done) {
    hideNotice(msg);
    try {
      const r = await api(method, `${scriptPath(name)}/${what}`, { json });
      meta = { ...meta, ...r };
      draw();
      notice(msg, 'ok', done);
      onChanged(meta);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  return { el, update };
}
