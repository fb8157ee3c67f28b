
(function (n) {
  'use strict';
  const internal = globalThis.__aiwebengine;
  const ops = new Map();
  let nextOp = 1;
  internal.scriptsSettle = function (id, ok, value) {
    const p = ops.get(id);
    if (p) { ops.delete(id); (ok ? p.resolve : p.reject)(value); }
  };
  const call = (asOwner, op, args) => new Promise((resolve, reject) => {
    const id = nextOp++;
    ops.set(id, { resolve, reject });
    try { n.start(id, op, asOwner, JSON.stringify(args)); } catch (e) { ops.delete(id); reject(e); }
  });
  const name = (v, what) => {
    if (typeof v !== 'string' || v === '') throw new TypeError(what + ': the script name must be a non-empty string, such as "blog.js"');
    return v;
  };
  const api = (asOwner) => Object.freeze({
    list: () => call(asOwner, 'list', []),
    get: (s) => call(asOwner, 'get', [name(s, 'scripts.get')]),
    put: (s, source) => {
      if (typeof source !== 'string') throw new TypeError('scripts.put(name, source): source must be a string');
      return call(asOwner, 'put', [name(s, 'scripts.put'), source]);
    },
    delete: (s) => call(asOwner, 'delete', [name(s, 'scripts.delete')]),
    logs: (s, options) => {
      const limit = options && options.limit !== undefined ? Number(options.limit) : 100;
      if (!(limit > 0)) throw new TypeError('scripts.logs(name, {limit}): limit must be a positive number');
      return call(asOwner, 'logs', [s === undefined || s === null ? null : name(s, 'scripts.logs'), limit]);
    },
    asOwner: () => owner,
  });
  const owner = api(true);
  const sync = (op, args) => JSON.parse(n.sync(op, JSON.stringify(args)));
  const legacyPath = (p, what) => {
    if (typeof p !== 'string') throw new TypeError(what + ': the name must be a string');
    return p;
  };
  Object.defineProperty(globalThis, 'scripts', { value: api(false), writable: true, configurable: true, enumerable: false });
  const globals = {
    listScripts: () => sync('list', []).map((s) => s.name),
    getScript: (s) => { const r = sync('get', [legacyPath(s, 'getScript')]); return r === null ? null : r.source; },
    upsertScript: (s, source) => {
      if (typeof source !== 'string') throw new TypeError('upsertScript(name, source): source must be a string');
      const r = sync('put', [legacyPath(s, 'upsertScript'), source]);
      if (!r.ok) throw new SyntaxError('upsertScript(' + JSON.stringify(s) + '): ' + r.error + (r.line ? ' (line ' + r.line + ', column ' + r.column + ')' : ''));
      return true;
    },
    deleteScript: (s) => sync('delete', [legacyPath(s, 'deleteScript')]),
    listLogs: () => sync('logs', [null, 100]).map((e) => e.message),
  };
  for (const [k, v] of Object.entries(globals)) {
    Object.defineProperty(globalThis, k, { value: v, writable: true, configurable: true, enumerable: false });
  }
})
