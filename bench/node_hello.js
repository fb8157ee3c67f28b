// Reference server for bench/run.sh: plain Node.js `http`, doing what the
// engine's hello.js does: GET /hello?name=bob -> 200 text/plain "Hello bob".
//
// Usage: node bench/node_hello.js [HOST:PORT]   (default 127.0.0.1:0)
// Prints `listening on http://IP:PORT` on stdout once bound, like the engine.
'use strict';

const http = require('http');
const querystring = require('querystring');

const addr = process.argv[2] || '127.0.0.1:0';
const i = addr.lastIndexOf(':');
const host = addr.slice(0, i);
const port = Number(addr.slice(i + 1));

function hello(req) {
  return 'Hello ' + req.query.name;
}

const server = http.createServer((req, res) => {
  const url = req.url;
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  if (path === '/hello' && (req.method === 'GET' || req.method === 'HEAD')) {
    const query = q === -1 ? {} : querystring.parse(url.slice(q + 1));
    const body = hello({ method: req.method, path, query, headers: req.headers });
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    res.end(req.method === 'HEAD' ? undefined : body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' });
  res.end('not found');
});

server.listen(port, host, () => {
  const a = server.address();
  process.stdout.write(`listening on http://${a.address}:${a.port}\n`);
});

for (const sig of ['SIGINT', 'SIGTERM']) {
  process.on(sig, () => process.exit(0));
}
