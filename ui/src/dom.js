export const BASE = '/engine/admin';

// A tiny element builder. Text always goes in as text nodes (never as
// HTML), and no inline style attributes are set (the CSP forbids them).

export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value == null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2).toLowerCase(), value);
    else if (key === 'class') el.className = value;
    else if (key === 'value') el.value = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child == null || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

// A message box: role=alert for errors (read out at once), status otherwise.
export function notice(el, kind, ...children) {
  el.className = `notice notice-${kind}`;
  el.setAttribute('role', kind === 'error' ? 'alert' : 'status');
  clear(el, ...children);
  el.hidden = false;
}

export function hideNotice(el) {
  el.hidden = true;
  el.replaceChildren();
}

export function time(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return h('time', { datetime: iso, title: iso }, d.toLocaleString());
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind}` }, text);
}

// Resolves true when the user confirms, with a native <dialog> (focus is
// trapped and Escape cancels).
export function confirmDialog({ title, body, confirm, danger }) {
  return new Promise((resolve) => {
    const ok = h('button', { type: 'submit', value: 'ok', class: danger ? 'danger' : 'primary' }, confirm);
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('form', { method: 'dialog' },
        h('h2', { id: 'dialog-title' }, title),
        h('p', null, body),
        h('div', { class: 'actions' },
          h('button', { type: 'submit', value: 'cancel', autofocus: true }, 'Cancel'),
          ok)));
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(dialog.returnValue === 'ok');
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

// A one-time message passed through history.state by navigate(); taken
// once, so that a reload does not show it again.
export function takeFlash() {
  const flash = history.state && history.state.flash;
  if (flash) history.replaceState(null, '', location.href);
  return flash || null;
}

// A page heading with an optional description and actions on the right.
export function pageHead(title, description, ...actions) {
  return h('div', { class: 'page-head' },
    h('div', null, h('h1', null, title), description ? h('p', { class: 'muted lead' }, description) : null),
    actions.length ? h('div', { class: 'toolbar' }, actions) : null);
}

// A list table that turns into stacked cards on phones: `heads` are the
// column labels, each row an array of cells: content, or cell(content, cls).
// The first cell is the row's header.
export function listTable(caption, heads, rows, cls = '') {
  return h('div', { class: 'table-wrap' }, h('table', { class: `list ${cls}` },
    h('caption', { class: 'sr-only' }, caption),
    h('thead', null, h('tr', null, heads.map((t) => h('th', { scope: 'col' }, t)))),
    h('tbody', null, rows.map((cells) => h('tr', null, cells.map((c, i) => {
      const { content, cls: klass } = c && c[CELL] ? c : { content: c, cls: null };
      return h(i === 0 ? 'th' : 'td', { scope: i === 0 ? 'row' : null, 'data-label': heads[i] || null, class: klass }, content);
    }))))));
}
const CELL = Symbol('cell');
export const cell = (content, cls) => ({ [CELL]: true, content, cls });

let fieldSeq = 0;

// A modal form. `fields`: [{ name, label, type, value, options, required,
// help, autocomplete, minlength, placeholder }]; type is text, email,
// password, number, select or checkbox. `onSubmit(values)` runs the call;
// when it throws, the server's message shows in the dialog, which stays
// open. Resolves with onSubmit's result, or null when cancelled.
export function formDialog({ title, intro, fields, submit, danger = false, onSubmit }) {
  return new Promise((resolve) => {
    const seq = ++fieldSeq;
    const msg = h('div', { class: 'notice', hidden: true });
    const inputs = {};
    const rows = fields.map((f) => {
      const id = `fd${seq}-${f.name}`;
      const help = f.help ? h('span', { id: `${id}-help`, class: 'muted small' }, f.help) : null;
      let input;
      if (f.type === 'select') {
        input = h('select', { id, name: f.name, required: f.required },
          f.options.map((o) => {
            const [value, label] = Array.isArray(o) ? o : [o, o];
            return h('option', { value, selected: value === f.value }, label);
          }));
      } else if (f.type === 'checkbox') {
        input = h('input', { id, name: f.name, type: 'checkbox', checked: Boolean(f.value) });
        inputs[f.name] = input;
        return h('div', { class: 'field field-check' }, input, h('label', { for: id }, f.label), help);
      } else {
        input = h('input', { id, name: f.name, type: f.type || 'text', required: f.required, value: f.value ?? '',
          autocomplete: f.autocomplete || 'off', minlength: f.minlength, min: f.min, max: f.max,
          placeholder: f.placeholder, spellcheck: 'false' });
      }
      if (help) input.setAttribute('aria-describedby', `${id}-help`);
      inputs[f.name] = input;
      return h('div', { class: 'field' }, h('label', { for: id }, f.label), input, help);
    });
    const ok = h('button', { type: 'submit', class: danger ? 'danger' : 'primary' }, submit);
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', { novalidate: false },
      h('h2', { id: `fd${seq}-title` }, title),
      intro ? h('p', { class: 'muted' }, intro) : null,
      msg, rows,
      h('div', { class: 'actions' }, cancel, ok));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': `fd${seq}-title` }, form);
    let result = null;
    cancel.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => { dialog.remove(); resolve(result); });
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const values = {};
      for (const [name, input] of Object.entries(inputs)) values[name] = input.type === 'checkbox' ? input.checked : input.value;
      ok.disabled = true;
      try {
        result = (await onSubmit(values)) ?? true;
        dialog.close();
      } catch (err) {
        notice(msg, 'error', err.message);
        ok.disabled = false;
      }
    });
    document.body.append(dialog);
    dialog.showModal();
    const first = form.querySelector('input:not([type="hidden"]), select');
    if (first) first.focus();
  });
}

// Copies text, with a fallback for pages served over plain HTTP (where the
// async clipboard API is missing): select the text and use execCommand.
export async function copyText(text, fallbackInput) {
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  fallbackInput.select();
  if (!document.execCommand('copy')) throw new Error('the browser refused to copy; select the text and copy it by hand');
}

// Loads data for a page and shows the server's message on failure.
export async function guarded(msgEl, fn) {
  try {
    return await fn();
  } catch (e) {
    notice(msgEl, 'error', e.message);
    return undefined;
  }
}
