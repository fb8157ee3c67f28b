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
