// Writes one entry per log level (REQ-LOG-003) and returns the request id.
register("/log", (req) => {
  writeLog("first");
  console.log("second", 2);
  console.info("third");
  console.warn("fourth");
  console.error("fifth");
  console.debug("sixth");
  return req.requestId;
});

// console first, writeLog last: once "w-after" is logged, "c-before" would be too.
register("/console-then-write", () => {
  console.log("c-before");
  writeLog("w-after");
  return "ok";
});

register("/many", () => {
  for (let i = 0; i < 10; i++) writeLog("n" + i);
  return "ok";
});
