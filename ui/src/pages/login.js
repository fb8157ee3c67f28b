import { login } from '../api.js';
import { h, notice } from '../dom.js';
import { totpStep } from './totp.js';

export function loginPage({ done }) {
  const params = new URLSearchParams(location.search);
  const next = params.get('next');
  // A login that ended in a redirect (the setup page, a provider) and
  // needs its second factor: the pending handle is in an HttpOnly cookie.
  const resume = params.get('totp');
  if (resume === 'code' || resume === 'enrol') {
    return h('div', { class: 'login-wrap' }, totpStep({ enrol: resume === 'enrol' }, () => done(next)));
  }
  const msg = h('div', { class: 'notice', hidden: true });
  if (params.get('expired')) notice(msg, 'info', 'Your session has ended. Please log in again.');
  else if (params.get('out')) notice(msg, 'info', 'You have logged out.');
  else if (params.get('password')) notice(msg, 'info', 'Your password was changed and every session ended. Log in with the new password.');
  const email = h('input', { id: 'email', name: 'email', type: 'email', autocomplete: 'username', required: true });
  const password = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const button = h('button', { type: 'submit', class: 'primary' }, 'Log in');
  const form = h('form', { class: 'login-card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'aiwebengine admin'),
    h('p', { class: 'muted' }, 'Log in with your account.'),
    msg,
    h('label', { for: 'email' }, 'Email'), email,
    h('label', { for: 'password' }, 'Password'), password,
    button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    button.textContent = 'Logging in…';
    try {
      const res = await login(email.value.trim(), password.value);
      if (res && res.totp_required) {
        wrap.replaceChildren(totpStep(res, () => done(next)));
        return;
      }
      done(next);
    } catch (err) {
      notice(msg, 'error', err.message);
      password.select();
      button.disabled = false;
      button.textContent = 'Log in';
    }
  });
  const wrap = h('div', { class: 'login-wrap' }, form);
  // Sign-in providers ([auth.providers]): links into the engine's flow,
  // which comes back to the page asked for.
  const others = h('nav', { class: 'providers', 'aria-label': 'Sign in with', hidden: true });
  form.append(others);
  fetch('/engine/auth/providers').then((r) => (r.ok ? r.json() : null)).then((d) => {
    if (!d || !d.providers.length) return;
    const back = encodeURIComponent(`/engine/admin${next && next.startsWith('/') && !next.startsWith('//') ? next : '/'}`);
    others.append(...d.providers.map((p) =>
      h('p', null, h('a', { class: 'button', href: `/engine/auth/oidc/${encodeURIComponent(p.name)}?return_to=${back}` }, `Sign in with ${p.display_name}`))));
    others.hidden = false;
  }).catch(() => {});
  queueMicrotask(() => email.focus());
  return wrap;
}
