// TLS certificate (admins only): the certificate HTTPS serves now
// (GET /engine/api/tls), an upload of your own (PUT, PEM certificate and
// key; served from the next connection on, no restart) and the way back to
// the self-signed one (DELETE).
import { api } from '../api.js';
import { h, clear, notice, hideNotice, badge, pageHead, confirmDialog, copyText } from '../dom.js';

const SOURCES = {
  'self-signed': ['self-signed', 'off', 'Made by the server and kept in the data file. Browsers warn about it: compare the fingerprint below with the one they show.'],
  uploaded: ['uploaded', 'ok', 'Uploaded here and kept in the data file (it is in every backup).'],
  'config files': ['config files', 'admin', 'Read from the tls.cert and tls.key files named in the config; those take precedence over an upload.'],
};

const DAY = 24 * 3600 * 1000;

function validity(c) {
  if (!c.not_after) return null;
  const left = Math.floor((new Date(c.not_after) - Date.now()) / DAY);
  if (left < 0) return badge('expired', 'error');
  if (left < 30) return badge(`${left} day${left === 1 ? '' : 's'} left`, 'warn');
  return h('span', { class: 'muted small' }, ` (${left} days left)`);
}

const when = (iso) => (iso ? h('time', { datetime: iso, title: iso }, new Date(iso).toLocaleString()) : '');

