// Module state per script (REQ-JS-001). `__TAG__` is replaced by the test.
// Two copies of this script both declare `let count`: if they shared
// globals, the second would fail with a redeclaration error.
let count = 0;
const before = globalThis.owner === undefined ? null : globalThis.owner;
globalThis.owner = "__TAG__";
register("/count/__TAG__", () => ({
  status: 200,
  body: { count: ++count, owner: globalThis.owner, before: before },
}));
