// req.text()/arrayBuffer()/formData()/bodyUsed and req.url (tests/req_body.rs).
register('/text', async (req) => {
  const before = req.bodyUsed;
  const t = await req.text();
  let again;
  try { await req.text(); again = 'read twice'; } catch (e) { again = e.name + ': ' + e.message; }
  return { body: { before, after: req.bodyUsed, text: t, again, legacy: req.body } };
}, 'POST');
register('/bytes', async (req) => {
  const buf = await req.arrayBuffer();
  return { body: { isBuffer: buf instanceof ArrayBuffer, bytes: Array.from(new Uint8Array(buf)) } };
}, 'POST');
register('/form', async (req) => {
  const f = await req.formData();
  const file = f.get('doc');
  return {
    body: {
      name: f.get('name'), tags: f.getAll('tag'), has: f.has('name'), missing: f.get('nope'),
      keys: [...f.entries()].map(([k]) => k),
      file: file && { name: file.name, type: file.type, size: file.size, text: await file.text(),
        len: (await file.arrayBuffer()).byteLength },
    },
  };
}, 'POST');
register('/notform', async (req) => {
  try { await req.formData(); return 'parsed'; } catch (e) { return { body: { error: e.message, used: req.bodyUsed } }; }
}, 'POST');
register('/url', (req) => ({
  body: { url: req.url, own: Object.keys(req).includes('text'), forIn: (() => { const k = []; for (const x in req) k.push(x); return k.includes('text'); })() },
}));
// query/params/cookies/form/files/json that the request lacks are
// inherited defaults, made on first read (issue 14); they behave as own
// properties after.
const LAZY = ['query', 'params', 'cookies', 'form', 'files', 'json'];
register('/defaults', (req) => {
  const before = LAZY.filter((k) => Object.keys(req).includes(k));
  const json = JSON.parse(JSON.stringify(req));
  const seen = JSON.parse(JSON.stringify(Object.fromEntries(LAZY.map((k) => [k, req[k]]))));
  req.cookies.added = 'yes';
  req.files.push('x');
  req.form = { set: 1 };
  req.query.q = 1;
  return {
    body: {
      before, seen, inJson: LAZY.filter((k) => k in json),
      after: Object.keys(req).filter((k) => LAZY.includes(k)).sort(),
      cookies: req.cookies, files: req.files, form: req.form, query: req.query, fresh: req.json === null,
    },
  };
}, 'POST');
// `headers` is built on first read from a hidden packed string (issue 14).
register('/lazy-headers', (req) => {
  const before = Object.keys(req).includes('headers');
  const hidden = Object.keys(req).includes('__rawHeaders') || JSON.stringify(req).includes('__rawHeaders');
  const inJson = JSON.parse(JSON.stringify(req)).headers;
  const h = req.headers;
  const same = req.headers === h;
  h['x-added'] = 'yes';
  const after = Object.keys(req).includes('headers');
  const spread = Object.keys({ ...req }).includes('headers');
  return { body: { before, hidden, inJson, headers: req.headers, same, after, spread } };
});
register('/assign-headers', (req) => {
  req.headers = { replaced: '1' };
  return { body: { headers: req.headers, keys: Object.keys(req).includes('headers') } };
});
