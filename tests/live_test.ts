import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { aggregateLoot, createClient, simulateMatches, type StatSheet } from "../lib/mod.ts";
import { type AppOptions } from "../server/app.ts";
import { LiveHub, type LiveMessage, LiveTickets } from "../server/live.ts";
import { startServer } from "../server/serve.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import type { CommitListener, CommitListenerOptions } from "../server/store/store.ts";
import { storeSheets } from "./fixtures.ts";

/** A real server on 127.0.0.1 over an in-memory store; disposing shuts both down. */
async function startLiveServer(app: AppOptions = {}) {
  const store = openSqliteStore(":memory:");
  const server = await startServer(store, { port: 0, host: "127.0.0.1", app });
  return {
    store,
    url: server.url,
    server,
    [Symbol.asyncDispose]: async () => {
      await server.shutdown({ timeoutMs: 2_000 });
      store.close();
    },
  };
}

/** Messages of a live connection, with a bounded wait for the next ones. */
function collect() {
  const messages: (LiveMessage & { receivedAt: number })[] = [];
  let wake: (() => void) | undefined;
  return {
    messages,
    push(text: string) {
      messages.push({ ...JSON.parse(text), receivedAt: performance.now() });
      wake?.();
    },
    async until(count: number, timeoutMs = 5_000): Promise<void> {
      const deadline = performance.now() + timeoutMs;
      while (messages.length < count) {
        const left = deadline - performance.now();
        if (left <= 0) {
          throw new Error(
            `Waited ${timeoutMs} ms for ${count} messages, got ${messages.length}: ${
              JSON.stringify(messages)
            }`,
          );
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          wake = () => (clearTimeout(timer), resolve());
        });
      }
    },
  };
}

function openSocket(url: string) {
  const feed = collect();
  const socket = new WebSocket(url.replace(/^http/, "ws"));
  socket.onmessage = (event) => feed.push(event.data);
  const closed = new Promise<CloseEvent>((resolve) => socket.onclose = resolve);
  return {
    ...feed,
    socket,
    closed,
    [Symbol.asyncDispose]: async () => {
      socket.close();
      await closed;
    },
  };
}

/** Reads SSE `data:` lines from a fetch response body. */
function readEvents(response: Response) {
  const feed = collect();
  const done = (async () => {
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of response.body!) {
      buffer += decoder.decode(chunk, { stream: true });
      let end;
      while ((end = buffer.indexOf("\n\n")) !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = event.split("\n").find((line) => line.startsWith("data: "));
        if (data) feed.push(data.slice(6));
      }
    }
  })().catch(() => {});
  return { ...feed, done };
}

const sheetsOf = (matches: number, seed: number, gameMode?: string): StatSheet[] =>
  [...simulateMatches({ matches, seed, matchPrefix: `s${seed}` })].map((sheet) =>
    gameMode ? { ...sheet, game_mode: gameMode } : sheet
  );

Deno.test("GET /api/live sends a snapshot, then coalesced ingest messages within a second", async () => {
  await using server = await startLiveServer();
  const first = sheetsOf(5, 1);
  await storeSheets(server.store, first);
  await using live = openSocket(`${server.url}/api/live`);
  await live.until(1);
  deepStrictEqual(live.messages[0], {
    type: "snapshot",
    data: aggregateLoot(first),
    receivedAt: live.messages[0]!.receivedAt,
  });
  const client = createClient(server.url);
  const [a, b] = [sheetsOf(3, 2), sheetsOf(4, 3)];
  const sent = performance.now();
  await client.submitBatch(a);
  await client.submitBatch(b); // a second commit inside the same 250 ms window
  await live.until(2);
  const ingest = live.messages[1]!;
  if (ingest.type !== "ingest") throw new Error(`expected ingest, got ${ingest.type}`);
  equal(ingest.sheets, a.length + b.length, "both commits in one message");
  deepStrictEqual(ingest.total_items, aggregateLoot([...a, ...b]).total_items);
  ok(!Number.isNaN(Date.parse(ingest.at)));
  ok(ingest.receivedAt - sent < 1_000, `arrived ${ingest.receivedAt - sent} ms after upload`);
  ok(
    ingest.receivedAt - live.messages[0]!.receivedAt >= 200,
    "no closer than the 250 ms window to the previous message",
  );
  // Duplicates store nothing and send nothing.
  await client.submitBatch(a);
  await new Promise((resolve) => setTimeout(resolve, 400));
  equal(live.messages.length, 2);
});

