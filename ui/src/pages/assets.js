// Assets: files served at "/" + their path (images, CSS, downloads), kept
// in the data file. List (GET /engine/api/assets?prefix=), upload by file
// picker or drag and drop (POST multipart, ?dir= for a folder), delete
// (DELETE /engine/api/assets/{path}), and a preview of images.
import { api } from '../api.js';
import { h, clear, notice, hideNotice, pageHead, listTable, cell, time, bytes, confirmDialog, takeFlash } from '../dom.js';

const RASTER = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
const essence = (ct) => String(ct || '').split(';')[0].trim().toLowerCase();
const isImage = (ct) => essence(ct).startsWith('image/');
const apiPath = (p) => `/engine/api/assets/${p.split('/').map(encodeURIComponent).join('/')}`;
// Scaled down by the server (?w=) for PNG, JPEG, GIF and WebP.
const thumbUrl = (a) => (RASTER.has(essence(a.content_type)) ? `${a.url}?w=96` : a.url);

export function assetsPage({ main }) {
  const msg = h('div', { class: 'notice', hidden: true });
  const flash = takeFlash();
  if (flash) notice(msg, 'ok', flash);
  const filter = h('input', { id: 'asset-filter', type: 'search', placeholder: 'img/', spellcheck: 'false', autocomplete: 'off' });
  const dir = h('input', { id: 'asset-dir', type: 'text', placeholder: 'img (optional)', spellcheck: 'false', autocomplete: 'off',
    'aria-describedby': 'asset-dir-help' });
  const files = h('input', { id: 'asset-files', type: 'file', multiple: true, class: 'sr-only' });
  const pick = h('label', { for: 'asset-files', class: 'button' }, 'Choose files…');
  const drop = h('div', { class: 'dropzone', 'data-over': 'false' },
    h('p', null, h('strong', null, 'Drop files here'), ' or ', files, pick),
    h('p', { class: 'muted small' }, 'Each file is stored at the folder plus its name, and served at / + that path. An existing path is replaced.'));
  const uploadMsg = h('div', { class: 'notice', hidden: true });
  const body = h('div', null, h('p', { class: 'muted' }, 'Loading…'));
  clear(main, pageHead('Assets', 'Files the server serves as they are, at / followed by their path: images, style sheets, downloads. They live in the data file.'),
    h('section', { class: 'card-form upload-card', 'aria-labelledby': 'upload-title' },
      h('h2', { id: 'upload-title' }, 'Upload'),
      h('div', { class: 'field' }, h('label', { for: 'asset-dir' }, 'Folder'), dir,
        h('span', { id: 'asset-dir-help', class: 'muted small' }, 'Letters, digits, "_", "." and "-", with "/" between folders; empty for the top level.')),
      drop, uploadMsg),
    h('div', { class: 'filters' }, h('label', { for: 'asset-filter' }, 'Path starts with'), filter),
    msg, body);

  let timer = null;

  async function load() {
    const q = new URLSearchParams();
    if (filter.value.trim()) q.set('prefix', filter.value.trim());
    try {
      const { assets } = await api('GET', `/engine/api/assets${q.size ? `?${q}` : ''}`);
      draw(assets);
    } catch (e) {
      clear(body);
      notice(msg, 'error', e.message);
    }
  }

  function draw(assets) {
    if (!assets.length) {
      clear(body, h('p', { class: 'muted' }, filter.value.trim() ? 'No asset path starts with this.' : 'No assets yet. Upload some above.'));
      return;
    }
    const total = assets.reduce((n, a) => n + a.size, 0);
    clear(body,
      h('p', { class: 'muted small' }, `${assets.length} asset${assets.length === 1 ? '' : 's'}, ${bytes(total)}`),
      listTable('Assets', ['Path', 'Preview', 'Type', 'Size', 'Updated', 'Owner', ''], assets.map((a) => [
        h('a', { href: a.url, target: '_blank', rel: 'noopener', class: 'break', title: `Open ${a.url}` }, a.url),
        isImage(a.content_type)
          ? cell(h('button', { type: 'button', class: 'thumb', 'aria-label': `Preview ${a.path}`, onclick: () => preview(a) },
            h('img', { src: thumbUrl(a), alt: '', loading: 'lazy' })), 'thumb-cell')
          : cell(h('span', { class: 'muted small' }, '—'), 'thumb-cell'),
        h('code', { class: 'small' }, essence(a.content_type)),
        cell(bytes(a.size), 'nowrap'),
        cell(time(a.updated_at), 'col-updated'),
        a.owner || h('span', { class: 'muted' }, 'nobody (admins only)'),
        cell(h('button', { type: 'button', class: 'danger small-button', 'aria-label': `Delete ${a.path}`, onclick: () => remove(a) }, 'Delete'),
          'row-actions-cell'),
      ]), 'assets first-plain'));
  }

  function preview(a) {
    const close = h('button', { type: 'button', autofocus: true }, 'Close');
    const dialog = h('dialog', { class: 'dialog preview-dialog', 'aria-labelledby': 'preview-title' },
      h('h2', { id: 'preview-title', class: 'break' }, a.path),
      h('img', { src: a.url, alt: a.path, class: 'preview-img' }),
      h('p', { class: 'muted small' }, `${essence(a.content_type)} · ${bytes(a.size)} · `,
        h('a', { href: a.url, target: '_blank', rel: 'noopener' }, 'Open')),
      h('div', { class: 'actions' }, close));
    close.addEventListener('click', () => dialog.close());
    dialog.addEventListener('close', () => dialog.remove());
    document.body.append(dialog);
    dialog.showModal();
  }

  async function remove(a) {
    const ok = await confirmDialog({
      title: `Delete ${a.path}?`,
      body: `${a.url} stops being served at once (404). There is no undo.`,
      confirm: 'Delete', danger: true,
    });
    if (!ok) return;
    hideNotice(msg);
    try {
      await api('DELETE', apiPath(a.path));
      notice(msg, 'ok', `Deleted ${a.path}.`);
      await load();
    } catch (e) {
      notice(msg, 'error', e.message);
    }
  }

  async function upload(list) {
    if (!list.length) return;
    hideNotice(uploadMsg);
    hideNotice(msg);
    const form = new FormData();
    for (const f of list) form.append('file', f, f.name);
    const q = new URLSearchParams();
    const folder = dir.value.trim().replace(/^\/+|\/+$/g, '');
    if (folder) q.set('dir', folder);
    notice(uploadMsg, 'info', `Uploading ${list.length} file${list.length === 1 ? '' : 's'} (${bytes(list.reduce((n, f) => n + f.size, 0))})…`);
    try {
      const r = await api('POST', `/engine/api/assets${q.size ? `?${q}` : ''}`, { body: form });
      const done = (r && r.assets) || [];
      notice(uploadMsg, 'ok', `Uploaded ${done.map((a) => a.url).join(', ')}.`);
      await load();
    } catch (e) {
      notice(uploadMsg, 'error', `Nothing was uploaded: ${e.message}`);
    } finally {
      files.value = '';
    }
  }

  files.addEventListener('change', () => upload([...files.files]));
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.dataset.over = 'true'; });
  drop.addEventListener('dragleave', () => { drop.dataset.over = 'false'; });
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.dataset.over = 'false';
    upload([...(e.dataTransfer ? e.dataTransfer.files : [])]);
  });
  // A file dropped next to the zone would make the browser leave the page.
  const stray = (e) => { if (!drop.contains(e.target)) e.preventDefault(); };
  window.addEventListener('dragover', stray);
  window.addEventListener('drop', stray);
  filter.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(load, 250); });
  load();
  return () => {
    clearTimeout(timer);
    window.removeEventListener('dragover', stray);
    window.removeEventListener('drop', stray);
  };
}
