//! JavaScript run in every new context before the script: the parts of the
//! host API that are easiest to express in JS. The native hooks arrive as
//! `__aw_native` and are removed from the global scope straight away.

/// `%EVAL%` and `%CONSOLE%` are replaced with `true`/`false`.
pub const PRELUDE: &str = r#"
(function (native, evalEnabled, consoleEnabled) {
  'use strict';
  const handlers = Object.create(null);
  const timers = new Map();
  const pending = new Map();
  let nextTimer = 1;
  const fmt = (a) => {
    if (typeof a === 'string') return a;
    if (a instanceof Error) return a.stack ? a.name + ': ' + a.message + '\n' + a.stack : String(a);
    try { const s = JSON.stringify(a); return s === undefined ? String(a) : s; } catch (e) { return String(a); }
  };
  const internal = {
    handlers, pending, onError: undefined,
    fire(id) { const t = timers.get(id); if (t) { timers.delete(id); t(); } },
  };
  Object.defineProperty(globalThis, '__aiwebengine', { value: internal });
  globalThis.register = function register(path, handler, method, options) {
    if (typeof handler !== 'function' && typeof handler !== 'string') {
      throw new TypeError('register(path, handler, method): handler must be a function or the name of a global function');
    }
    const max = options && options.maxBodyBytes !== undefined ? options.maxBodyBytes : -1;
    const key = native.register(path, method === undefined ? 'GET' : method, max,
      typeof handler === 'string' ? handler : '');
    handlers[key] = handler;
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
})(globalThis.__aw_native, %EVAL%, %CONSOLE%);
delete globalThis.__aw_native;
"#;

pub fn prelude(eval: bool, console: bool) -> String {
    PRELUDE
        .replace("%EVAL%", if eval { "true" } else { "false" })
        .replace("%CONSOLE%", if console { "true" } else { "false" })
}
