// The Rename dialog of the script page: asks for the new name, shows the
// server's refusal in place, resolves with the renamed script's summary
// (or null when cancelled).
import { api, scriptPath } from '../api.js';
import { h, notice, hideNotice } from '../dom.js';

export function renameDialog(name) {
  return new Promise((resolve) => {
    let result = null;
    const input = h('input', { id: 'rename-to', type: 'text', value: name, autocomplete: 'off', spellcheck: 'false',
      required: true, 'aria-describedby': 'rename-help' });
    const err = h('div', { class: 'notice', hidden: true });
    const ok = h('button', { type: 'submit', class: 'primary' }, 'Rename');
    const cancel = h('button', { type: 'button' }, 'Cancel');
    const form = h('form', null,
      h('h2', { id: 'rename-title' }, `Rename ${name}`),
      h('p', null, 'Versions, log and kv data move to the new name. The routes stay the same.'),
      h('div', { class: 'field' }, h('label', { for: 'rename-to' }, 'New name'), input,
        h('span', { id: 'rename-help', class: 'muted small' }, 'Letters, digits, ".", "_" and "-"; for example shop-api.js')),
      err,
      h('div', { class: 'actions' }, cancel, ok));
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'rename-title' }, form);
    cancel.addEventListener('click', () => dialog.close());
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const to = input.value.trim();
      if (to === name) { dialog.close(); return; }
      ok.disabled = true;
      hideNotice(err);
      try {
        result = await api('POST', `${scriptPath(name)}/rename`, { json: { name: to } });
        dialog.close();
      } catch (ex) {
        notice(err, 'error', ex.message);
        input.focus();
      } finally {
        ok.disabled = false;
      }
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    input.select();
  });
}
