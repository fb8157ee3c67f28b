// The test API a `*.test.js` file sees: test(), expect(), request().
// `native` is the runner's bridge (request, and where results go).
(function (g, native) {
  const tests = [];
  g.test = function test(name, fn) {
    if (typeof name !== "string" || typeof fn !== "function") {
      throw new TypeError("test(name, fn): name must be a string and fn a function");
    }
    tests.push({ name, fn });
  };

  function show(v) {
    if (v === undefined) return "undefined";
    if (typeof v === "function") return "[Function " + (v.name || "anonymous") + "]";
    if (typeof v === "bigint") return v + "n";
    if (typeof v === "number" && !Number.isFinite(v)) return String(v);
    try {
      const s = JSON.stringify(v);
      return s === undefined ? String(v) : s;
    } catch (e) {
      return String(v);
    }
  }

  class AssertionError extends Error {
    constructor(message, expected, actual) {
      super(message);
      this.name = "AssertionError";
      this.expected = show(expected);
      this.actual = show(actual);
    }
  }

  function equal(a, b) {
    if (Object.is(a, b)) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (a instanceof Date || b instanceof Date) {
      return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
    }
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    if (ka.length !== kb.length) return false;
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && equal(a[k], b[k]));
  }

  function matches(actual, subset) {
    if (typeof subset !== "object" || subset === null) return equal(actual, subset);
    if (typeof actual !== "object" || actual === null) return false;
    if (Array.isArray(subset)) {
      return Array.isArray(actual) && actual.length === subset.length &&
        subset.every((s, i) => matches(actual[i], s));
    }
    return Object.keys(subset).every((k) => matches(actual[k], subset[k]));
  }

  function thrown(err, expected) {
    if (expected === undefined) return true;
    const message = err && err.message !== undefined ? String(err.message) : String(err);
    if (typeof expected === "string") return message.includes(expected);
    if (expected instanceof RegExp) return expected.test(message);
    if (typeof expected === "function") return err instanceof expected;
    throw new TypeError("toThrow(expected): expected must be a string, a RegExp or an error class");
  }

  function matchers(actual, negated) {
    const not = negated ? "not " : "";
    const check = (pass, expected, what) => {
      if (pass === negated) {
        throw new AssertionError(`expected ${show(actual)} ${not}${what}`, expected, actual);
      }
    };
    return {
      toBe(e) { check(Object.is(actual, e), e, `to be ${show(e)}`); },
      toEqual(e) { check(equal(actual, e), e, `to equal ${show(e)}`); },
      toMatchObject(e) {
        if (typeof e !== "object" || e === null) throw new TypeError("toMatchObject(subset): subset must be an object");
        check(matches(actual, e), e, `to match ${show(e)}`);
      },
      toContain(item) {
        let pass;
        if (typeof actual === "string") pass = actual.includes(String(item));
        else if (Array.isArray(actual)) pass = actual.some((x) => equal(x, item));
        else throw new TypeError("toContain(item): the value must be a string or an array, got " + show(actual));
        check(pass, item, `to contain ${show(item)}`);
      },
      toThrow(expected) {
        if (typeof actual !== "function") throw new TypeError("toThrow(): expect() must be given a function to call");
        let err, threw = false;
        try { actual(); } catch (e) { threw = true; err = e; }
        const pass = threw && thrown(err, expected);
        const what = expected === undefined ? "to throw" : `to throw ${show(expected instanceof RegExp ? String(expected) : expected)}`;
        if (pass === negated) {
          const got = threw ? (err && err.message !== undefined ? err.message : err) : "no error";
          throw new AssertionError(`expected the function ${not}${what}`, expected === undefined ? "an error" : expected, got);
        }
      },
    };
  }

  g.expect = function expect(actual) {
    const m = matchers(actual, false);
    m.not = matchers(actual, true);
    return m;
  };

  g.request = function request(method, path, opts) {
    opts = opts || {};
    const headers = {};
    for (const k of Object.keys(opts.headers || {})) headers[k.toLowerCase()] = String(opts.headers[k]);
    let body = opts.body === undefined ? "" : opts.body;
    if (opts.json !== undefined) {
      body = JSON.stringify(opts.json);
      if (!("content-type" in headers)) headers["content-type"] = "application/json";
    }
    if (typeof body !== "string") throw new TypeError("request(): body must be a string (use json: for objects)");
    const r = JSON.parse(native.request(String(method).toUpperCase(), String(path), JSON.stringify(headers), body));
    const text = r.body;
    return Promise.resolve({
      status: r.status,
      headers: r.headers,
      text() { return text; },
      json() { return JSON.parse(text); },
    });
  };

  native.count = () => tests.length;
  native.name = (i) => tests[i].name;
  native.run = (i) => {
    const done = (ok, e) => {
      if (ok) return JSON.stringify({ ok: true });
      const err = e instanceof Error ? e : null;
      return JSON.stringify({
        ok: false,
        message: err ? `${err.name}: ${err.message}` : "thrown: " + show(e),
        expected: err && err.expected,
        actual: err && err.actual,
        stack: err ? String(err.stack || "") : "",
      });
    };
    try {
      return Promise.resolve(tests[i].fn()).then(() => done(true), (e) => done(false, e));
    } catch (e) {
      return Promise.resolve(done(false, e));
    }
  };
})(globalThis, globalThis.__testrun);
