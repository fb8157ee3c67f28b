// A second script: its kv namespace is its own; the shared one is common.
register("/other/read", async () => ({
  contentType: "application/json",
  body: JSON.stringify({
    counter: (await kv.get(["counter"])).value,
    shared: (await kv.open("common").get(["note"])).value,
  }),
}));
