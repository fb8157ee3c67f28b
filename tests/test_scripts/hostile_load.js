// Hostile handlers for tests/hostile_scripts.rs (issue 15): each is run
// while /load/ok is under steady load, and must be stopped by a named limit.
register("/load/ok", () => "ok");
register("/load/loop", () => {
  while (true) {}
});
register("/load/memory", () => {
  const hog = [];
  for (;;) hog.push(new Array(100000).fill(1.5));
});
register("/load/recursion", () => {
  function down(n) {
    return down(n + 1) + 1;
  }
  return String(down(0));
});
register("/load/huge", () => ({ status: 200, body: "x".repeat(100 * 1024 * 1024) }));
register("/load/never", () => new Promise(() => {}));
register("/load/timers", () => {
  for (;;) setTimeout(() => {}, 1000000);
});
register("/load/kv", async () => {
  for (let i = 0; ; i++) await kv.set(["storm", i], "x".repeat(100));
});
// Catastrophic backtracking: (a+)+$ against "aaaa...!" is exponential.
register("/load/regex", () => String(/^(a+)+$/.test("a".repeat(40) + "!")));
// 10,000 subscribers that never read (tests/hostile_scripts.rs, sse flood).
registerWebStream("/load/flood");
register("/load/flood/send", (req) => {
  const n = Number(req.query.n || 1);
  const chunk = "z".repeat(16384);
  for (let i = 0; i < n; i++) sendStreamMessageToPath("/load/flood", chunk);
  return "sent " + n;
});
