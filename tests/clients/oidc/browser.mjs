// Just enough of a browser for the sign-in flows over plain HTTP: a cookie
// jar per host (name=value; path ignored, Max-Age=0 deletes) and manual
// redirects, so that a test sees and can tamper with every hop.
export class Browser {
  constructor() {
    this.jars = new Map();
  }

  jar(url) {
    const host = new URL(url).host;
    if (!this.jars.has(host)) this.jars.set(host, new Map());
    return this.jars.get(host);
  }

  cookie(url, name) {
    return this.jar(url).get(name);
  }

  /** One request, no redirect followed; cookies sent and stored. */
  async request(url, init = {}) {
    const jar = this.jar(url);
    const headers = { ...(init.headers || {}) };
    if (jar.size) headers.cookie = [...jar].map(([k, v]) => `${k}=${v}`).join("; ");
    const r = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const c of r.headers.getSetCookie()) {
      const [pair, ...attrs] = c.split(";");
      const i = pair.indexOf("=");
      const name = pair.slice(0, i).trim();
      const value = pair.slice(i + 1).trim();
      const gone = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (gone) jar.delete(name);
      else jar.set(name, value);
    }
    return r;
  }

  /**
   * Follows redirects from `url` until `stop(url)` says so (or a non-3xx
   * answer); returns { url, response } of the last hop.
   */
  async follow(url, stop = () => false, init = {}) {
    let r = await this.request(url, init);
    for (let hops = 0; hops < 20; hops++) {
      const loc = r.headers.get("location");
      if (r.status < 300 || r.status >= 400 || !loc) return { url, response: r };
      url = new URL(loc, url).toString();
      if (stop(url)) return { url, response: r };
      r = await this.request(url);
    }
    throw new Error(`too many redirects, last at ${url}`);
  }
}
