// Runtime errors (REQ-JS-006). The throw is on line 4; tests check it.
register("/boom", () => {
  const detail = "secret-detail-xyz";
  throw new Error(detail);
});
register("/async-boom", async () => {
  await sleep(1);
  throw new Error("async-secret-xyz");
});