Deno.test("GET /api/live/events serves the same messages as SSE, filtered by game_mode", async () => {
  await using server = await startLiveServer();
  const solo = sheetsOf(2, 4, "solo");
  await storeSheets(server.store, [...solo, ...sheetsOf(2, 5, "squads")]);
  const controller = new AbortController();
  const response = await fetch(`${server.url}/api/live/events?game_mode=solo`, {
    signal: controller.signal,
  });
  equal(response.status, 200);
  match(response.headers.get("content-type")!, /^text\/event-stream/);
  const events = readEvents(response);
  await events.until(1);
  deepStrictEqual(
    events.messages[0]!.type === "snapshot" && events.messages[0]!.data,
    aggregateLoot(solo),
  );
  const moreSolo = sheetsOf(1, 6, "solo");
  await storeSheets(server.store, [...sheetsOf(3, 7, "squads"), ...moreSolo]);
  await events.until(2);
  const ingest = events.messages[1]!;
  equal(ingest.type === "ingest" && ingest.sheets, moreSolo.length);
  controller.abort();
  await events.done;
});

Deno.test("live clients beyond --max-live-clients get 503; a freed place is reusable", async () => {
  await using server = await startLiveServer({ maxLiveClients: 2 });
  await using one = openSocket(`${server.url}/api/live`);
  const controller = new AbortController();
  const two = await fetch(`${server.url}/api/live/events`, { signal: controller.signal });
  equal(two.status, 200);
  await one.until(1);
  const three = await fetch(`${server.url}/api/live/events`);
  equal(three.status, 503);
  match((await three.json()).error, /at most 2 at once/);
  controller.abort();
  await two.body?.cancel().catch(() => {});
  // The place frees once the server sees the stream cancelled: poll briefly.
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    const again = await fetch(`${server.url}/api/live/events`);
    status = again.status;
    await again.body?.cancel();
  }
  equal(status, 200);
});

Deno.test("with a read key, live takes the key in a header or a single-use ticket, never a key in the URL", async (t) => {
  await using server = await startLiveServer({ readKey: "read-secret" });
  await t.step("no key: 401; a key as a query parameter is refused as unknown", async () => {
    const none = await fetch(`${server.url}/api/live/events`);
    equal(none.status, 401);
    await none.body?.cancel();
    const inUrl = await fetch(`${server.url}/api/live/events?key=read-secret`);
    equal(inUrl.status, 400);
    match(JSON.stringify(await inUrl.json()), /Unknown query parameter/);
  });
  await t.step("a ticket needs the key, opens one WebSocket, and only once", async () => {
    equal((await fetch(`${server.url}/api/live/ticket`, { method: "POST" })).status, 401);
    const issued = await fetch(`${server.url}/api/live/ticket`, {
      method: "POST",
      headers: { authorization: "Bearer read-secret" },
    });
    equal(issued.status, 201);
    const { ticket, expires_in } = await issued.json();
    equal(expires_in, 30);
    {
      await using live = openSocket(`${server.url}/api/live?ticket=${ticket}`);
      await live.until(1);
      equal(live.messages[0]!.type, "snapshot");
    }
    const reused = await fetch(`${server.url}/api/live/events?ticket=${ticket}`);
    equal(reused.status, 403);
    match((await reused.json()).error, /already used or expired/);
  });
  await t.step("the key in a header opens SSE (curl -N)", async () => {
    const response = await fetch(`${server.url}/api/live/events`, {
      headers: { "x-api-key": "read-secret" },
    });
    equal(response.status, 200);
    await response.body?.cancel();
  });
});

