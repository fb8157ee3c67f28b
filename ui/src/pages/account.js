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
  clear(main, pageHead('Your account', null), msg, info, h('div', { class: 'panels' }, nameForm, pwForm, totpPanel()),
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
