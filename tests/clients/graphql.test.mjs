// REQ-GQL-003 with the reference clients: graphql-sse and graphql-ws.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createClient as createSseClient } from "graphql-sse";
import { createClient as createWsClient } from "graphql-ws";
import WebSocket from "ws";
import { startEngine, testScript } from "./engine.mjs";

let engine;
before(async () => {
  engine = await startEngine();
  await engine.deploy("todo.js", testScript("todo_graphql.js"));
});
after(() => engine.stop());

async function mutate(query, variables) {
  const r = await fetch(`${engine.url}/graphql`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ query, variables }),
  });
  const body = await r.json();
  assert.equal(body.errors, undefined, JSON.stringify(body.errors));
  return body.data;
}

/** Subscribes with `client` and returns {next(): Promise<result>, dispose}. */
function subscribe(client, query, variables) {
  const queue = [];
  const waiting = [];
  const dispose = client.subscribe(
    { query, variables },
    {
      next: (v) => (waiting.length ? waiting.shift()(v) : queue.push(v)),
      error: (e) => { throw new Error(`subscription error: ${JSON.stringify(e)}`); },
      complete: () => {},
    },
  );
  const next = () =>
    queue.length
      ? Promise.resolve(queue.shift())
      : new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error("no subscription event within 10 s")), 10000);
          waiting.push((v) => { clearTimeout(t); resolve(v); });
        });
  return { next, dispose };
}

/** Keeps sending until the subscriber has it (subscribing is asynchronous). */
async function untilReceived(sub, send) {
  const got = sub.next();
  for (let i = 0; i < 100; i++) {
    await send();
    const r = await Promise.race([got, new Promise((r) => setTimeout(() => r(null), 100))]);
    if (r) return r;
  }
  return got;
}

test("test_req_gql_003_graphql_sse_subscription_gets_mutations", async () => {
  const client = createSseClient({ url: `${engine.url}/graphql/stream` });
  const all = subscribe(client, "subscription { todoAdded { id text done } }");
  const milk = subscribe(client, "subscription($p: String) { todoAdded(prefix: $p) { text } }", { p: "milk" });
  try {
    const first = await untilReceived(all, () => mutate('mutation { addTodo(text: "bread") { id } }'));
    assert.equal(first.data.todoAdded.text, "bread");
    assert.equal(first.data.todoAdded.done, false);
    const gotMilk = await untilReceived(milk, () => mutate('mutation { addTodo(text: "milk 2l") { id } }'));
    assert.equal(gotMilk.data.todoAdded.text, "milk 2l", "the filter lets milk through and nothing else");
  } finally {
    all.dispose();
    milk.dispose();
    client.dispose();
  }
});

test("test_req_gql_003_graphql_ws_subscription_first_event_and_messages", async () => {
  const client = createWsClient({ url: `${engine.url.replace("http", "ws")}/graphql/ws`, webSocketImpl: WebSocket });
  const greet = subscribe(client, 'subscription { greeting(name: "ann") }');
  try {
    const first = await greet.next();
    assert.equal(first.data.greeting, "hello ann", "a non-function resolver value is the first event");
    const msg = await untilReceived(greet, () => mutate('mutation { say(text: "hi all") }'));
    assert.equal(msg.data.greeting, "hi all", "a string message goes to a String field as it is");
  } finally {
    greet.dispose();
    await client.dispose();
  }
});

test("test_req_gql_001_queries_work_over_graphql_ws_too", async () => {
  const client = createWsClient({ url: `${engine.url.replace("http", "ws")}/graphql/ws`, webSocketImpl: WebSocket });
  try {
    const q = subscribe(client, "{ ping }");
    assert.equal((await q.next()).data.ping, "pong");
  } finally {
    await client.dispose();
  }
});

async function subscribers(name) {
  const r = await engine.api("GET", "/engine/api/streams");
  const { subscriptions } = await r.json();
  return subscriptions.find((s) => s.name === name)?.subscribers ?? 0;
}

test("test_req_gql_003_unsubscribe_and_disconnect_clean_up", async () => {
  const client = createWsClient({ url: `${engine.url.replace("http", "ws")}/graphql/ws`, webSocketImpl: WebSocket });
  const a = subscribe(client, "subscription { todoAdded { id } }");
  const b = subscribe(client, 'subscription { todoAdded(prefix: "x") { id } }');
  try {
    await untilReceived(a, () => mutate('mutation { addTodo(text: "x1") { id } }'));
    assert.equal(await subscribers("todoAdded"), 2, "two concurrent subscriptions on one client");
    a.dispose();
    for (let i = 0; i < 100 && (await subscribers("todoAdded")) !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(await subscribers("todoAdded"), 1, "unsubscribe frees one");
  } finally {
    b.dispose();
    await client.dispose();
  }
  for (let i = 0; i < 100 && (await subscribers("todoAdded")) !== 0; i++) await new Promise((r) => setTimeout(r, 50));
  assert.equal(await subscribers("todoAdded"), 0, "disconnect frees the rest");
});
