
(function (fn) {
  'use strict';
  const internal = globalThis.__aiwebengine;
  const def = (name, value) => {
    const d = Object.getOwnPropertyDescriptor(globalThis, name);
    if (d && !d.get) return;
    Object.defineProperty(globalThis, name, { value, writable: true, configurable: true, enumerable: false });
  };

  class DOMException extends Error {
    constructor(message, name) {
      super(message === undefined ? '' : String(message));
      Object.defineProperty(this, 'name', { value: name === undefined ? 'Error' : String(name), writable: true, configurable: true });
    }
  }

  // ---- operations: settled by id from the engine ----
  const ops = new Map();
  let nextOp = 1;
  // The request deadline (a number from the engine) of the continuation now
  // running, so that a fetch after `await fetch(...)` keeps its request's.
  let current = -1;
  const failure = (v) => v[0] === 'timeout' ? new DOMException(v[1], 'TimeoutError') : new TypeError(v[1]);
  internal.fetchSettle = function (id, ok, value) {
    const p = ops.get(id);
    if (!p) return;
    ops.delete(id);
    current = p.token;
    if (ok) p.resolve(value); else p.reject(failure(value));
  };
  internal.fetchSettled = function () { current = -1; };
  const rejectOp = (id, reason) => {
    const p = ops.get(id);
    if (p) { ops.delete(id); p.reject(reason); }
  };
  const op = (token, start) => new Promise((resolve, reject) => {
    const id = nextOp++;
    ops.set(id, { resolve, reject, token });
    try { start(id); } catch (e) { ops.delete(id); reject(e); }
  });

  // ---- bytes ----
  const enc = (s) => fn.utf8Encode(String(s));
  const copyBytes = (data) => {
    if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
    if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    return null;
  };
  const concat = (parts) => {
    let n = 0;
    for (const p of parts) n += p.length;
    const out = new Uint8Array(n);
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  };
  const bufferOf = (b) => b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? b.buffer : b.slice().buffer;

  // ---- Headers ----
  const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
  const headerName = (n) => {
    n = String(n);
    if (!TOKEN.test(n)) throw new TypeError('Headers: ' + JSON.stringify(n) + ' is not a valid header name');
    return n.toLowerCase();
  };
  const headerValue = (v) => {
    v = String(v).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (/[\0\r\n]/.test(v)) throw new TypeError('Headers: a header value must not contain NUL, CR or LF');
    return v;
  };
  const frozen = new WeakSet();
  class Headers {
    #list = [];
    constructor(init) {
      if (init === undefined || init === null) return;
      if (typeof init !== 'object') throw new TypeError('Headers(init): init must be a Headers, an array of [name, value] pairs or an object');
      if (init instanceof Headers) {
        for (const [k, v] of init.#list) this.#list.push([k, v]);
      } else if (typeof init[Symbol.iterator] === 'function') {
        for (const pair of init) {
          const a = [...pair];
          if (a.length !== 2) throw new TypeError('Headers(init): each pair must have exactly two items, [name, value]');
          this.append(a[0], a[1]);
        }
      } else {
        for (const k of Object.keys(init)) this.append(k, init[k]);
      }
    }
    #writable() { if (frozen.has(this)) throw new TypeError('Headers: these headers are read-only (a fetched response\'s headers); copy them with new Headers(res.headers)'); }
    append(name, value) { this.#writable(); this.#list.push([headerName(name), headerValue(value)]); }
    delete(name) { this.#writable(); name = headerName(name); this.#list = this.#list.filter(([k]) => k !== name); }
    get(name) {
      name = headerName(name);
      const vs = this.#list.filter(([k]) => k === name).map(([, v]) => v);
      return vs.length === 0 ? null : vs.join(', ');
    }
    getSetCookie() { return this.#list.filter(([k]) => k === 'set-cookie').map(([, v]) => v); }
    has(name) { name = headerName(name); return this.#list.some(([k]) => k === name); }
    set(name, value) {
      this.#writable();
      name = headerName(name); value = headerValue(value);
      const i = this.#list.findIndex(([k]) => k === name);
      if (i < 0) { this.#list.push([name, value]); return; }
      this.#list[i] = [name, value];
      this.#list = this.#list.filter(([k], j) => j <= i || k !== name);
    }
    #sorted() {
      const names = [...new Set(this.#list.map(([k]) => k))].sort();
      const out = [];
      for (const n of names) {
        if (n === 'set-cookie') { for (const [k, v] of this.#list) if (k === n) out.push([k, v]); }
        else out.push([n, this.get(n)]);
      }
      return out;
    }
    forEach(cb, thisArg) { for (const [k, v] of this.#sorted()) cb.call(thisArg, v, k, this); }
    entries() { return this.#sorted()[Symbol.iterator](); }
    keys() { return this.#sorted().map(([k]) => k)[Symbol.iterator](); }
    values() { return this.#sorted().map(([, v]) => v)[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
  }

  // ---- Blob and File ----
  // A Blob's data is {size, type, read() -> Uint8Array}: bytes in memory,
  // or an upload read from its spool file on first use.
  const blobs = new WeakMap();
  const fileInfo = new WeakMap();
  const blobOf = (b, what) => {
    const d = blobs.get(b);
    if (!d) throw new TypeError(what + ': this is not a Blob');
    return d;
  };
  const normType = (t) => {
    t = t === undefined || t === null ? '' : String(t);
    return /^[\x20-\x7e]*$/.test(t) ? t.toLowerCase() : '';
  };
  const memory = (bytes, type) => ({ size: bytes.length, type, read: () => bytes });
  const partsBytes = (parts, what) => {
    if (parts === undefined) return new Uint8Array(0);
    if (parts === null || typeof parts !== 'object' || typeof parts[Symbol.iterator] !== 'function') {
      throw new TypeError(what + ': parts must be an array of strings, bytes (ArrayBuffer, typed arrays, DataView) or Blobs');
    }
    const chunks = [];
    for (const p of parts) {
      const d = blobs.get(p);
      if (d) { chunks.push(d.read()); continue; }
      const b = copyBytes(p);
      chunks.push(b || enc(String(p)));
    }
    return concat(chunks);
  };
  const newBlob = (proto, data, info) => {
    const b = Object.create(proto);
    blobs.set(b, data);
    if (info) fileInfo.set(b, info);
    return b;
  };
  class Blob {
    constructor(parts, options) {
      const o = options === undefined || options === null ? {} : options;
      if (typeof o !== 'object') throw new TypeError('new Blob(parts, options): options must be an object such as {type: "text/plain"}');
      blobs.set(this, memory(partsBytes(parts, 'new Blob(parts, options)'), normType(o.type)));
    }
    get size() { return blobOf(this, 'Blob.size').size; }
    get type() { return blobOf(this, 'Blob.type').type; }
    slice(start, end, type) {
      const d = blobOf(this, 'Blob.slice()');
      const n = d.size;
      const at = (v, dflt) => {
        if (v === undefined) return dflt;
        v = Math.trunc(Number(v)) || 0;
        return v < 0 ? Math.max(n + v, 0) : Math.min(v, n);
      };
      const s = at(start, 0);
      const e = Math.max(s, at(end, n));
      return newBlob(Blob.prototype, memory(d.read().slice(s, e), normType(type)));
    }
    bytes() { return settle(() => blobOf(this, 'Blob.bytes()').read().slice()); }
    arrayBuffer() { return settle(() => blobOf(this, 'Blob.arrayBuffer()').read().slice().buffer); }
    text() { return settle(() => fn.utf8Decode(blobOf(this, 'Blob.text()').read())); }
    stream() { return new Response(this).body; }
    get [Symbol.toStringTag]() { return 'Blob'; }
  }
  class File extends Blob {
    constructor(parts, name, options) {
      if (arguments.length < 2) throw new TypeError('new File(parts, name, options): the file name is required');
      super(parts, options);
      const lm = options && options.lastModified !== undefined ? Number(options.lastModified) : Date.now();
      fileInfo.set(this, { name: String(name), lastModified: Number.isFinite(lm) ? Math.trunc(lm) : Date.now() });
    }
    get name() { return fileInfo.get(this).name; }
    get lastModified() { return fileInfo.get(this).lastModified; }
    get [Symbol.toStringTag]() { return 'File'; }
  }
  const asFile = (blob, filename) => {
    const d = blobs.get(blob);
    const info = fileInfo.get(blob);
    if (info && filename === undefined) return blob;
    const name = filename !== undefined ? String(filename) : info ? info.name : 'blob';
    return newBlob(File.prototype, d, { name, lastModified: Date.now() });
  };
  // The bytes of a FormData file value: a Blob's, or the older {bytes}.
  const fileBytes = (v) => (blobs.has(v) ? blobs.get(v).read() : v.bytes);

  // ---- FormData ----
  const formValue = (value, filename) => {
    if (typeof value === 'string') return value;
    if (blobs.has(value)) return asFile(value, filename);
    const bytes = copyBytes(value);
    if (bytes) return { name: filename === undefined ? 'blob' : String(filename), type: 'application/octet-stream', size: bytes.length, bytes };
    if (value !== null && typeof value === 'object' && value.bytes instanceof Uint8Array) {
      const name = filename !== undefined ? filename : value.filename !== undefined ? value.filename : value.name;
      const type = value.contentType !== undefined ? value.contentType : value.type;
      return { name: name === undefined ? 'blob' : String(name), type: type ? String(type) : 'application/octet-stream', size: value.bytes.length, bytes: value.bytes };
    }
    return String(value);
  };
  // An uploaded file as a FormData value: a File whose bytes are read on
  // first use, so a spooled upload stays on disk until asked for. `bytes`
  // is also a property here (the Uint8Array), as on `req.files` entries.
  class UploadedFile extends File {
    #f;
    constructor(f) {
      super([], f.filename, {});
      this.#f = f;
      blobs.set(this, { size: f.size, type: normType(f.contentType), read: () => f.bytes });
    }
    get bytes() { return this.#f.bytes; }
  }
  class FormData {
    #list = [];
    constructor() {
      if (arguments.length > 0 && arguments[0] !== undefined) throw new TypeError('new FormData(): there are no form elements here; create it empty and append(name, value)');
    }
    append(name, value, filename) { this.#list.push([String(name), formValue(value, filename)]); }
    set(name, value, filename) {
      name = String(name);
      const v = formValue(value, filename);
      const i = this.#list.findIndex(([k]) => k === name);
      if (i < 0) { this.#list.push([name, v]); return; }
      this.#list[i] = [name, v];
      this.#list = this.#list.filter(([k], j) => j <= i || k !== name);
    }
    get(name) { const e = this.#list.find(([k]) => k === String(name)); return e ? e[1] : null; }
    getAll(name) { return this.#list.filter(([k]) => k === String(name)).map(([, v]) => v); }
    has(name) { return this.#list.some(([k]) => k === String(name)); }
    delete(name) { name = String(name); this.#list = this.#list.filter(([k]) => k !== name); }
    forEach(cb, thisArg) { for (const [k, v] of this.#list) cb.call(thisArg, v, k, this); }
    entries() { return this.#list.map(([k, v]) => [k, v])[Symbol.iterator](); }
    keys() { return this.#list.map(([k]) => k)[Symbol.iterator](); }
    values() { return this.#list.map(([, v]) => v)[Symbol.iterator](); }
    [Symbol.iterator]() { return this.entries(); }
  }
  const quote = (s) => s.replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/"/g, '%22');
  const multipart = (form) => {
    let boundary = '----aiwebengine';
    for (let i = 0; i < 24; i++) boundary += Math.floor(Math.random() * 16).toString(16);
    const parts = [];
    for (const [name, v] of form) {
      const head = '--' + boundary + '\r\nContent-Disposition: form-data; name="' + quote(name) + '"';
      if (typeof v === 'string') {
        parts.push(enc(head + '\r\n\r\n' + v.replace(/\r\n|\r|\n/g, '\r\n') + '\r\n'));
      } else {
        const type = v.type || 'application/octet-stream';
        parts.push(enc(head + '; filename="' + quote(v.name) + '"\r\nContent-Type: ' + type + '\r\n\r\n'), fileBytes(v), enc('\r\n'));
      }
    }
    parts.push(enc('--' + boundary + '--\r\n'));
    return { bytes: concat(parts), type: 'multipart/form-data; boundary=' + boundary };
  };

  // ---- bodies ----
  // A body source is {bytes} (built here) or {id, token} (a fetch's body,
  // read from the engine), plus {queue, disturbed, locked, done, error}.
  // `streams`: a Response may wrap a ReadableStream or any async iterable
  // (of strings or bytes), which the engine streams when it is returned.
  const extract = (body, what, streams) => {
    if (body === undefined || body === null) return null;
    if (typeof body === 'string') return { bytes: enc(body), type: 'text/plain;charset=UTF-8' };
    const bytes = copyBytes(body);
    if (bytes) return { bytes, type: null };
    const blob = blobs.get(body);
    if (blob) return { bytes: blob.read().slice(), type: blob.type || null };
    if (body instanceof FormData) return multipart(body);
    if (typeof body === 'object' && body instanceof globalThis.URLSearchParams) {
      return { bytes: enc(body.toString()), type: 'application/x-www-form-urlencoded;charset=UTF-8' };
    }
    if (streams && typeof body === 'object' && typeof body[Symbol.asyncIterator] === 'function') {
      if (body instanceof ReadableStream && body.locked) throw new TypeError(what + ': the stream is already being read (locked)');
      return { iter: body, type: null };
    }
    if (body instanceof ReadableStream) {
      throw new TypeError(what + ': a stream cannot be sent as a body here; read it first with await res.bytes()');
    }
    if (typeof body === 'object') {
      throw new TypeError(what + ': body is a plain object; send JSON with body: JSON.stringify(value) and a "content-type": "application/json" header');
    }
    return { bytes: enc(String(body)), type: 'text/plain;charset=UTF-8' };
  };
  const source = (bytes) => ({ bytes, queue: Promise.resolve() });
  const serial = (src, f) => {
    const p = src.queue.then(f, f);
    src.queue = p.catch(() => {});
    return p;
  };
  const finish = (src) => {
    src.done = true;
    src.pending = 0;
    if (src.id !== undefined) fn.cancel(src.id);
    if (src.it) {
      const it = src.it;
      src.it = null;
      if (!src.ended && typeof it.return === 'function') {
        try { Promise.resolve(it.return()).catch(() => {}); } catch (e) { /* already closing */ }
      }
    }
    if (src.unlisten) { const u = src.unlisten; src.unlisten = null; u(); }
  };
  const fromEngine = (src, all) => op(src.token, (id) => { src.pending = id; fn.read(id, src.id, all); })
    .then((b) => { src.pending = 0; return b; }, (e) => { src.error = e; finish(src); throw e; });
  // An iterator source: the next string or bytes as bytes, null at the end.
  const fromIter = (src) => {
    if (!src.it) src.it = src.iter[Symbol.asyncIterator]();
    return Promise.resolve(src.it.next()).then((r) => {
      if (r.done) { src.ended = true; finish(src); return null; }
      const v = r.value;
      if (typeof v === 'string') return enc(v);
      const b = copyBytes(v);
      if (b) return b;
      throw new TypeError('Response: a body stream must yield strings or Uint8Arrays, not ' + (v === null ? 'null' : typeof v));
    }).catch((e) => { if (!src.done) { src.error = e; finish(src); } throw e; });
  };
  const readChunk = (src) => {
    src.disturbed = true;
    if (src.error) return Promise.reject(src.error);
    if (src.done) return Promise.resolve(null);
    if (src.iter !== undefined) return fromIter(src);
    if (src.id === undefined) {
      const b = src.bytes;
      src.bytes = null;
      finish(src);
      return Promise.resolve(b && b.length > 0 ? b : null);
    }
    return fromEngine(src, false).then((b) => { if (b === null) finish(src); return b; });
  };
  const readAll = (src) => {
    src.disturbed = true;
    if (src.error) return Promise.reject(src.error);
    if (src.iter !== undefined && !src.done) {
      const parts = [];
      const more = () => fromIter(src).then((b) => { if (b === null) return concat(parts); parts.push(b); return more(); });
      return more();
    }
    if (src.id === undefined || src.done) {
      const b = src.bytes || new Uint8Array(0);
      src.bytes = null;
      finish(src);
      return Promise.resolve(b);
    }
    return fromEngine(src, true).then((b) => { finish(src); return b; });
  };
  const consume = (src, what) => {
    if (src === null) return Promise.resolve(new Uint8Array(0));
    if (src.disturbed || src.locked) {
      return Promise.reject(new TypeError(what + ': the body has already been read (bodyUsed is true); read it once, or clone() before reading'));
    }
    src.disturbed = true;
    return serial(src, () => readAll(src));
  };
  const STREAM = {};
  // Not a global: enough of a ReadableStream for reading a body.
  class ReadableStream {
    #src;
    constructor(key, src) {
      if (key !== STREAM) throw new TypeError('ReadableStream: streams cannot be constructed here; read the body of a fetch Response');
      this.#src = src;
    }
    get locked() { return !!this.#src.locked; }
    getReader() {
      const src = this.#src;
      if (src.locked) throw new TypeError('ReadableStream: the stream is already locked to a reader');
      src.locked = true;
      return {
        read: () => serial(src, () => readChunk(src)).then((v) => v === null ? { done: true, value: undefined } : { done: false, value: v }),
        cancel: (reason) => this.cancel(reason),
        releaseLock: () => { src.locked = false; },
      };
    }
    cancel() {
      const src = this.#src;
      src.disturbed = true;
      if (!src.done) { src.bytes = null; finish(src); }
      return Promise.resolve();
    }
    [Symbol.asyncIterator]() {
      const reader = this.getReader();
      return {
        next: () => reader.read(),
        return: (value) => { this.cancel(); reader.releaseLock(); return Promise.resolve({ done: true, value }); },
        [Symbol.asyncIterator]() { return this; },
      };
    }
    values() { return this[Symbol.asyncIterator](); }
  }
  const sources = new WeakMap();
  const streams = new WeakMap();
  const bodyOf = (owner) => {
    const src = sources.get(owner);
    if (!src) return null;
    let s = streams.get(owner);
    if (!s) { s = new ReadableStream(STREAM, src); streams.set(owner, s); }
    return s;
  };
  const used = (owner) => { const src = sources.get(owner); return !!src && !!(src.disturbed || src.locked); };
  const bodyMethods = (C, what) => {
    C.prototype.bytes = function bytes() { return consume(sources.get(this) || null, what + '.bytes()'); };
    C.prototype.arrayBuffer = function arrayBuffer() { return consume(sources.get(this) || null, what + '.arrayBuffer()').then(bufferOf); };
    C.prototype.text = function text() { return consume(sources.get(this) || null, what + '.text()').then((b) => fn.utf8Decode(b)); };
    C.prototype.json = function json() { return this.text().then((t) => JSON.parse(t)); };
    C.prototype.blob = function blob() {
      return this.bytes().then((b) => newBlob(Blob.prototype, memory(b, normType(this.headers.get('content-type')))));
    };
  };

  // ---- Request ----
  const STANDARD = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH'];
  const normMethod = (m) => {
    m = String(m);
    if (!TOKEN.test(m)) throw new TypeError('fetch: ' + JSON.stringify(m) + ' is not a valid HTTP method');
    const u = m.toUpperCase();
    if (u === 'CONNECT' || u === 'TRACE' || u === 'TRACK') throw new TypeError('fetch: the ' + u + ' method is not allowed');
    return STANDARD.includes(u) ? u : m;
  };
  const REDIRECTS = ['follow', 'error', 'manual'];
  class Request {
    #method = 'GET'; #url; #headers; #signal = null; #redirect = 'follow'; #timeout = -1;
    constructor(input, init) {
      const o = init === undefined || init === null ? {} : init;
      if (typeof o !== 'object') throw new TypeError('Request(input, init): init must be an object');
      const base = input instanceof Request ? input : null;
      if (base) {
        this.#url = base.#url; this.#method = base.#method; this.#signal = base.#signal;
        this.#redirect = base.#redirect; this.#timeout = base.#timeout;
      } else {
        this.#url = fn.href(String(input));
      }
      if (o.method !== undefined) this.#method = normMethod(o.method);
      this.#headers = new Headers(o.headers !== undefined ? o.headers : base ? base.#headers : undefined);
      if (o.signal !== undefined) {
        if (o.signal !== null && !(o.signal instanceof AbortSignal)) throw new TypeError('fetch: signal must be an AbortSignal (new AbortController().signal)');
        this.#signal = o.signal;
      }
      if (o.redirect !== undefined) {
        if (!REDIRECTS.includes(o.redirect)) throw new TypeError('fetch: redirect must be "follow", "error" or "manual", got ' + JSON.stringify(o.redirect));
        this.#redirect = o.redirect;
      }
      if (o.timeout !== undefined) {
        if (typeof o.timeout !== 'number' || !(o.timeout >= 0) || !Number.isFinite(o.timeout)) {
          throw new TypeError('fetch: timeout must be a number of milliseconds, got ' + String(o.timeout));
        }
        this.#timeout = o.timeout;
      }
      let b = null;
      if (o.body !== undefined && o.body !== null) b = extract(o.body, 'fetch');
      else if (base && o.body === undefined && sources.get(base)) {
        const src = sources.get(base);
        if (src.disturbed) throw new TypeError('Request: the body of the given request has already been read');
        b = { bytes: src.bytes, type: null };
      }
      if (b) {
        if (this.#method === 'GET' || this.#method === 'HEAD') {
          throw new TypeError('fetch: a ' + this.#method + ' request cannot have a body; use POST, PUT or PATCH');
        }
        if (b.type && !this.#headers.has('content-type')) this.#headers.set('content-type', b.type);
        sources.set(this, source(b.bytes));
      }
    }
    get method() { return this.#method; }
    get url() { return this.#url; }
    get headers() { return this.#headers; }
    get signal() { return this.#signal; }
    get redirect() { return this.#redirect; }
    get body() { return bodyOf(this); }
    get bodyUsed() { return used(this); }
    clone() {
      if (used(this)) throw new TypeError('Request.clone: the body has already been read');
      return new Request(this);
    }
    _spec() {
      const src = sources.get(this);
      return {
        url: this.#url, method: this.#method, headers: [...this.#headers],
        body: src ? src.bytes : undefined, redirect: this.#redirect, timeout: this.#timeout,
      };
    }
  }
  bodyMethods(Request, 'Request');
  const spec = Request.prototype._spec;
  delete Request.prototype._spec;

  // ---- Response ----
  const KEY = {};
  const NULL_BODY = [101, 103, 204, 205, 304];
  class Response {
    #status = 200; #statusText = ''; #headers; #url = ''; #redirected = false; #type = 'default';
    constructor(body, init) {
      if (init === KEY) {
        const h = body;
        this.#status = h.status; this.#statusText = h.statusText; this.#url = h.url;
        this.#redirected = h.redirected; this.#type = h.type;
        this.#headers = new Headers(h.headers);
        if (h.frozen) frozen.add(this.#headers);
        if (h.src) sources.set(this, h.src);
        return;
      }
      const o = init === undefined || init === null ? {} : init;
      if (typeof o !== 'object') throw new TypeError('Response(body, init): init must be an object {status, statusText, headers}');
      const status = o.status === undefined ? 200 : o.status;
      if (!Number.isInteger(status) || status < 200 || status > 599) {
        throw new RangeError('Response: status must be a whole number from 200 to 599, got ' + String(status));
      }
      this.#status = status;
      this.#statusText = o.statusText === undefined ? '' : String(o.statusText);
      this.#headers = new Headers(o.headers);
      const b = extract(body, 'Response', true);
      if (b !== null) {
        if (NULL_BODY.includes(status)) throw new TypeError('Response: a ' + status + ' response cannot have a body');
        if (b.type && !this.#headers.has('content-type')) this.#headers.set('content-type', b.type);
        sources.set(this, b.iter !== undefined ? { iter: b.iter, queue: Promise.resolve() } : source(b.bytes));
      }
    }
    static json(data, init) {
      const text = JSON.stringify(data);
      if (text === undefined) throw new TypeError('Response.json(data): data must be JSON-serializable');
      const o = init === undefined || init === null ? {} : init;
      const headers = new Headers(o.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      return new Response(text, Object.assign({}, o, { headers }));
    }
    static error() {
      return new Response({ status: 0, statusText: '', url: '', redirected: false, type: 'error', headers: [], frozen: true }, KEY);
    }
    static redirect(url, status) {
      const s = status === undefined ? 302 : status;
      if (![301, 302, 303, 307, 308].includes(s)) throw new RangeError('Response.redirect: status must be 301, 302, 303, 307 or 308, got ' + String(s));
      return new Response({ status: s, statusText: '', url: '', redirected: false, type: 'default', headers: [['location', fn.href(String(url))]], frozen: true }, KEY);
    }
    get type() { return this.#type; }
    get url() { return this.#url; }
    get redirected() { return this.#redirected; }
    get status() { return this.#status; }
    get ok() { return this.#status >= 200 && this.#status <= 299; }
    get statusText() { return this.#statusText; }
    get headers() { return this.#headers; }
    get body() { return bodyOf(this); }
    get bodyUsed() { return used(this); }
    clone() {
      if (used(this)) throw new TypeError('Response.clone: the body has already been read');
      const src = sources.get(this);
      if (src && (src.id !== undefined || src.iter !== undefined)) {
        throw new TypeError('Response.clone: a fetched body is streamed and cannot be cloned; read it once (await res.bytes()) and build new Response(bytes, res) objects from it');
      }
      return new Response({
        status: this.#status, statusText: this.#statusText, url: this.#url, redirected: this.#redirected,
        type: this.#type, headers: this.#headers, frozen: frozen.has(this.#headers), src: src ? source(src.bytes) : null,
      }, KEY);
    }
  }
  bodyMethods(Response, 'Response');
  // For the engine: what a handler's returned Response answers with. Bytes
  // are sent whole; a fetched or iterable body is streamed.
  internal.responseParts = (r) => {
    if (!(r instanceof Response)) return undefined;
    const src = sources.get(r);
    if (src && (src.disturbed || src.locked)) {
      throw new TypeError('the returned Response\'s body has already been read (bodyUsed is true); return a new Response');
    }
    const streamed = src && (src.id !== undefined || src.iter !== undefined);
    return { status: r.status, headers: [...r.headers], body: !src ? null : streamed ? r.body : src.bytes };
  };

  // ---- AbortController / AbortSignal ----
  const SIGNAL = {};
  const signals = new WeakMap();
  const abortSignal = (s, reason) => {
    const st = signals.get(s);
    if (st.aborted) return;
    st.aborted = true;
    st.reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const ev = { type: 'abort', target: s, currentTarget: s };
    const listeners = st.listeners;
    st.listeners = [];
    const run = (f) => { try { f(); } catch (e) { console.error('uncaught error in an abort listener:', e); } };
    if (typeof s.onabort === 'function') run(() => s.onabort.call(s, ev));
    for (const l of listeners) run(() => typeof l === 'function' ? l.call(s, ev) : l.handleEvent(ev));
  };
  class AbortSignal {
    constructor() {
      if (arguments[0] !== SIGNAL) throw new TypeError('AbortSignal: get one from new AbortController().signal, AbortSignal.abort() or AbortSignal.timeout(ms)');
      signals.set(this, { aborted: false, reason: undefined, listeners: [] });
      this.onabort = null;
    }
    get aborted() { return signals.get(this).aborted; }
    get reason() { return signals.get(this).reason; }
    throwIfAborted() { const st = signals.get(this); if (st.aborted) throw st.reason; }
    addEventListener(type, listener) {
      const st = signals.get(this);
      if (type !== 'abort' || st.aborted || !listener || st.listeners.includes(listener)) return;
      st.listeners.push(listener);
    }
    removeEventListener(type, listener) {
      const st = signals.get(this);
      st.listeners = st.listeners.filter((l) => l !== listener);
    }
    static abort(reason) { const s = new AbortSignal(SIGNAL); abortSignal(s, reason); return s; }
    static timeout(ms) {
      if (typeof ms !== 'number' || !(ms >= 0)) throw new TypeError('AbortSignal.timeout(ms): ms must be a non-negative number');
      const s = new AbortSignal(SIGNAL);
      setTimeout(() => abortSignal(s, new DOMException('The operation timed out after ' + ms + ' ms (AbortSignal.timeout)', 'TimeoutError')), ms);
      return s;
    }
    static any(list) {
      const s = new AbortSignal(SIGNAL);
      const all = [...list];
      const hit = all.find((x) => x.aborted);
      if (hit) { abortSignal(s, hit.reason); return s; }
      for (const x of all) x.addEventListener('abort', () => abortSignal(s, x.reason));
      return s;
    }
  }
  class AbortController {
    #signal = new AbortSignal(SIGNAL);
    get signal() { return this.#signal; }
    abort(reason) { abortSignal(this.#signal, reason); }
  }

  // ---- fetch ----
  async function fetch(input, init) {
    const req = new Request(input, init);
    const signal = req.signal;
    if (signal && signal.aborted) throw signal.reason;
    const s = spec.call(req);
    s.inherited = current;
    const id = nextOp++;
    const entry = { token: -1 };
    const head = new Promise((resolve, reject) => { entry.resolve = resolve; entry.reject = reject; });
    ops.set(id, entry);
    let token;
    try { token = fn.start(id, s); } catch (e) { ops.delete(id); throw e; }
    if (token === undefined) { ops.delete(id); return new Promise(() => {}); }
    entry.token = token;
    const src = { id, token, queue: Promise.resolve(), pending: id };
    if (signal) {
      const onAbort = () => {
        const reason = signal.reason;
        const pending = src.pending;
        if (!src.done) { src.error = reason; finish(src); }
        rejectOp(id, reason);
        if (pending) rejectOp(pending, reason);
      };
      signal.addEventListener('abort', onAbort);
      // A long-lived signal must not collect one listener per fetch.
      src.unlisten = () => signal.removeEventListener('abort', onAbort);
    }
    let h;
    try { h = await head; } catch (e) { if (!src.done) finish(src); throw e; }
    src.pending = 0;
    const empty = req.method === 'HEAD' || NULL_BODY.includes(h.status);
    if (empty) finish(src);
    return new Response({
      status: h.status, statusText: h.statusText, url: h.url, redirected: h.redirected,
      type: 'basic', headers: h.headers, frozen: true, src: empty ? null : src,
    }, KEY);
  }

  // ---- the engine's `req`: its prototype (main prelude) calls these ----
  const reqUsed = new WeakSet();
  const reqTake = (req, what) => {
    if (reqUsed.has(req)) {
      throw new TypeError('req.' + what + '(): the request body has already been read (req.bodyUsed); read it once and keep the result');
    }
    reqUsed.add(req);
  };
  const reqBytes = (req, what) => {
    reqTake(req, what);
    const raw = req.__rawBody;
    if (raw instanceof Uint8Array) return raw.slice();
    return enc(typeof req.body === 'string' ? req.body : '');
  };
  const addValues = (form, name, v) => {
    for (const x of Array.isArray(v) ? v : [v]) form.append(name, String(x));
  };
  const settle = (f) => { try { return Promise.resolve(f()); } catch (e) { return Promise.reject(e); } };
  internal.reqBody = {
    used: (req) => reqUsed.has(req),
    text: (req) => settle(() => fn.utf8Decode(reqBytes(req, 'text'))),
    bytes: (req) => settle(() => reqBytes(req, 'bytes')),
    arrayBuffer: (req) => settle(() => bufferOf(reqBytes(req, 'arrayBuffer'))),
    formData: (req) => settle(() => {
      const ct = String((req.headers && req.headers['content-type']) || '').toLowerCase();
      if (!ct.startsWith('multipart/form-data') && !ct.startsWith('application/x-www-form-urlencoded')) {
        throw new TypeError('req.formData(): the request is ' + (ct ? JSON.stringify(ct) : 'without a content-type') +
          '; formData() reads multipart/form-data and application/x-www-form-urlencoded bodies (use req.text() or req.json otherwise)');
      }
      reqTake(req, 'formData');
      const form = new FormData();
      const fields = req.form || {};
      for (const name of Object.keys(fields)) addValues(form, name, fields[name]);
      for (const f of req.files || []) form.append(f.name, new UploadedFile(f));
      return form;
    }),
  };

  // ---- the `request` an app's fetch(request, ctx) receives ----
  // A real Request over the engine's `req`: its body is read from `req`
  // on first use (formData() keeps the engine's parsed form and spooled
  // uploads, so big uploads are never held as one buffer).
  const incoming = new WeakMap();
  const incomingTaken = new WeakSet();
  internal.incoming = (req) => {
    const headers = new Headers();
    const given = req.headers || {};
    for (const name of Object.keys(given)) headers.append(name, String(given[name]));
    const r = new Request(req.url, { method: req.method, headers });
    if (r.method !== 'GET' && r.method !== 'HEAD') incoming.set(r, req);
    return r;
  };
  const pull = (r) => {
    const req = incoming.get(r);
    if (req === undefined) return;
    incoming.delete(r);
    sources.set(r, source(reqBytes(req, 'body')));
  };
  for (const m of ['bytes', 'arrayBuffer', 'text']) {
    const plain = Request.prototype[m];
    Request.prototype[m] = function () {
      if (incomingTaken.has(this)) return Promise.reject(new TypeError('Request.' + m + '(): the body has already been read'));
      pull(this);
      return plain.call(this);
    };
  }
  const wrapGetter = (name, wrap) => {
    const d = Object.getOwnPropertyDescriptor(Request.prototype, name);
    Object.defineProperty(Request.prototype, name, { ...d, get: wrap(d.get) });
  };
  wrapGetter('body', (get) => function () { if (!incomingTaken.has(this)) pull(this); return get.call(this); });
  wrapGetter('bodyUsed', (get) => function () { return incomingTaken.has(this) || get.call(this); });
  const plainClone = Request.prototype.clone;
  Request.prototype.clone = function clone() {
    if (incomingTaken.has(this)) throw new TypeError('Request.clone: the body has already been read');
    pull(this);
    return plainClone.call(this);
  };
  Request.prototype.formData = function formData() {
    const req = incoming.get(this);
    if (req !== undefined) {
      incoming.delete(this);
      incomingTaken.add(this);
      return internal.reqBody.formData(req);
    }
    return this.text().then((text) => {
      const ct = String(this.headers.get('content-type') || '').toLowerCase();
      if (!ct.startsWith('application/x-www-form-urlencoded')) {
        throw new TypeError('Request.formData(): only application/x-www-form-urlencoded bodies can be read from a constructed Request (got ' + JSON.stringify(ct) + ')');
      }
      const form = new FormData();
      for (const pair of text.split('&')) {
        if (pair === '') continue;
        const i = pair.indexOf('=');
        const dec = (x) => decodeURIComponent(x.replace(/\+/g, ' '));
        form.append(dec(i < 0 ? pair : pair.slice(0, i)), i < 0 ? '' : dec(pair.slice(i + 1)));
      }
      return form;
    });
  };

  def('fetch', fetch);
  def('Headers', Headers);
  def('Request', Request);
  def('Response', Response);
  def('FormData', FormData);
  def('AbortController', AbortController);
  def('AbortSignal', AbortSignal);
  def('DOMException', DOMException);
  def('Blob', Blob);
  def('File', File);
})
