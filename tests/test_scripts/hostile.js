// Hostile handlers (REQ-JS-002..004). Each must be stopped by a limit,
// answered with a 500 naming the limit, and never take the process down.
register("/hostile/loop", () => {
  while (true) {}
});
register("/hostile/memory", () => {
  const hog = [];
  for (;;) hog.push(new Array(100000).fill(1.5));
});
register("/hostile/recursion", () => {
  function down(n) {
    return down(n + 1) + 1;
  }
  return String(down(0));
});
register("/hostile/huge-string", () => ({ status: 200, body: "x".repeat(100 * 1024 * 1024) }));
register("/hostile/huge-bytes", () => ({ status: 200, body: new Uint8Array(100 * 1024 * 1024) }));
register("/hostile/ok", () => "still ok");
