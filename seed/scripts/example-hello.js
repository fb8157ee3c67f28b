// A first handler: GET /examples/hello?name=you answers "Hello you".
// Enable it with: curl -X PATCH -H "Authorization: Bearer $TOKEN" \
//   -d '{"enabled":true}' http://localhost:8080/engine/api/scripts/example-hello.js
function hello(req) {
  const name = req.query.name || "world";
  return "Hello " + name;
}

register("/examples/hello", hello, "GET");