Deno.test("GET /api/live without an upgrade answers 426 naming the SSE alternative", async () => {
  await using server = await startLiveServer();
  const response = await fetch(`${server.url}/api/live`);
  equal(response.status, 426);
  match((await response.json()).error, /\/api\/live\/events/);
});

Deno.test("shutdown closes live connections instead of waiting on them", async () => {
  const store = openSqliteStore(":memory:");
  const server = await startServer(store, { port: 0, host: "127.0.0.1" });
  try {
    const response = await fetch(`${server.url}/api/live/events`);
    const events = readEvents(response);
    const live = openSocket(`${server.url}/api/live`);
    await live.until(1);
    await events.until(1);
    const started = performance.now();
    await server.shutdown({ timeoutMs: 5_000 });
    ok(performance.now() - started < 2_000);
    const close = await live.closed;
    // 1001 "going away" when the listener closes first, else ours with the reason.
    ok([1001, 4000].includes(close.code), `close code ${close.code}`);
    await events.done;
    equal(events.messages.at(-1)!.type as string, "close");
  } finally {
    store.close();
  }
});

Deno.test("LiveHub: a client that falls behind is skipped, then resynced by a snapshot, or closed when stalled", async () => {
  using store = openSqliteStore(":memory:");
  const hub = new LiveHub(store, { coalesceMs: 10, maxBacklogBytes: 100, stallMs: 200 });
  let backlog = 0;
  const sent: LiveMessage[] = [];
  let closedWith: string | undefined;
  const detach = hub.attach({
    send: (text) => void sent.push(JSON.parse(text)),
    backlog: () => backlog,
    close: (reason) => void (closedWith = reason),
  });
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await wait(20);
  equal(sent.length, 1);
  backlog = 1_000; // the network stopped taking bytes
  await storeSheets(store, sheetsOf(2, 8));
  await wait(60);
  equal(sent.length, 1, "nothing queued while behind");
  backlog = 0;
  await wait(60);
  equal(sent.at(-1)!.type, "snapshot", "caught up: a fresh snapshot, not the dropped deltas");
  const last = sent.at(-1)!;
  deepStrictEqual(last.type === "snapshot" && last.data, await store.aggregate());
  backlog = 1_000;
  await storeSheets(store, sheetsOf(1, 9));
  await wait(400);
  match(closedWith ?? "", /Fell behind/);
  equal(hub.size, 0);
  detach();
});

Deno.test("LiveHub: when the store may have missed commits, every client gets a fresh snapshot", async () => {
  using store = openSqliteStore(":memory:");
  // The store as PostgreSQL's would behave after its LISTEN session reconnected.
  let onMissed: (() => void) | undefined;
  const reconnecting = new Proxy(store, {
    get(target, property) {
      if (property === "onCommit") {
        return (listener: CommitListener, options?: CommitListenerOptions) => {
          onMissed = options?.onMissed;
          return target.onCommit(listener);
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  const hub = new LiveHub(reconnecting, { coalesceMs: 10 });
  const sent: LiveMessage[] = [];
  const detach = hub.attach({
    send: (text) => void sent.push(JSON.parse(text)),
    backlog: () => 0,
    close: () => {},
  });
  const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await wait(20);
  equal(sent.length, 1);
  await storeSheets(store, sheetsOf(2, 3)); // stored, as if by another server, unheard of here
  onMissed!();
  await wait(60);
  equal(sent.length, 2);
  const last = sent.at(-1)!;
  equal(last.type, "snapshot");
  deepStrictEqual(last.type === "snapshot" && last.data, await store.aggregate());
  detach();
});

Deno.test("LiveTickets are single-use and expire", async () => {
  const tickets = new LiveTickets({ ttlMs: 30, max: 2 });
  const a = tickets.issue()!;
  ok(tickets.redeem(a.ticket));
  ok(!tickets.redeem(a.ticket));
  const b = tickets.issue()!;
  tickets.issue();
  equal(tickets.issue(), undefined, "at most 2 outstanding");
  await new Promise((resolve) => setTimeout(resolve, 40));
  ok(!tickets.redeem(b.ticket));
  ok(tickets.issue() !== undefined, "expired ones are pruned");
});
