// One script: the editor, save with inline load errors, enable/disable,
// rename, delete, and side panels for "Try it" and the version history.
import { api, scriptPath } from '../api.js';
import { BASE, h, clear, notice, takeFlash, hideNotice, confirmDialog, time } from '../dom.js';
import { createEditor } from '../cm.js';
import { statusBadge, routeList } from './scripts.js';
import { tryPanel } from './tryit.js';
import { historyPanel } from './history.js';
import { accessPanel, ownerText } from './access.js';
import { kvPanel } from './kvdata.js';
import { testsPanel } from './tests.js';
import { renameDialog } from './rename.js';

const DRAFT = 'aiwebengine.draft.';

const TEMPLATE = `// A script registers routes. A handler gets the request and returns the
// response: a string, or { status, headers, body }.
register("/hello", (req) => {
  return "Hello " + (req.query.name || "world");
});
`;

export function editorPage({ main, navigate, guard, title }, name) {
  const isNew = name === null;
  let meta = null;
  let saved = isNew ? TEMPLATE : null;
  let busy = false;

  const msg = h('div', { class: 'notice', hidden: true });
  const heading = h('h1', { class: 'script-name' }, isNew ? 'New script' : name);
  const info = h('div', { class: 'script-info' });
  const dirtyMark = h('span', { class: 'dirty', hidden: true }, 'unsaved changes');
  const nameInput = h('input', { id: 'script-name', type: 'text', placeholder: 'hello.js', autocomplete: 'off',
    spellcheck: 'false', pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]*(/[A-Za-z0-9][A-Za-z0-9_.\\-]*)*', maxlength: '255', 'aria-describedby': 'name-help' });
  const saveBtn = h('button', { type: 'button', class: 'primary', onclick: () => save(),
    'aria-keyshortcuts': 'Control+S Meta+S', title: 'Save (Ctrl+S / ⌘S)' }, 'Save');
  const toggleBtn = h('button', { type: 'button', onclick: () => toggle(), hidden: isNew }, 'Disable');
  const renameBtn = h('button', { type: 'button', onclick: () => rename(), hidden: isNew }, 'Rename');
  const deleteBtn = h('button', { type: 'button', class: 'danger', onclick: () => remove(), hidden: isNew }, 'Delete');
  const host = h('div', { class: 'editor-host' });
  const side = h('aside', { class: 'side', hidden: isNew, 'aria-label': 'Script tools' });
  const layout = h('div', { class: 'editor-layout' }, h('section', { class: 'editor-pane', 'aria-label': 'Editor' }, host,
    h('p', { class: 'muted small hint' }, 'Ctrl+S / ⌘S saves · Ctrl+F searches · Esc then Tab leaves the editor')), side);

  clear(main,
    h('div', { class: 'page-head' },
      h('div', null, h('p', { class: 'crumbs' }, h('a', { href: `${BASE}/scripts` }, 'Scripts'), ' /'), heading, info),
      h('div', { class: 'toolbar' }, dirtyMark, saveBtn, toggleBtn, renameBtn, deleteBtn)),
    isNew ? h('div', { class: 'field-row' }, h('label', { for: 'script-name' }, 'Name'), nameInput,
      h('span', { id: 'name-help', class: 'muted small' }, 'Letters, digits, ".", "_" and "-", with "/" between folders; for example shop-api.js or api/users.js')) : null,
    msg, layout);

  const editor = createEditor(host, { doc: isNew ? TEMPLATE : '', onSave: () => save(), onChange: () => markDirty() });
  const isDirty = () => saved !== null && editor.getValue() !== saved;
  guard.dirty = isDirty;
  // When the session ends under unsaved work, keep the text for after the
  // login (this tab only).
  const draftKey = DRAFT + (isNew ? '(new)' : name);
  guard.onLogout = () => { if (isDirty()) sessionStorage.setItem(draftKey, editor.getValue()); };
  const markDirty = () => { dirtyMark.hidden = !isDirty(); };

  let tryit = null;
  let hist = null;
  let access = null;
  if (!isNew) {
    tryit = tryPanel();
    hist = historyPanel(name, { onRestore: restored, onError: (e) => notice(msg, 'error', e.message), isDirty });
    access = accessPanel(name, { onChanged: (s) => showMeta({ ...meta, ...s }) });
    const data = kvPanel(name);
    const tests = testsPanel(name);
    side.append(...tabs([['Try it', tryit.el], ['History', hist.el], ['Data', data.el, data.show], ['Tests', tests.el],
      ['Access', access.el]]));
  }
  const onKey = (e) => {
    if (!e.defaultPrevented && (e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 's') { e.preventDefault(); save(); }
  };
  document.addEventListener('keydown', onKey);

  if (isNew) {
    const draft = takeDraft();
    if (draft !== null && draft !== TEMPLATE) {
      editor.setValue(draft);
      notice(msg, 'info', 'Your unsaved text from before the session ended is back in the editor.');
    }
    markDirty();
    queueMicrotask(() => nameInput.focus());
  } else load();

  function takeDraft() {
    const d = sessionStorage.getItem(draftKey);
    sessionStorage.removeItem(draftKey);
    return d;
  }

  async function load() {
    try {
      const s = await api('GET', scriptPath(name));
      saved = s.source;
      const draft = takeDraft();
      editor.setValue(draft !== null ? draft : s.source);
      showMeta(s);
      markDirty();
      hist.refresh(s.version);
      access.update(s);
      const flash = takeFlash();
      if (flash) notice(msg, 'ok', flash);
      if (draft !== null && draft !== s.source) {
        notice(msg, 'info', `Your unsaved changes from before the session ended are back in the editor (on top of version ${s.version}). Save to keep them.`);
      }
    } catch (e) {
      notice(msg, 'error', e.message);
      // 403 (not yours) or 404: nothing to edit.
      saveBtn.hidden = true; toggleBtn.hidden = true; renameBtn.hidden = true; deleteBtn.hidden = true;
      layout.hidden = true;
    }
  }

  function showMeta(s) {
    meta = s;
    title(s.name);
    clear(info, statusBadge(s), ` version ${s.version} · owner ${ownerText(s)} · updated `, time(s.updated_at),
      h('div', { class: 'routes-line' }, 'Routes: ', routeList(s.routes)));
    toggleBtn.textContent = s.enabled ? 'Disable' : 'Enable';
    tryit.update(s);
  }

  async function save() {
    if (busy) return;
    const target = isNew ? nameInput.value.trim() : name;
    if (isNew && !target) {
      notice(msg, 'error', 'Give the script a name first, for example hello.js.');
      nameInput.focus();
      return;
    }
    busy = true;
    saveBtn.disabled = true;
    saveBtn.textContent = 'Saving…';
    const source = editor.getValue();
    try {
      if (isNew && await exists(target)) {
        notice(msg, 'error', `A script named ${target} already exists. Pick another name, or open it from the Scripts page.`);
        return;
      }
      const r = await api('PUT', scriptPath(target), { body: source });
      editor.clearError();
      saved = source;
      markDirty();
      const text = `Saved ${r.name} as version ${r.version}.${r.enabled ? '' : ' The script is disabled: enable it to serve its routes.'}`;
      if (isNew) {
        navigate(`/scripts/${encodeURIComponent(r.name)}`, { replace: true, force: true, state: { flash: text } });
        return;
      }
      notice(msg, 'ok', text);
      showMeta(await api('GET', scriptPath(name)));
      hist.refresh(r.version);
    } catch (e) {
      const still = isNew ? 'Nothing was saved.' : `Not saved: version ${meta ? meta.version : '?'} keeps serving.`;
      if (e.code === 'script_load_error') {
        editor.showError(e.message, e.details.line, e.details.column, still);
        const where = e.details.line ? ` at line ${e.details.line}${e.details.column ? `, column ${e.details.column}` : ''}` : '';
        notice(msg, 'error', `${e.message}${where}. ${still}`);
      } else {
        notice(msg, 'error', `${e.message} ${still}`);
      }
    } finally {
      busy = false;
      saveBtn.disabled = false;
      saveBtn.textContent = 'Save';
    }
  }

  async function exists(n) {
    try { await api('GET', scriptPath(n)); return true; } catch (e) { if (e.status === 404) return false; throw e; }
  }

  async function toggle() {
    toggleBtn.disabled = true;
    try {
      const s = await api('PATCH', scriptPath(name), { json: { enabled: !meta.enabled } });
      showMeta({ ...meta, ...s });
      notice(msg, 'ok', s.enabled ? `${name} is enabled and serves its routes.` : `${name} is disabled: its routes answer 404.`);
    } catch (e) {
      notice(msg, 'error', e.message);
    } finally {
      toggleBtn.disabled = false;
    }
  }

  async function rename() {
    if (isDirty()) {
      notice(msg, 'error', 'Save or undo your changes first: renaming moves the saved script.');
      return;
    }
    const r = await renameDialog(name);
    if (r) navigate(`/scripts/${encodeURIComponent(r.name)}`, { replace: true, force: true, state: { flash: `Renamed ${name} to ${r.name}.` } });
  }

  async function remove() {
    const ok = await confirmDialog({
      title: `Delete ${name}?`,
      body: `This deletes the script, all its versions and its log. Its routes stop at once. There is no undo.`,
      confirm: 'Delete', danger: true,
    });
    if (!ok) return;
    try {
      await api('DELETE', scriptPath(name));
      navigate('/scripts', { force: true, state: { flash: `Deleted ${name}.` } });
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  async function restored(r, from) {
    const s = await api('GET', scriptPath(name));
    saved = s.source;
    editor.setValue(s.source);
    editor.clearError();
    showMeta(s);
    markDirty();
    hideNotice(msg);
    notice(msg, 'ok', `Restored version ${from} as version ${r.version}; it serves now.`);
  }

  return () => document.removeEventListener('keydown', onKey);
}

function tabs(panels) {
  const list = h('div', { role: 'tablist', class: 'tabs', 'aria-label': 'Script tools' });
  const bodies = [];
  const buttons = panels.map(([label, el], i) => {
    const id = `tab-${label.toLowerCase().replace(/\W+/g, '-')}`;
    const body = h('div', { role: 'tabpanel', id: `${id}-panel`, 'aria-labelledby': id, hidden: i !== 0, class: 'tabpanel' }, el);
    bodies.push(body);
    return h('button', { type: 'button', role: 'tab', id, 'aria-controls': `${id}-panel`,
      'aria-selected': String(i === 0), tabindex: i === 0 ? '0' : '-1' }, label);
  });
  const select = (i) => {
    buttons.forEach((b, k) => {
      b.setAttribute('aria-selected', String(k === i));
      b.tabIndex = k === i ? 0 : -1;
      bodies[k].hidden = k !== i;
    });
    // A panel with an onShow loads when it is opened.
    const onShow = panels[i][2];
    if (onShow) onShow();
  };
  buttons.forEach((b, i) => {
    b.addEventListener('click', () => select(i));
    b.addEventListener('keydown', (e) => {
      if (e.key !== 'ArrowRight' && e.key !== 'ArrowLeft') return;
      const k = (i + (e.key === 'ArrowRight' ? 1 : buttons.length - 1)) % buttons.length;
      select(k);
      buttons[k].focus();
    });
  });
  list.append(...buttons);
  return [list, ...bodies];
}
