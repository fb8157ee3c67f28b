
(function (kvn, un) {
  'use strict';
  const internal = globalThis.__aiwebengine;
  const ops = new Map();
  let nextOp = 1;
  internal.settle = function (id, ok, value) {
    const p = ops.get(id);
    if (p) { ops.delete(id); (ok ? p.resolve : p.reject)(value); }
  };
  const op = (start) => new Promise((resolve, reject) => {
    const id = nextOp++;
    ops.set(id, { resolve, reject });
    try { start(id); } catch (e) { ops.delete(id); reject(e); }
  });
  // A read the cache answers resolves at once, on this thread; `one` asks
  // for the single entry rather than an array. Otherwise its settlement
  // arrives as a message, which is handled only after this JS slice, so
  // the promise is registered in time.
  const read = (ns, input, one) => {
    const id = nextOp++;
    let now;
    try {
      const keys = one ? [key(input, 'kv.get')] : input.map((k) => key(k, 'kv.getMany'));
      now = kvn.get(id, ns, keys, one);
    } catch (e) { return Promise.reject(e); }
    if (now !== undefined) return Promise.resolve(now);
    return new Promise((resolve, reject) => { ops.set(id, { resolve, reject }); });
  };
  const expireIn = (options, what) => {
    if (options === undefined || options === null || options.expireIn === undefined) return null;
    const ms = options.expireIn;
    if (typeof ms !== 'number' || !(ms > 0)) throw new TypeError(what + ': expireIn must be a positive number of milliseconds');
    return ms;
  };
  const key = (k, what) => {
    if (!Array.isArray(k)) throw new TypeError(what + ': the key must be an array of parts, such as ["users", 42]');
    return k;
  };

  class AtomicOperation {
    #ns; #checks = []; #muts = [];
    constructor(ns) { this.#ns = ns; }
    check(...checks) {
      for (const c of checks) {
        if (c === null || typeof c !== 'object') throw new TypeError('check({key, versionstamp}): pass an entry from kv.get, or {key, versionstamp: null} for "must not exist"');
        this.#checks.push([key(c.key, 'check'), c.versionstamp === undefined ? null : c.versionstamp]);
      }
      return this;
    }
    set(k, value, options) { this.#muts.push(['set', key(k, 'set'), value, expireIn(options, 'set')]); return this; }
    delete(k) { this.#muts.push(['delete', key(k, 'delete'), null, null]); return this; }
    sum(k, n) {
      if (typeof n !== 'number' && typeof n !== 'bigint') throw new TypeError('sum(key, n): n must be a number or a bigint');
      this.#muts.push(['sum', key(k, 'sum'), n, null]);
      return this;
    }
    commit() { return op((id) => kvn.commit(id, this.#ns, this.#checks, this.#muts)); }
  }

  class KvListIterator {
    #ns; #sel; #limit; #reverse; #batch; #fetchCursor; #cursor; #buf = []; #done = false; #yielded = 0;
    constructor(ns, selector, options) {
      if (selector === null || typeof selector !== 'object') throw new TypeError('kv.list(selector): selector must be {prefix}, {prefix, start}, {prefix, end} or {start, end}');
      const o = options || {};
      this.#ns = ns;
      this.#sel = selector;
      if (o.limit !== undefined && !(Number.isInteger(o.limit) && o.limit > 0)) {
        throw new TypeError('kv.list: limit must be a positive whole number, got ' + String(o.limit));
      }
      this.#limit = o.limit === undefined ? Infinity : o.limit;
      this.#reverse = !!o.reverse;
      this.#batch = Math.max(1, Math.min(Number(o.batchSize) || 100, 1000));
      this.#fetchCursor = o.cursor === undefined ? '' : String(o.cursor);
      this.#cursor = this.#fetchCursor;
    }
    get cursor() { return this.#cursor; }
    async next() {
      if (this.#buf.length === 0 && !this.#done && this.#yielded < this.#limit) {
        const n = Math.min(this.#batch, this.#limit - this.#yielded);
        const page = await op((id) => kvn.list(id, this.#ns, this.#sel,
          { limit: n, reverse: this.#reverse, cursor: this.#fetchCursor }));
        this.#buf = page.entries;
        this.#done = page.entries.length < n;
        if (page.entries.length > 0) this.#fetchCursor = page.cursors[page.cursors.length - 1];
        this.#cursors = page.cursors;
      }
      if (this.#buf.length === 0) return { value: undefined, done: true };
      this.#yielded++;
      this.#cursor = this.#cursors.shift();
      return { value: this.#buf.shift(), done: false };
    }
    #cursors = [];
    [Symbol.asyncIterator]() { return this; }
  }

  class Kv {
    #ns;
    constructor(ns) { this.#ns = ns; }
    get(k) { return read(this.#ns, k, true); }
    getMany(keys) {
      if (!Array.isArray(keys)) throw new TypeError('kv.getMany(keys): keys must be an array of keys');
      return read(this.#ns, keys, false);
    }
    set(k, value, options) { return new AtomicOperation(this.#ns).set(k, value, options).commit(); }
    delete(k) { return new AtomicOperation(this.#ns).delete(k).commit().then(() => undefined); }
    list(selector, options) { return new KvListIterator(this.#ns, selector, options); }
    atomic() { return new AtomicOperation(this.#ns); }
    open(name) {
      if (this.#ns !== '') throw new TypeError('kv.open(name): call open on the global kv');
      if (typeof name !== 'string' || name === '') throw new TypeError('kv.open(name): name must be a non-empty string');
      kvn.open(name);
      return new Kv(name);
    }
  }
  const kvValue = new Kv('');

  // ---- web-standard utilities ----
  // Replaces a stub only: a script that assigned the name first keeps its value.
  const def = (name, value) => {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d && !d.get) return;
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };
  def('kv', kvValue);
  def('atob', function atob(s) { return un.atob(String(s)); });
  def('btoa', function btoa(s) { return un.btoa(String(s)); });
  const view = (data, what) => {
    if (data instanceof Uint8Array) return data;
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (data instanceof ArrayBuffer) return new Uint8Array(data);
    throw new TypeError(what + ': expected a Uint8Array, an ArrayBuffer or a view');
  };
  const input = (data, what) => typeof data === 'string' ? data : view(data, what);

  class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(s) { return un.utf8Encode(s === undefined ? '' : String(s)); }
    encodeInto(s, dest) {
      let read = 0, written = 0;
      for (const ch of String(s)) {
        const b = un.utf8Encode(ch);
        if (written + b.length > dest.length) break;
        dest.set(b, written);
        written += b.length;
        read += ch.length;
      }
      return { read, written };
    }
  }
  const UTF8 = ['utf-8', 'utf8', 'unicode-1-1-utf-8', 'unicode11utf8', 'unicode20utf8', 'x-unicode20utf8'];
  class TextDecoder {
    #fatal; #ignoreBOM;
    constructor(label, options) {
      const l = label === undefined ? 'utf-8' : String(label).trim().toLowerCase();
      if (!UTF8.includes(l)) throw new RangeError('TextDecoder: only UTF-8 is supported, not ' + JSON.stringify(label));
      this.#fatal = !!(options && options.fatal);
      this.#ignoreBOM = !!(options && options.ignoreBOM);
    }
    get encoding() { return 'utf-8'; }
    get fatal() { return this.#fatal; }
    get ignoreBOM() { return this.#ignoreBOM; }
    decode(data) { return un.utf8Decode(data === undefined ? undefined : view(data, 'TextDecoder.decode'), this.#fatal, this.#ignoreBOM); }
  }
  def('TextEncoder', TextEncoder);
  def('TextDecoder', TextDecoder);

  const toPairs = (init) => {
    if (init === undefined || init === null) return [];
    if (init instanceof URLSearchParams) return [...init];
    if (typeof init === 'object') {
      if (typeof init[Symbol.iterator] === 'function') {
        return [...init].map((p) => {
          const a = [...p];
          if (a.length !== 2) throw new TypeError('URLSearchParams: each pair must have exactly two items');
          return [String(a[0]), String(a[1])];
        });
      }
      return Object.keys(init).map((k) => [k, String(init[k])]);
    }
    const s = String(init);
    return un.formDecode(s.startsWith('?') ? s.slice(1) : s);
  };
  // A URL and its searchParams keep each other current through these
  // (not through public methods a script could call).
  let resetParams, setSearch;
  const paramsOwner = new WeakMap();
  class URLSearchParams {
    #list;
    constructor(init) { this.#list = toPairs(init); }
    static { resetParams = (sp, search) => { sp.#list = un.formDecode(search.startsWith('?') ? search.slice(1) : search); }; }
    #update() { const url = paramsOwner.get(this); if (url) setSearch(url, this.toString()); }
    get size() { return this.#list.length; }
    append(k, v) { this.#list.push([String(k), String(v)]); this.#update(); }
    delete(k, v) { k = String(k); this.#list = this.#list.filter(([a, b]) => a !== k || (v !== undefined && b !== String(v))); this.#update(); }
    get(k) { const p = this.#list.find(([a]) => a === String(k)); return p ? p[1] : null; }
    getAll(k) { return this.#list.filter(([a]) => a === String(k)).map(([, b]) => b); }
    has(k, v) { return this.#list.some(([a, b]) => a === String(k) && (v === undefined || b === String(v))); }
    set(k, v) {
      k = String(k); v = String(v);
      const i = this.#list.findIndex(([a]) => a === k);
      if (i < 0) this.#list.push([k, v]);
      else { this.#list[i] = [k, v]; this.#list = this.#list.filter(([a], j) => j <= i || a !== k); }
      this.#update();
    }
    sort() { this.#list = this.#list.map((p, i) => [p, i]).sort((x, y) => (x[0][0] < y[0][0] ? -1 : x[0][0] > y[0][0] ? 1 : x[1] - y[1])).map(([p]) => p); this.#update(); }
    forEach(fn, thisArg) { for (const [k, v] of this.#list) fn.call(thisArg, v, k, this); }
    keys() { return this.#list.map(([k]) => k)[Symbol.iterator](); }
    values() { return this.#list.map(([, v]) => v)[Symbol.iterator](); }
    entries() { return this.#list.map(([k, v]) => [k, v])[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
    toString() { return un.formEncode(this.#list); }
  }
  class URL {
    #r; #sp;
    constructor(url, base) { this.#r = un.urlParse(String(url), base === undefined ? undefined : String(base)); }
    static { setSearch = (url, s) => { url.#r = un.urlSet(url.#r.href, 'search', s); }; }
    static canParse(url, base) { try { new URL(url, base); return true; } catch (e) { return false; } }
    static parse(url, base) { try { return new URL(url, base); } catch (e) { return null; } }
    #set(p, v) {
      this.#r = un.urlSet(this.#r.href, p, String(v));
      if (p === 'search' && this.#sp) resetParams(this.#sp, this.#r.search);
    }
    get href() { return this.#r.href; }
    set href(v) { this.#r = un.urlParse(String(v), undefined); if (this.#sp) resetParams(this.#sp, this.#r.search); }
    get origin() { return this.#r.origin; }
    get protocol() { return this.#r.protocol; }
    set protocol(v) { this.#set('protocol', v); }
    get username() { return this.#r.username; }
    set username(v) { this.#set('username', v); }
    get password() { return this.#r.password; }
    set password(v) { this.#set('password', v); }
    get host() { return this.#r.host; }
    set host(v) { this.#set('host', v); }
    get hostname() { return this.#r.hostname; }
    set hostname(v) { this.#set('hostname', v); }
    get port() { return this.#r.port; }
    set port(v) { this.#set('port', v); }
    get pathname() { return this.#r.pathname; }
    set pathname(v) { this.#set('pathname', v); }
    get search() { return this.#r.search; }
    set search(v) { this.#set('search', v); }
    get hash() { return this.#r.hash; }
    set hash(v) { this.#set('hash', v); }
    get searchParams() {
      if (!this.#sp) { this.#sp = new URLSearchParams(this.#r.search); paramsOwner.set(this.#sp, this); }
      return this.#sp;
    }
    toString() { return this.#r.href; }
    toJSON() { return this.#r.href; }
  }
  def('URL', URL);
  def('URLSearchParams', URLSearchParams);

  def('structuredClone', function structuredClone(v) { return un.clone(v); });
  def('queueMicrotask', function queueMicrotask(fn) {
    if (typeof fn !== 'function') throw new TypeError('queueMicrotask(fn): fn must be a function');
    Promise.resolve().then(fn);
  });
  const hex = (b) => { let s = ''; for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16); return s; };
  const out = (bytes, enc, what) => {
    if (enc === undefined || enc === 'hex') return hex(bytes);
    if (enc === 'base64') return un.b64(bytes, false);
    if (enc === 'base64url') return un.b64(bytes, true);
    if (enc === 'bytes' || enc === 'buffer') return bytes;
    throw new TypeError(what + ': encoding must be "hex", "base64", "base64url" or "bytes", got ' + JSON.stringify(enc));
  };
  const alg = (a) => String(a).toLowerCase().replace('-', '');
  const crypto = {};
  crypto.randomUUID = function randomUUID() { return un.uuid(); };
  crypto.getRandomValues = function getRandomValues(ta) {
    if (!ArrayBuffer.isView(ta) || ta instanceof Float32Array || ta instanceof Float64Array || ta instanceof DataView) {
      throw new TypeError('crypto.getRandomValues(array): array must be an integer typed array');
    }
    if (ta.byteLength > 65536) throw new RangeError('crypto.getRandomValues: at most 65536 bytes at a time (QuotaExceededError)');
    new Uint8Array(ta.buffer, ta.byteOffset, ta.byteLength).set(un.random(ta.byteLength));
    return ta;
  };
  crypto.hash = function hash(a, data, encoding) { return out(un.hash(alg(a), input(data, 'crypto.hash')), encoding, 'crypto.hash'); };
  crypto.hmac = function hmac(a, k, data, encoding) {
    return out(un.hmac(alg(a), input(k, 'crypto.hmac key'), input(data, 'crypto.hmac')), encoding, 'crypto.hmac');
  };
  crypto.timingSafeEqual = function timingSafeEqual(a, b) {
    return un.timingSafeEqual(input(a, 'crypto.timingSafeEqual'), input(b, 'crypto.timingSafeEqual'));
  };
  def('crypto', crypto);

  const HTML = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  {
    def('escapeHtml', function escapeHtml(s) { return String(s).replace(/[&<>"']/g, (c) => HTML[c]); });
  }
  {
    def('escapeJs', function escapeJs(s) {
      return String(s).replace(/[\\'"`\n\r\t\u2028\u2029<>&\0]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
    });
  }
  def('escapeUrl', function escapeUrl(s) { return encodeURIComponent(String(s)); });
  def('formatDate', function formatDate(date, options) {
    const o = options || {};
    const ms = date instanceof Date ? date.getTime() : typeof date === 'string' ? Date.parse(date) : Number(date === undefined ? Date.now() : date);
    return un.formatDate(ms, o.format === undefined ? 'rfc3339' : String(o.format), o.timeZone === undefined ? 'UTC' : String(o.timeZone));
  });
})
