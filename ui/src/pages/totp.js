// Two-step login with an authenticator app (TOTP): the account page's
// panel (enrol, confirm, recovery codes, turn off) and the login page's
// second step. The QR code is an SVG the server renders; it is shown as a
// data: image, never inserted as markup.
import { api, finishTotp, pendingEnrol } from '../api.js';
import { BASE, h, clear, notice, hideNotice } from '../dom.js';

function qrImage(svg) {
  return h('img', {
    class: 'totp-qr',
    src: `data:image/svg+xml;utf8,${encodeURIComponent(svg)}`,
    alt: 'QR code to scan with an authenticator app',
    width: '200',
    height: '200',
  });
}

// The secret and QR code of a begun enrolment.
function enrolmentView(e) {
  return h('div', { class: 'totp-enrol' },
    qrImage(e.qr_svg),
    h('p', { class: 'muted small' }, 'Scan the QR code with an authenticator app, or type this key into it:'),
    h('code', { id: 'totp-secret', class: 'totp-secret' }, e.secret));
}

export function recoveryView(codes) {
  return h('div', { class: 'totp-recovery' },
    h('p', null, h('strong', null, 'Recovery codes'), ' — each works once, in place of a code, if you lose your device. '
      + 'They are shown only now: store them somewhere safe.'),
    h('ol', { id: 'totp-recovery', class: 'totp-codes' }, codes.map((c) => h('li', null, h('code', null, c)))));
}

function codeField(id, label) {
  const input = h('input', {
    id, type: 'text', inputmode: 'numeric', autocomplete: 'one-time-code', required: true,
    maxlength: '11', spellcheck: 'false',
  });
  return [input, h('div', { class: 'field' }, h('label', { for: id }, label), input)];
}

// The account page's panel.
export function totpPanel() {
  const panel = h('section', { class: 'panel', 'aria-labelledby': 'totp-title' });
  const msg = h('div', { class: 'notice', hidden: true });

  async function load() {
    try {
      draw(await api('GET', '/engine/api/me/totp'));
    } catch (err) {
      clear(panel, h('h2', { id: 'totp-title' }, 'Two-step login'), msg);
      notice(msg, 'error', err.message);
    }
  }

  function draw(st, extra) {
    hideNotice(msg);
    const head = h('h2', { id: 'totp-title' }, 'Two-step login');
    if (!st.enabled) {
      const start = h('button', { type: 'button', id: 'totp-start' }, 'Set up an authenticator app');
      start.addEventListener('click', () => begin(st));
      clear(panel, head,
        h('p', { class: 'muted small' }, st.required
          ? 'Your role requires a code from an authenticator app at every login.'
          : 'Off. With it on, logging in also asks for a 6-digit code from an authenticator app.'),
        msg, extra, start);
      return;
    }
    const [code, field] = codeField('totp-code', 'Current code (or a recovery code)');
    const renew = h('button', { type: 'button', id: 'totp-renew' }, 'New recovery codes');
    const off = h('button', { type: 'button', id: 'totp-off', class: 'danger', hidden: st.required }, 'Turn off');
    renew.addEventListener('click', () => act('recovery', code.value, (r) => draw({ ...st, recovery_codes_left: r.recovery_codes.length }, recoveryView(r.recovery_codes))));
    off.addEventListener('click', () => act('disable', code.value, () => load()));
    clear(panel, head,
      h('p', { id: 'totp-state' }, 'On. ', h('span', { class: 'muted small' }, `${st.recovery_codes_left} recovery codes left.`)),
      msg, extra, field, h('div', { class: 'actions' }, renew, off));
  }

  async function act(what, code, then) {
    hideNotice(msg);
    try {
      then(await api('POST', `/engine/api/me/totp/${what}`, { json: { code: code.trim() } }));
    } catch (err) {
      notice(msg, 'error', err.message);
    }
  }

  async function begin(st) {
    let e;
    try {
      e = await api('POST', '/engine/api/me/totp/enrol');
    } catch (err) {
      notice(msg, 'error', err.message);
      return;
    }
    const [code, field] = codeField('totp-confirm-code', 'Code from the app');
    const form = h('form', null, field, h('button', { type: 'submit', class: 'primary' }, 'Turn on'));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      hideNotice(msg);
      try {
        const r = await api('POST', '/engine/api/me/totp/confirm', { json: { code: code.value.trim() } });
        draw({ ...st, enabled: true, pending: false, recovery_codes_left: r.recovery_codes.length }, recoveryView(r.recovery_codes));
      } catch (err) {
        notice(msg, 'error', err.message);
        code.select();
      }
    });
    clear(panel, h('h2', { id: 'totp-title' }, 'Two-step login'), enrolmentView(e), msg, form);
    code.focus();
  }

  load();
  return panel;
}

// The login page's second step, a login card of its own: a code (or, when
// the role requires TOTP and there is none yet, enrolment first). Calls
// done() once logged in; recovery codes from a forced enrolment are shown
// first, with a button to go on.
export function totpStep(pending, done) {
  const card = h('form', { class: 'login-card', 'aria-labelledby': 'login-title' });
  const msg = h('div', { class: 'notice', hidden: true });
  const [code, field] = codeField('totp-login-code', pending.enrol ? 'Code from the app' : 'Code from your authenticator app, or a recovery code');
  const button = h('button', { type: 'submit', class: 'primary' }, pending.enrol ? 'Turn on and log in' : 'Verify');
  const enrolBox = h('div');
  card.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(msg);
    button.disabled = true;
    try {
      const codes = await finishTotp(code.value.trim());
      if (!codes) return done();
      const go = h('button', { type: 'button', class: 'primary', id: 'totp-continue' }, 'Continue');
      go.addEventListener('click', () => done());
      clear(card, h('h1', { id: 'login-title' }, 'Two-step login is on'), recoveryView(codes), go);
    } catch (err) {
      notice(msg, 'error', err.message);
      button.disabled = false;
      code.select();
    }
  });
  clear(card,
    h('h1', { id: 'login-title' }, 'Two-step login'),
    h('p', { class: 'muted' }, pending.enrol
      ? 'Your role requires an authenticator app. Set one up to finish logging in.'
      : 'Enter the 6-digit code your authenticator app shows now.'),
    msg, enrolBox, field, button,
    h('p', { class: 'muted small' }, h('a', { href: `${BASE}/login` }, 'Start over with the password')));
  if (pending.enrol) {
    pendingEnrol().then((e) => clear(enrolBox, enrolmentView(e)), (err) => notice(msg, 'error', err.message));
  }
  queueMicrotask(() => code.focus());
  return card;
}
