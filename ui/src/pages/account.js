// The logged-in user's own account: who they are, their groups and
// permissions, and changing their name or password.
import { api, currentUser, loadMe, forget } from '../api.js';
import { BASE, h, clear, notice, hideNotice, time, badge, pageHead } from '../dom.js';
import { totpPanel } from './totp.js';

export function accountPage({ main, navigate }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const info = h('dl', { class: 'facts' });
  const name = h('input', { id: 'account-name', type: 'text', required: true, autocomplete: 'name' });
  const nameForm = h('form', { class: 'panel' },
    h('h2', null, 'Name'),
    h('div', { class: 'field' }, h('label', { for: 'account-name' }, 'Display name'), name),
    h('button', { type: 'submit' }, 'Save name'));
  const pw1 = h('input', { id: 'account-pw1', type: 'password', required: true, minlength: '10', autocomplete: 'new-password', 'aria-describedby': 'pw-help' });
  const pw2 = h('input', { id: 'account-pw2', type: 'password', required: true, minlength: '10', autocomplete: 'new-password' });
  const pwMsg = h('div', { class: 'notice', hidden: true });
  const pwForm = h('form', { class: 'panel' },
    h('h2', null, 'Password'),
    h('p', { id: 'pw-help', class: 'muted small' }, 'At least 10 characters. Changing it ends every session of your account, this one too: you log in again with the new password.'),
    pwMsg,
    h('div', { class: 'field' }, h('label', { for: 'account-pw1' }, 'New password'), pw1),
    h('div', { class: 'field' }, h('label', { for: 'account-pw2' }, 'New password again'), pw2),
    h('button', { type: 'submit' }, 'Change password'));
  const linked = h('section', { class: 'panel', 'aria-labelledby': 'providers-head' },
    h('h2', { id: 'providers-head' }, 'Sign-in providers'));
  clear(main, pageHead('Your account', null), msg, info, h('div', { class: 'panels' }, nameForm, pwForm, totpPanel()), linked,
    h('p', null, h('a', { href: `${BASE}/tokens` }, 'API tokens'), ' · ', h('a', { href: `${BASE}/sessions` }, 'Sessions')));

  function draw() {
    const me = currentUser();
    name.value = me.name;
    const list = (xs) => (xs && xs.length ? xs.join(', ') : h('span', { class: 'muted' }, 'none'));
    clear(info,
      h('dt', null, 'Email'), h('dd', null, me.email),
      h('dt', null, 'Role'), h('dd', null, badge(me.role, me.role === 'admin' ? 'admin' : me.role === 'editor' ? 'ok' : 'off')),
      h('dt', null, 'Groups'), h('dd', null, list(me.groups)),
      h('dt', null, 'Permissions'), h('dd', null, me.role === 'admin' ? 'all (admin)' : list(me.permissions)),
      h('dt', null, 'Member since'), h('dd', null, time(me.created_at)));
  }
  draw();
  drawProviders();

  // Accounts at OpenID providers linked to this user, and links to add
  // more: a link is a login at the provider made while logged in here.
  async function drawProviders() {
    let data;
    try {
      data = await api('GET', '/engine/api/me/identities');
    } catch (err) {
      clear(linked, h('h2', { id: 'providers-head' }, 'Sign-in providers'), h('p', { class: 'muted' }, err.message));
      return;
    }
    const names = new Map(data.providers.map((p) => [p.name, p.display_name]));
    const rows = data.identities.map((i) => {
      const unlink = h('button', { type: 'button', class: 'danger small-button' }, 'Unlink');
      unlink.addEventListener('click', async () => {
        hideNotice(msg);
        try {
          await api('DELETE', `/engine/api/me/identities/${encodeURIComponent(i.provider)}`);
          notice(msg, 'ok', `Unlinked ${names.get(i.provider) || i.provider}.`);
          drawProviders();
        } catch (err) {
          notice(msg, 'error', err.message);
        }
      });
      return h('li', null, `${names.get(i.provider) || i.provider}`, i.email ? ` (${i.email}) ` : ' ', unlink);
    });
    const have = new Set(data.identities.map((i) => i.provider));
    const back = encodeURIComponent(`${BASE}/account`);
    const offers = data.providers.filter((p) => !have.has(p.name)).map((p) =>
      h('li', null, h('a', { class: 'button', href: `/engine/auth/oidc/${encodeURIComponent(p.name)}?link=1&return_to=${back}` }, `Link ${p.display_name}`)));
    clear(linked, h('h2', { id: 'providers-head' }, 'Sign-in providers'),
      rows.length ? h('ul', null, ...rows) : h('p', { class: 'muted' }, 'No provider account is linked.'),
      offers.length ? h('ul', null, ...offers) : null);
  }

  nameForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(msg);
    try {
      await api('PATCH', `/engine/api/users/${encodeURIComponent(currentUser().id)}`, { json: { name: name.value.trim() } });
      await loadMe();
      draw();
      notice(msg, 'ok', 'Saved your name.');
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  });

  pwForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(pwMsg);
    if (pw1.value !== pw2.value) {
      notice(pwMsg, 'error', 'The two passwords differ.');
      pw2.focus();
      return;
    }
    try {
      await api('PATCH', `/engine/api/users/${encodeURIComponent(currentUser().id)}`, { json: { password: pw1.value } });
      forget();
      navigate('/login?password=1', { force: true, replace: true });
    } catch (err) {
      notice(pwMsg, 'error', err.message);
    }
  });
}
