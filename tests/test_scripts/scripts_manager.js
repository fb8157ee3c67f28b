// Script management from JS (issue 6 §5): each route acts for the caller,
// except /m/owner-list, which uses the script owner's rights on purpose.
const answer = async (f) => {
  try {
    return { status: 200, headers: { "content-type": "application/json" }, body: JSON.stringify(await f()) };
  } catch (e) {
    return { status: e.status || 500, body: String(e.message) };
  }
};
register("/m/list", () => answer(async () => (await scripts.list()).map((s) => s.name)));
register("/m/owner-list", () => answer(async () => (await scripts.asOwner().list()).map((s) => s.name)));
register("/m/get", (req) => answer(() => scripts.get(req.query.name)));
register("/m/put", (req) => answer(() => scripts.put(req.query.name, req.body)), "POST");
register("/m/del", (req) => answer(() => scripts.delete(req.query.name)), "DELETE");
register("/m/logs", (req) => answer(() => scripts.logs(req.query.name, { limit: 5 })));
register("/m/later", () =>
  answer(async () => {
    await new Promise((r) => setTimeout(r, 5));
    return (await scripts.list()).map((s) => s.name);
  }),
);
