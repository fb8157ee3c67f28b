// Reference server for bench/run.sh under Bun and Deno, through each one's
// native server (Bun.serve, Deno.serve), doing what the engine's hello.js
// does: GET /hello?name=bob -> 200 text/plain "Hello bob".
//
// Usage: bun bench/fetch_hello.js [HOST:PORT]
//        deno run --allow-net bench/fetch_hello.js [HOST:PORT]
// Prints `listening on http://IP:PORT` on stdout once bound, like the engine.

const args = typeof Bun !== 'undefined' ? Bun.argv.slice(2) : Deno.args;
const addr = args[0] || '127.0.0.1:0';
const i = addr.lastIndexOf(':');
const hostname = addr.slice(0, i);
const port = Number(addr.slice(i + 1));

const TEXT = { 'content-type': 'text/plain; charset=utf-8' };

function hello(req) {
  return 'Hello ' + req.query.name;
}

function handle(request) {
  const url = new URL(request.url);
  if (url.pathname === '/hello' && (request.method === 'GET' || request.method === 'HEAD')) {
    const query = Object.fromEntries(url.searchParams);
    const body = hello({ method: request.method, path: url.pathname, query, headers: request.headers });
    return new Response(body, { status: 200, headers: TEXT });
  }
  return new Response('not found', { status: 404, headers: { 'content-type': 'text/plain' } });
}

function listening(host, p) {
  console.log(`listening on http://${host}:${p}`);
}

if (typeof Bun !== 'undefined') {
  const server = Bun.serve({ hostname, port, fetch: handle });
  listening(server.hostname, server.port);
} else {
  Deno.serve({ hostname, port, onListen: (a) => listening(a.hostname, a.port) }, handle);
}
