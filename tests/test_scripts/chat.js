// SSE: a chat with rooms. onConnect keeps the room as connection metadata.
registerWebStream("/chat", {
  onConnect(req) {
    if (req.query.deny) throw { status: 403, body: "not allowed" };
    return { room: req.query.room || "lobby" };
  },
});
registerWebStream("/news");

register("/say", (req) => {
  const room = req.query.room;
  sendStreamMessageToPath("/chat", req.query.msg, room ? { filter: { room }, event: "chat" } : undefined);
  return "sent";
}, "POST");

register("/broadcast", () => {
  // Fields of the data are never interpreted: this `id` stays in the JSON.
  sendStreamMessage({ id: "not-an-event-id", text: "line1\nline2" });
  return "ok";
}, "POST");

register("/multiline", () => {
  sendStreamMessageToPath("/news", "first\nsecond", { event: "note", id: "n1", retry: 2000 });
  return "ok";
}, "POST");

let caught = [];
try { registerWebStream("no-slash"); } catch (e) { caught.push(e.message); }
try { registerWebStream(""); } catch (e) { caught.push(e.message); }
register("/caught", () => ({ body: caught }));
register("/bad-send", () => {
  try { sendStreamMessageToPath("news", "x"); return "no error"; } catch (e) { return e.message; }
});

// 400 messages of 64 KiB: more than a client that never reads can buffer.
register("/flood", () => {
  const big = "x".repeat(65536);
  for (let i = 0; i < 400; i++) sendStreamMessageToPath("/news", big);
  return "flooded";
}, "POST");
