
(function (n) {
  'use strict';
  const internal = globalThis.__aiwebengine;
  const ops = new Map();
  let nextOp = 1;
  internal.assetsSettle = function (id, ok, value) {
    const p = ops.get(id);
    if (p) { ops.delete(id); (ok ? p.resolve : p.reject)(value); }
  };
  const op = (start) => new Promise((resolve, reject) => {
    const id = nextOp++;
    ops.set(id, { resolve, reject });
    try { start(id); } catch (e) { ops.delete(id); reject(e); }
  });
  const pathOf = (p, what) => {
    if (typeof p !== 'string' || p === '') throw new TypeError(what + ': the path must be a non-empty string, such as "img/logo.png"');
    return p;
  };
  const entry = (m) => {
    if (m === null) return null;
    const blob = m.blob;
    const read = (text) => op((id) => n.read(id, m.path, blob, text));
    return Object.freeze({
      path: m.path, url: m.url, contentType: m.contentType, size: m.size, etag: m.etag,
      owner: m.owner, created: new Date(m.created), updated: new Date(m.updated),
      bytes: () => read(false),
      text: () => read(true),
    });
  };
  // An uploaded file (req.files[i]) may carry its bytes, or read them on demand.
  const content = async (data) => {
    // A spooled upload goes to the host as is: it copies the file, so the
    // bytes never pass through JS memory.
    if (data !== null && typeof data === 'object' && '__spooled' in data) return [data, data.contentType];
    if (data !== null && typeof data === 'object' && !ArrayBuffer.isView(data) && !(data instanceof ArrayBuffer) && 'bytes' in data) {
      const b = typeof data.bytes === 'function' ? await data.bytes() : await data.bytes;
      return [b, data.contentType];
    }
    if (ArrayBuffer.isView(data) && !(data instanceof Uint8Array)) {
      return [new Uint8Array(data.buffer, data.byteOffset, data.byteLength), undefined];
    }
    return [data, undefined];
  };
  const assets = Object.freeze({
    list(options) {
      const prefix = options && options.prefix !== undefined ? String(options.prefix) : '';
      return Promise.resolve(n.list(prefix).map(entry));
    },
    get(p) {
      try { return Promise.resolve(entry(n.get(pathOf(p, 'assets.get')))); } catch (e) { return Promise.reject(e); }
    },
    async put(p, data, options) {
      pathOf(p, 'assets.put');
      const [bytes, fileType] = await content(data);
      const ct = options && options.contentType !== undefined ? String(options.contentType) : fileType;
      return entry(await op((id) => n.put(id, p, bytes, ct === undefined ? undefined : ct)));
    },
    delete(p) {
      return op((id) => n.delete(id, pathOf(p, 'assets.delete')));
    },
    image(p, options) {
      const o = options || {};
      return op((id) => n.image(id, pathOf(p, 'assets.image'), {
        width: o.width, height: o.height, fit: o.fit, format: o.format,
      }));
    },
  });
  const def = (name, value) => {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d && !d.get) return;
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  def('assets', assets);
  const legacyPath = (p, what) => {
    if (typeof p !== 'string' || p === '') throw new TypeError(what + ': the path must be a string such as "/logo.png"');
    return p;
  };
  def('listAssets', function listAssets() { return n.list('').map((m) => '/' + m.path); });
  def('fetchAsset', function fetchAsset(p) { return n.fetchSync(legacyPath(p, 'fetchAsset')); });
  def('upsertAsset', function upsertAsset(p, mimetype, base64Content) {
    if (typeof base64Content !== 'string') throw new TypeError('upsertAsset(path, mimetype, base64Content): base64Content must be a base64 string');
    n.putSync(legacyPath(p, 'upsertAsset'), String(mimetype || ''), base64Content);
  });
  def('deleteAsset', function deleteAsset(p) { return n.deleteSync(legacyPath(p, 'deleteAsset')); });
})
