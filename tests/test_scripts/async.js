// Async handlers awaiting the host `sleep` (issue 3 §4): time spent
// awaiting does not count as JS time, and other requests run meanwhile.
register("/nap", async () => {
  await sleep(500);
  return "slept";
});
register("/slow", async () => {
  writeLog("slow started");
  await sleep(3000);
  return "slow";
});
register("/fast", () => "fast");
register("/too-slow", async () => {
  await sleep(2000);
  return "late";
});
