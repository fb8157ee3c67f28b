// Login sessions: the caller's (or, for an admin, ?user=ID's). Revoke one,
// or all ("log out everywhere"). An AI client's OAuth grant for /mcp is a
// session too, shown with the client's name; revoking it ends its tokens.
import { api, currentUser, forget } from '../api.js';
import { BASE, h, clear, notice, hideNotice, time, badge, pageHead, listTable, confirmDialog } from '../dom.js';

export function sessionsPage({ main, navigate }) {
  const me = currentUser();
  const userId = new URLSearchParams(location.search).get('user') || me.id;
  const own = userId === me.id;
  const msg = h('div', { class: 'notice', hidden: true });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const everywhere = h('button', { type: 'button', class: 'danger', onclick: () => revokeAll() },
    own ? 'Log out everywhere' : 'End all their sessions');
  const heading = h('div');
  clear(main, heading, msg, body);
  const query = own ? '' : `?user=${encodeURIComponent(userId)}`;
  let who = own ? 'you' : userId;

  function head() {
    clear(heading, pageHead(own ? 'Sessions' : `Sessions of ${who}`,
      own ? 'Where you are logged in. A session lasts 12 hours, and slides forward while you use it (at most 7 days after login).'
        : h('span', null, 'Where this user is logged in. ', h('a', { href: `${BASE}/users` }, '← All users')),
      everywhere));
  }
  head();

  async function load() {
    try {
      if (!own && who === userId) {
        const u = await api('GET', `/engine/api/users/${encodeURIComponent(userId)}`);
        who = u.email;
        head();
      }
      const { sessions } = await api('GET', `/engine/api/sessions${query}`);
      clear(body, sessions.length === 0 ? h('p', { class: 'muted' }, 'No live sessions.') : listTable('Sessions',
        ['Started', 'Client', 'Expires', 'Actions'],
        sessions.map((s) => [
          h('span', null, time(s.created_at), s.current ? [' ', badge('this browser', 'ok')] : null),
          s.client ? h('span', null, badge('AI client', 'level-info'), ' ', s.client)
            : (s.ip || h('span', { class: 'muted' }, 'unknown')),
          time(s.expires_at),
          h('button', { type: 'button', class: 'small-button danger', onclick: () => revoke(s),
            'aria-label': s.current ? 'Revoke this session (log out)'
              : s.client ? `Revoke the access of ${s.client}`
                : `Revoke the session from ${s.ip || 'unknown'} started ${new Date(s.created_at).toLocaleString()}` },
          s.current ? 'Log out' : 'Revoke'),
        ]), 'first-plain'));
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
      everywhere.hidden = e.status === 403;
    }
  }

  const loggedOut = () => {
    forget();
    navigate('/login?out=1', { force: true, replace: true });
  };

  async function revoke(s) {
    if (s.current && !await confirmDialog({ title: 'Log out?', body: 'This is the session of this browser.', confirm: 'Log out' })) return;
    hideNotice(msg);
    try {
      await api('DELETE', `/engine/api/sessions/${encodeURIComponent(s.id)}`);
      if (s.current) return loggedOut();
      await load();
      notice(msg, 'ok', 'Session revoked: it gets 401 on its next request.');
    } catch (e) {
      notice(msg, 'error', e.message);
    }
    return undefined;
  }

  async function revokeAll() {
    const ok = await confirmDialog({
      title: own ? 'Log out everywhere?' : `End every session of ${who}?`,
      body: own ? 'Every session of your account ends at once, this browser included. API tokens keep working.'
        : 'They will have to log in again. Their API tokens keep working.',
      confirm: own ? 'Log out everywhere' : 'End all sessions', danger: true,
    });
    if (!ok) return;
    try {
      const { revoked } = await api('DELETE', `/engine/api/sessions${query}`);
      if (own) return loggedOut();
      await load();
      notice(msg, 'ok', `Ended ${revoked} session${revoked === 1 ? '' : 's'}.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    }
    return undefined;
  }

  load();
}