export function tlsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const facts = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  const formMsg = h('div', { class: 'notice', hidden: true });
  const certText = h('textarea', { id: 'tls-cert', rows: '8', spellcheck: 'false', autocomplete: 'off',
    placeholder: '-----BEGIN CERTIFICATE-----\n…\n-----END CERTIFICATE-----', 'aria-describedby': 'tls-cert-help' });
  const keyText = h('textarea', { id: 'tls-key', rows: '6', spellcheck: 'false', autocomplete: 'off',
    placeholder: '-----BEGIN PRIVATE KEY-----\n…\n-----END PRIVATE KEY-----', 'aria-describedby': 'tls-key-help' });
  const certFile = fileInput('tls-cert-file', certText);
  const keyFile = fileInput('tls-key-file', keyText);
  let submitText = 'Upload and serve';
  const submit = h('button', { type: 'submit', class: 'primary' }, submitText);
  const form = h('form', { class: 'card-form tls-form', hidden: true, 'aria-labelledby': 'tls-upload-title' },
    h('h2', { id: 'tls-upload-title' }, 'Upload a certificate'),
    h('p', { class: 'muted small' }, 'The certificate (with its chain: the server certificate first, then the intermediates) and its private key, both PEM. The server checks that they parse, that the key belongs to the certificate and that it has not expired, then serves it to every new connection at once.'),
    formMsg,
    h('div', { class: 'field' },
      h('label', { for: 'tls-cert' }, 'Certificate chain (PEM)'), certText,
      h('div', { class: 'file-row' }, h('label', { for: 'tls-cert-file', class: 'muted small' }, 'or read it from a file:'), certFile),
      h('span', { id: 'tls-cert-help', class: 'muted small' }, 'fullchain.pem, cert.pem or similar')),
    h('div', { class: 'field' },
      h('label', { for: 'tls-key' }, 'Private key (PEM, unencrypted)'), keyText,
      h('div', { class: 'file-row' }, h('label', { for: 'tls-key-file', class: 'muted small' }, 'or read it from a file:'), keyFile),
      h('span', { id: 'tls-key-help', class: 'muted small' }, 'privkey.pem or key.pem; it is stored in the data file and never shown again')),
    h('div', { class: 'toolbar' }, submit));
  clear(main, pageHead('TLS certificate',
    'The certificate the HTTPS listener serves. Upload your own to replace the self-signed one; it applies to new connections without a restart.'),
  msg, facts, form);

  async function load() {
    try {
      show(await api('GET', '/engine/api/tls'));
    } catch (e) {
      clear(facts);
      notice(msg, 'error', e.message);
    }
  }

  function show(c) {
    const [label, kind, how] = SOURCES[c.source] || [c.source || 'none', 'off', ''];
    const items = [];
    const row = (term, ...desc) => items.push(h('dt', null, term), h('dd', null, ...desc));
    if (c.fingerprint) {
      const fp = h('code', { class: 'break fingerprint', id: 'tls-fingerprint' }, c.fingerprint);
      const copy = h('button', { type: 'button', class: 'small-button' }, 'Copy');
      const hiddenInput = h('input', { type: 'text', value: c.fingerprint, class: 'sr-only', tabindex: '-1', 'aria-hidden': 'true', readonly: true });
      copy.addEventListener('click', async () => {
        try { await copyText(c.fingerprint, hiddenInput); copy.textContent = 'Copied'; } catch (e) { notice(msg, 'error', e.message); }
      });
      row('Source', badge(label, kind), h('div', { class: 'muted small' }, how));
      row('SHA-256 fingerprint', h('div', { class: 'fp-row' }, fp, copy, hiddenInput));
      row('Subject', h('span', { class: 'break' }, c.subject));
      row('Issuer', h('span', { class: 'break' }, c.issuer), c.issuer === c.subject ? h('span', { class: 'muted small' }, ' (self-issued)') : null);
      row('Names', c.sans && c.sans.length
        ? h('ul', { class: 'names' }, c.sans.map((n) => h('li', null, h('code', null, n))))
        : h('span', { class: 'muted' }, 'none'));
      row('Valid from', when(c.not_before));
      row('Valid until', when(c.not_after), ' ', validity(c));
      if (c.source === 'uploaded' && c.uploaded) row('Uploaded', when(c.uploaded.at), ` by ${c.uploaded.by}`);
    }
    const notes = [];
    if (!c.https) {
      notes.push(h('div', { class: 'notice notice-info', role: 'status' },
        'HTTPS is off (serve --https off), so no certificate is served now. ',
        c.fingerprint ? 'The uploaded certificate below is used when the server starts with HTTPS.' : 'An uploaded certificate is kept for when the server starts with HTTPS.'));
    }
    if (c.config_files) {
      notes.push(h('div', { class: 'notice notice-info', role: 'status' },
        `The certificate comes from the config files tls.cert (${c.config_files.cert}) and tls.key (${c.config_files.key}), which take precedence over an upload. `
        + 'To manage it here, remove both keys from the config and restart. To renew it, replace the files and reload the config (SIGHUP or Settings).'));
    }
    const actions = [];
    if (c.source === 'uploaded' || (!c.https && c.uploaded)) {
      actions.push(h('button', { type: 'button', class: 'danger', onclick: removeUpload }, 'Go back to the self-signed certificate'));
    }
    clear(facts, notes, items.length ? h('dl', { class: 'facts tls-facts' }, items) : null,
      actions.length ? h('div', { class: 'toolbar' }, actions) : null);
    form.hidden = !c.can_upload;
    submitText = c.https ? 'Upload and serve' : 'Upload';
    if (!submit.disabled) submit.textContent = submitText;
  }

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    hideNotice(formMsg);
    hideNotice(msg);
    submit.disabled = true;
    submit.textContent = 'Checking…';
    try {
      const c = await api('PUT', '/engine/api/tls', { json: { cert: certText.value, key: keyText.value } });
      for (const el of [keyText, certText, certFile, keyFile]) el.value = '';
      show(c);
      notice(msg, 'ok', c.applied
        ? `Serving the uploaded certificate now: new connections get the fingerprint ${c.fingerprint}.`
        : `Stored the certificate (fingerprint ${c.fingerprint}). ${c.note || ''}`);
      window.scrollTo({ top: 0 });
    } catch (err) {
      notice(formMsg, 'error', err.message);
    } finally {
      submit.disabled = false;
      submit.textContent = submitText;
    }
  });

  async function removeUpload() {
    const ok = await confirmDialog({
      title: 'Go back to the self-signed certificate?',
      body: 'The uploaded certificate and key are deleted from the data file, and new connections get the self-signed certificate (browsers warn about it again). There is no undo, but you can upload the files again.',
      confirm: 'Delete the upload', danger: true,
    });
    if (!ok) return;
    hideNotice(msg);
    try {
      const c = await api('DELETE', '/engine/api/tls');
      show(c);
      notice(msg, 'ok', c.applied ? `Serving the self-signed certificate again (fingerprint ${c.fingerprint}).` : 'Deleted the uploaded certificate.');
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  load();
}

// A file picker that reads a PEM file into `target`.
function fileInput(id, target) {
  const input = h('input', { id, type: 'file', accept: '.pem,.crt,.cer,.key,.txt,application/x-pem-file' });
  input.addEventListener('change', async () => {
    const f = input.files && input.files[0];
    if (f) target.value = await f.text();
  });
  return input;
}
