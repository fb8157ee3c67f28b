// Host API extras from docs/CONTRACT-NOTES.md: timers and the sandbox.
register("/timer", () => new Promise((resolve) => setTimeout(() => resolve("timer fired"), 10)));
register("/cleared", async () => {
  let fired = false;
  const id = setTimeout(() => {
    fired = true;
  }, 10);
  clearTimeout(id);
  await sleep(100);
  return fired ? "fired" : "cleared";
});
register("/sandbox", () => ({
  status: 200,
  body: {
    process: typeof process,
    require: typeof require,
    std: typeof std,
    os: typeof os,
    Deno: typeof Deno,
    Bun: typeof Bun,
  },
}));
