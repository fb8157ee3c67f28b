
(function (native, evalEnabled, consoleEnabled) {
  'use strict';
  const handlers = Object.create(null);
  const timers = new Map();
  let nextTimer = 1;
  const fmt = (a) => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.stack ? a.name + ': ' + a.message + '\n' + a.stack : String(a);
    try { const s = JSON.stringify(a); return s === undefined ? String(a) : s; } catch (e) { return String(a); }
  };
  const internal = {
    handlers, onError: undefined,
    fire(id) { const t = timers.get(id); if (t) { timers.delete(id); t(); } },
  };
  Object.defineProperty(globalThis, '__aiwebengine', { value: internal });
  // The WHATWG body methods of every `req`, on one shared prototype so that a
  // handler that never calls them pays nothing. The fetch prelude (loaded on
  // first use through any of its lazy globals) supplies internal.reqBody.
  const reqBody = () => {
    for (const name of ['FormData', 'Response', 'Headers', 'Request', 'fetch']) {
      if (internal.reqBody) break;
      void globalThis[name];
    }
    if (!internal.reqBody) throw new TypeError('req body methods: the fetch classes are not available in this context');
    return internal.reqBody;
  };
  const reqMethods = {
    text() { try { return reqBody().text(this); } catch (e) { return Promise.reject(e); } },
    arrayBuffer() { try { return reqBody().arrayBuffer(this); } catch (e) { return Promise.reject(e); } },
    bytes() { try { return reqBody().bytes(this); } catch (e) { return Promise.reject(e); } },
    formData() { try { return reqBody().formData(this); } catch (e) { return Promise.reject(e); } },
  };
  internal.reqProto = Object.create(Object.prototype);
  for (const [k, v] of Object.entries(reqMethods)) {
    Object.defineProperty(internal.reqProto, k, { value: v, writable: true, configurable: true });
  }
  // What most requests lack is not built per request (issue 14): `req`
  // inherits these and the first read (or an assignment) makes an own,
  // enumerable property, so a mutation sticks and later reads are plain.
  const own = (obj, k, v) => Object.defineProperty(obj, k, { value: v, writable: true, enumerable: true, configurable: true });
  const defaults = { query: () => ({}), params: () => ({}), cookies: () => ({}), form: () => ({}), files: () => [], json: () => null };
  for (const [k, make] of Object.entries(defaults)) {
    Object.defineProperty(internal.reqProto, k, {
      get() { const v = make(); if (this !== internal.reqProto) own(this, k, v); return v; },
      set(v) { own(this, k, v); },
      configurable: true,
    });
  }
  // `headers` is made on first read too, by a native accessor the engine
  // defines on reqProto after this prelude (src/js/req_headers.rs).
  // JSON.stringify(req) shows them as before.
  Object.defineProperty(internal.reqProto, 'toJSON', {
    value() {
      const out = {};
      for (const k of Object.keys(this)) out[k] = this[k];
      if (!('headers' in out)) out.headers = this.headers;
      for (const [k, make] of Object.entries(defaults)) if (!(k in out)) out[k] = make();
      return out;
    },
    writable: true, configurable: true,
  });
  // A GraphQL resolver's or MCP handler's `ctx` inherits from this: its
  // `headers` are made on first read as `req`'s are (the same native
  // accessor), and JSON.stringify(ctx) shows them.
  internal.callCtxProto = Object.create(Object.prototype);
  Object.defineProperty(internal.callCtxProto, 'toJSON', {
    value() {
      const out = {};
      for (const k of Object.keys(this)) out[k] = this[k];
      if (!('headers' in out)) out.headers = this.headers;
      return out;
    },
    writable: true, configurable: true,
  });
  Object.defineProperty(internal.reqProto, 'bodyUsed', {
    get() { return internal.reqBody !== undefined && internal.reqBody.used(this); },
    configurable: true,
  });
  // ---- apps: `{ fetch(request, ctx) }` mounted under a path (issue 16) ----
  const APP_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'];
  const mounted = new WeakSet();
  const isApp = (v) => v !== null && (typeof v === 'object' || typeof v === 'function') && typeof v.fetch === 'function';
  const callApp = (app, base, req) => {
    reqBody();
    const request = internal.incoming(req);
    const rest = base === '/' ? req.path : req.path.slice(base.length);
    const ctx = {
      mount: base,
      path: rest === '' ? '/' : rest,
      params: req.params,
      query: req.query,
      auth: req.auth,
      requestId: req.requestId,
      ip: req.ip,
      waitUntil(p) {
        Promise.resolve(p).then(undefined, (e) => native.log('error', 'waitUntil: ' + fmt(e)));
      },
    };
    return app.fetch(request, ctx);
  };
  const mountApp = (where, path, app, options) => {
    if (typeof path !== 'string' || !/^\/[^:{}*?#]*$/.test(path) || (path.length > 1 && path.endsWith('/'))) {
      throw new TypeError(where + ': the mount point must be a literal path such as "/app" (no parameters, no "*", no trailing "/"), got ' + JSON.stringify(path));
    }
    if (options !== undefined && (options === null || typeof options !== 'object')) {
      throw new TypeError(where + ': options must be an object such as {maxBodyBytes}; an app serves every method, so there is no method argument');
    }
    const max = options && options.maxBodyBytes !== undefined ? options.maxBodyBytes : -1;
    const handler = function (req) { return callApp(app, path, req); };
    const rest = path === '/' ? '/*' : path + '/*';
    for (const m of APP_METHODS) {
      handlers[native.register(path, m, max, false)] = handler;
      handlers[native.register(rest, m, max, false)] = handler;
    }
    mounted.add(app);
  };
  internal.moduleLoaded = function (exports, name) {
    const app = exports.default;
    if (!isApp(app) || mounted.has(app)) return;
    let mount = exports.mount;
    let options;
    if (mount !== null && typeof mount === 'object') {
      options = { maxBodyBytes: mount.maxBodyBytes };
      mount = mount.path;
    }
    if (mount === undefined) {
      const guess = '/' + name.replace(/\.[^./]*$/, '');
      throw new TypeError(name + ': `export default { fetch }` needs a mount point: add `export const mount = ' +
        JSON.stringify(guess) + ';` (or call register(' + JSON.stringify(guess) + ', app))');
    }
    mountApp(name + ': export const mount', mount, app, options);
  };
  globalThis.register = function register(path, handler, method, options) {
    if (isApp(handler)) {
      if (method !== undefined && (typeof method !== 'object' || options !== undefined)) {
        throw new TypeError('register(path, app, options): an app with fetch() serves every method under its path; pass options such as {maxBodyBytes} as the third argument');
      }
      return mountApp('register(path, app)', path, handler, method);
    }
    if (typeof handler !== 'function' && typeof handler !== 'string') {
      throw new TypeError('register(path, handler, method): handler must be a function, the name of a global function, or an app {fetch(request, ctx)}');
    }
    const max = options && options.maxBodyBytes !== undefined ? options.maxBodyBytes : -1;
    const key = native.register(path, method === undefined ? 'GET' : method, max, false);
    handlers[key] = handler;
  };
  globalThis.registerWebStream = function registerWebStream(path, options) {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError('registerWebStream(path): path must be a non-empty string starting with "/", got ' + JSON.stringify(path));
    }
    const onConnect = options && options.onConnect;
    if (onConnect !== undefined && typeof onConnect !== 'function') {
      throw new TypeError('registerWebStream(path, {onConnect}): onConnect must be a function (req) => metadata');
    }
    const key = native.register(path, 'GET', -1, true);
    handlers[key] = onConnect === undefined ? null : onConnect;
  };
  const registerGraphQL = (kind) => function (name, sdl, resolver) {
    if (typeof name !== 'string' || !/^[_A-Za-z][_0-9A-Za-z]*$/.test(name)) {
      throw new TypeError('registerGraphQL' + kind + '(name, sdl, resolver): name must be a GraphQL name, got ' + JSON.stringify(name));
    }
    if (typeof sdl !== 'string') throw new TypeError('registerGraphQL' + kind + '(name, sdl, resolver): sdl must be a string of GraphQL SDL');
    if (typeof resolver !== 'function' && typeof resolver !== 'string') {
      throw new TypeError('registerGraphQL' + kind + '(name, sdl, resolver): resolver must be a function or the name of a global function');
    }
    handlers[native.graphql(kind, name, sdl)] = resolver;
  };
  globalThis.registerGraphQLQuery = registerGraphQL('Query');
  globalThis.registerGraphQLMutation = registerGraphQL('Mutation');
  globalThis.registerGraphQLSubscription = registerGraphQL('Subscription');
  globalThis.sendSubscriptionMessage = function sendSubscriptionMessage(name, data) {
    if (typeof name !== 'string' || name === '') throw new TypeError('sendSubscriptionMessage(name, data): name must be the subscription field name');
    const isString = typeof data === 'string';
    const text = isString ? data : JSON.stringify(data);
    if (text === undefined) throw new TypeError('sendSubscriptionMessage(name, data): data must be a string or JSON-serializable');
    native.gqlPublish(name, text, isString);
  };
  const streamArgs = (data, options) => {
    const text = typeof data === 'string' ? data : JSON.stringify(data);
    if (text === undefined) throw new TypeError('stream message data must be a string or a JSON-serializable value');
    return [text, options === undefined || options === null ? '' : JSON.stringify(options)];
  };
  globalThis.sendStreamMessage = function sendStreamMessage(data, options) {
    native.stream('', ...streamArgs(data, options));
  };
  globalThis.sendStreamMessageToPath = function sendStreamMessageToPath(path, data, options) {
    if (typeof path !== 'string' || !path.startsWith('/')) {
      throw new TypeError('sendStreamMessageToPath(path, data): path must start with "/", got ' + JSON.stringify(path));
    }
    native.stream(path, ...streamArgs(data, options));
  };
  globalThis.writeLog = function writeLog(message) { native.log('info', fmt(message)); };
  const level = (l) => consoleEnabled
    ? (...args) => native.log(l, args.map(fmt).join(' '))
    : () => {};
  globalThis.console = {
    log: level('log'), info: level('info'), warn: level('warn'),
    error: level('error'), debug: level('debug'),
  };
  globalThis.setErrorHandler = function setErrorHandler(fn) {
    if (typeof fn !== 'function') throw new TypeError('setErrorHandler(fn): fn must be a function (err, req) => response');
    internal.onError = fn;
  };
  globalThis.setTimeout = function setTimeout(fn, ms, ...args) {
    if (typeof fn !== 'function') throw new TypeError('setTimeout(fn, ms): fn must be a function');
    const id = nextTimer++;
    timers.set(id, () => fn(...args));
    native.timer(id, Math.max(0, Number(ms) || 0));
    return id;
  };
  globalThis.clearTimeout = function clearTimeout(id) { timers.delete(id); };
  globalThis.sleep = function sleep(ms) { return new Promise((resolve) => globalThis.setTimeout(resolve, ms)); };
  if (!evalEnabled) {
    const deny = function () {
      throw new EvalError('eval and new Function are disabled on this server (config js.eval = false)');
    };
    const ctors = [Function, (async function () {}).constructor,
      (function* () {}).constructor, (async function* () {}).constructor];
    deny.prototype = Function.prototype;
    for (const c of ctors) Object.defineProperty(c.prototype, 'constructor', { value: deny });
    globalThis.eval = deny;
    globalThis.Function = deny;
  }
})(globalThis.__aw_native, globalThis.__aw_native.eval, globalThis.__aw_native.console);
delete globalThis.__aw_native;
