// API tokens of the logged-in user (admins may list everyone's): create
// one (shown once, with a copy button), list, revoke.
import { api, isAdmin } from '../api.js';
import { h, clear, notice, hideNotice, time, badge, pageHead, listTable, confirmDialog, copyText } from '../dom.js';

const EXPIRY = [['', 'never'], ['7', 'in 7 days'], ['30', 'in 30 days'], ['90', 'in 90 days'], ['365', 'in a year']];

export function tokensPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const fresh = h('div', { class: 'secret-box', hidden: true, 'aria-live': 'polite' });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const name = h('input', { id: 'token-name', type: 'text', required: true, autocomplete: 'off', placeholder: 'ci', maxlength: '100' });
  const expiry = h('select', { id: 'token-expiry' }, EXPIRY.map(([v, l]) => h('option', { value: v }, l)));
  const create = h('button', { type: 'submit', class: 'primary' }, 'Create token');
  const form = h('form', { class: 'inline-form card-form', 'aria-label': 'New API token' },
    h('div', { class: 'field' }, h('label', { for: 'token-name' }, 'Token name'), name),
    h('div', { class: 'field' }, h('label', { for: 'token-expiry' }, 'Expires'), expiry),
    create);
  const all = h('input', { id: 'token-all', type: 'checkbox' });
  clear(main, pageHead('API tokens',
    'Tokens for scripts and CI: send one as "Authorization: Bearer TOKEN" to /engine/api/ and to script routes. It acts with your role. Only a hash is stored: the token is shown once.'),
  form, fresh, msg,
  isAdmin() ? h('div', { class: 'filters' }, all, h('label', { for: 'token-all' }, 'Show the tokens of every user')) : null,
  body);

  let emails = null;

  async function load() {
    try {
      const { tokens } = await api('GET', `/engine/api/tokens${all.checked ? '?all=true' : ''}`);
      if (all.checked && !emails) {
        emails = new Map((await api('GET', '/engine/api/users')).users.map((u) => [u.id, u.email]));
      }
      const now = Date.now();
      clear(body, tokens.length === 0 ? h('p', { class: 'muted' }, 'No API tokens yet.') : listTable('API tokens',
        all.checked ? ['Name', 'User', 'Created', 'Expires', 'Actions'] : ['Name', 'Created', 'Expires', 'Actions'],
        tokens.map((t) => {
          const expired = t.expires_at && Date.parse(t.expires_at) < now;
          return [
            t.name,
            ...(all.checked ? [emails.get(t.user_id) || h('code', null, t.user_id)] : []),
            time(t.created_at),
            t.expires_at ? h('span', null, time(t.expires_at), expired ? [' ', badge('expired', 'error')] : null) : h('span', { class: 'muted' }, 'never'),
            h('button', { type: 'button', class: 'small-button danger', onclick: () => revoke(t), 'aria-label': `Revoke ${t.name}` }, 'Revoke'),
          ];
        })));
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
    }
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(msg);
    create.disabled = true;
    try {
      const json = { name: name.value.trim() };
      if (expiry.value) json.expires_in_days = Number(expiry.value);
      const t = await api('POST', '/engine/api/tokens', { json });
      name.value = '';
      show(t);
      load();
    } catch (err) {
      notice(msg, 'error', err.message);
    } finally {
      create.disabled = false;
    }
  });
  all.addEventListener('change', load);

  function show(t) {
    const value = h('input', { id: 'new-token', type: 'text', readonly: true, value: t.token, spellcheck: 'false', class: 'mono' });
    const copied = h('span', { class: 'muted small', role: 'status' });
    const copy = h('button', { type: 'button', class: 'primary', onclick: async () => {
      try {
        await copyText(t.token, value);
        copied.textContent = 'Copied.';
      } catch (err) {
        copied.textContent = `Could not copy: ${err.message}`;
      }
    } }, 'Copy');
    clear(fresh,
      h('h2', null, `Token "${t.name}" created`),
      h('p', null, 'Copy it now: it is not shown again. ', t.expires_at ? ['It expires ', time(t.expires_at), '.'] : 'It does not expire.'),
      h('div', { class: 'secret-row' }, h('label', { for: 'new-token', class: 'sr-only' }, 'New token'), value, copy, copied),
      h('button', { type: 'button', class: 'link', onclick: () => { fresh.hidden = true; clear(fresh); } }, 'I have copied it; hide it'));
    fresh.hidden = false;
    value.focus();
    value.select();
  }

  async function revoke(t) {
    if (!await confirmDialog({ title: `Revoke token ${t.name}?`,
      body: 'Scripts and CI jobs that use it get 401 from now on.', confirm: 'Revoke', danger: true })) return;
    try {
      await api('DELETE', `/engine/api/tokens/${encodeURIComponent(t.id)}`);
      await load();
      notice(msg, 'ok', `Revoked token ${t.name}.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  load();
}
