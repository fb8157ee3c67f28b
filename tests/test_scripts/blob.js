// Blob and File (tests/blob.rs): construction, slicing, reading, and their
// use as bodies and FormData values.
register('/blob', async () => {
  const part = new Blob(['cd']);
  const b = new Blob(['ab', part, new Uint8Array([101, 102]), new ArrayBuffer(1)], { type: 'Text/Plain' });
  const f = new File(['héllo'], 'greet.txt', { type: 'text/plain', lastModified: 42 });
  const res = new Response(b);
  const sliced = b.slice(1, -2, 'x/y');
  let missingName = '';
  try { new File(['x']); } catch (e) { missingName = String(e); }
  let badParts = '';
  try { new Blob('abc'); } catch (e) { badParts = String(e); }
  const chunks = [];
  for await (const c of f.stream()) chunks.push(...c);
  return {
    body: {
      size: b.size, type: b.type, text: await b.text(),
      bytes: Array.from(await b.bytes()),
      buffer: (await b.arrayBuffer()).byteLength,
      sliced: [await sliced.text(), sliced.type],
      tail: await b.slice(-3).text(),
      file: [f.name, f.size, f.type, f.lastModified, f instanceof Blob, f instanceof File, String(f)],
      text: await f.text(),
      streamed: chunks.length,
      responseType: res.headers.get('content-type'),
      responseText: await res.text(),
      fromResponse: await (await new Response('zz', { headers: { 'content-type': 'a/b' } }).blob()).type,
      missingName, badParts,
    },
  };
});

register('/blob-form', async () => {
  const form = new FormData();
  form.append('doc', new Blob(['data'], { type: 'text/csv' }), 'rows.csv');
  form.append('file', new File(['x'], 'x.bin'));
  const got = form.get('doc');
  const text = await new Response(form).text();
  return {
    body: {
      isFile: got instanceof File, name: got.name, type: got.type,
      multipart: text.includes('filename="rows.csv"\r\nContent-Type: text/csv\r\n\r\ndata'),
      octet: text.includes('filename="x.bin"\r\nContent-Type: application/octet-stream'),
    },
  };
});

register('/upload', async (req) => {
  const form = await req.formData();
  const f = form.get('doc');
  return {
    body: {
      isFile: f instanceof File, name: f.name, type: f.type, size: f.size,
      head: await f.slice(0, 4).text(), legacy: f.bytes.length,
    },
  };
}, 'POST');
