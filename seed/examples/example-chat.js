// A live chat with rooms over Server-Sent Events.
// Open /examples/chat?room=lobby in two browser tabs and talk.
registerWebStream("/examples/chat/stream", {
  onConnect(req) {
    // Kept with the connection; messages are filtered by it.
    return { room: req.query.room || "lobby" };
  },
});

register("/examples/chat/send", (req) => {
  const room = String((req.json && req.json.room) || "lobby").slice(0, 40);
  const text = String((req.json && req.json.text) || "").slice(0, 500);
  const name = String((req.json && req.json.name) || "anonymous").slice(0, 40);
  if (!text) return { status: 400, body: { error: "send JSON {room, name, text}" } };
  sendStreamMessageToPath("/examples/chat/stream", { name, text, at: new Date().toISOString() }, {
    filter: { room },
    event: "chat",
  });
  return { status: 202, body: { ok: true } };
}, "POST");

register("/examples/chat", (req) => {
  const room = String(req.query.room || "lobby").replace(/[^A-Za-z0-9_-]/g, "").slice(0, 40) || "lobby";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Chat: ${room}</title>
<style>body{font:16px system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}
#log{border:1px solid #ccc;border-radius:6px;height:50vh;overflow-y:auto;padding:.5rem}
form{display:flex;gap:.5rem;margin-top:.5rem}input[name=text]{flex:1}</style></head>
<body><h1>Room ${room}</h1><div id="log" aria-live="polite"></div>
<form id="f"><input name="name" placeholder="name" size="10"><input name="text" placeholder="message" autocomplete="off"><button>Send</button></form>
<script>
const room = ${JSON.stringify(room)};
const log = document.getElementById("log");
const es = new EventSource("/examples/chat/stream?room=" + encodeURIComponent(room));
es.addEventListener("chat", (e) => {
  const m = JSON.parse(e.data);
  const p = document.createElement("p");
  p.textContent = m.name + ": " + m.text;
  log.append(p);
  log.scrollTop = log.scrollHeight;
});
document.getElementById("f").addEventListener("submit", async (e) => {
  e.preventDefault();
  const f = e.target;
  await fetch("/examples/chat/send", { method: "POST", headers: { "content-type": "application/json" },
    body: JSON.stringify({ room, name: f.name.value, text: f.text.value }) });
  f.text.value = "";
});
</script></body></html>`;
});
