// REQ-RT-001/002 with the reference EventSource client (npm `eventsource`).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { EventSource } from "eventsource";
import { startEngine, testScript, eventually } from "./engine.mjs";

let engine;
before(async () => {
  engine = await startEngine();
  await engine.deploy("chat.js", testScript("chat.js"));
});
after(() => engine.stop());

const post = (path) => fetch(engine.url + path, { method: "POST" });

function nextEvent(es, type = "message") {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} event within 10 s`)), 10000);
    es.addEventListener(type, (e) => { clearTimeout(timer); resolve(e); }, { once: true });
  });
}

function open(path, init) {
  const es = new EventSource(engine.url + path, init);
  return new Promise((resolve, reject) => {
    es.onopen = () => resolve(es);
    es.onerror = (e) => reject(new Error(`EventSource error: ${e.message ?? e.code}`));
  });
}

async function connections(path) {
  const r = await engine.api("GET", "/engine/api/streams");
  const { streams } = await r.json();
  return streams.find((s) => s.path === path)?.connections;
}

test("test_req_rt_001_eventsource_gets_targeted_filtered_and_broadcast", async () => {
  const a = await open("/chat?room=a");
  const b = await open("/chat?room=b");
  try {
    const chatA = nextEvent(a, "chat");
    await post("/say?msg=hello%20a&room=a");
    assert.equal((await chatA).data, "hello a");
    const gotA = nextEvent(a);
    const gotB = nextEvent(b);
    await post("/broadcast");
    const [ea, eb] = await Promise.all([gotA, gotB]);
    assert.deepEqual(JSON.parse(ea.data), { id: "not-an-event-id", text: "line1\nline2" });
    assert.equal(eb.data, ea.data);
    assert.notEqual(ea.lastEventId, "not-an-event-id");
  } finally {
    a.close();
    b.close();
  }
});

test("test_req_rt_001_eventsource_resumes_with_last_event_id", async () => {
  const first = await open("/chat?room=r");
  const got = nextEvent(first);
  await post("/say?msg=one");
  const one = await got;
  first.close();
  await post("/say?msg=two");
  // Reconnect as a browser would after a drop: with Last-Event-ID.
  const withId = (input, init) =>
    fetch(input, { ...init, headers: { ...init.headers, "Last-Event-ID": one.lastEventId } });
  const again = await open("/chat?room=r", { fetch: withId });
  try {
    const missed = await nextEvent(again);
    assert.equal(missed.data, "two");
  } finally {
    again.close();
  }
});

test("test_req_rt_002_eventsource_disconnect_is_cleaned_up", async () => {
  const es = await open("/news");
  assert.ok((await connections("/news")) >= 1);
  es.close();
  await eventually("the /news connection count back to 0", async () => {
    await post("/broadcast");
    return (await connections("/news")) === 0;
  });
});
