// The older engine's globals: synchronous, acting for the script's owner.
const atStart = listScripts();
let topLevelWrite = "allowed";
try {
  upsertScript("never.js", "register('/never', () => 'x')");
} catch (e) {
  topLevelWrite = e.message;
}
register("/legacy/start", () => ({ status: 200, body: JSON.stringify({ atStart, topLevelWrite }) }));
register("/legacy/run", () => {
  writeLog("legacy marker");
  const made = upsertScript("gen.js", "register('/gen', () => 'generated')");
  const source = getScript("gen.js");
  const names = listScripts();
  const missing = getScript("nope.js");
  let urlName = "";
  try {
    getScript("/blog/post");
  } catch (e) {
    urlName = e.message;
  }
  let broken = "";
  try {
    upsertScript("broken.js", "register('/b', () => {");
  } catch (e) {
    broken = e.message;
  }
  return { status: 200, body: JSON.stringify({ made, source, names, missing, urlName, broken, logs: listLogs() }) };
});
register("/legacy/delete", () => ({ status: 200, body: JSON.stringify([deleteScript("gen.js"), deleteScript("gen.js")]) }));
