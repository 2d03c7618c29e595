import { equal, match, ok } from "node:assert/strict";
import { existsSync, statSync } from "node:fs";
import { simulateMatches } from "../lib/mod.ts";
import { startServerProcess } from "../server/child_process.ts";
import { startServer } from "../server/serve.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { makeTempDir } from "./fixtures.ts";

/** An NDJSON batch whose lines trickle in over about a second: the server is mid-request for that long. */
function slowBatch(url: string, prefix: string): Promise<Response> {
  const lines = [...simulateMatches({ matches: 3, matchPrefix: prefix })].map((sheet) =>
    `${JSON.stringify(sheet)}\n`
  );
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const line = lines.shift();
      if (line === undefined) return controller.close();
      await new Promise((resolve) => setTimeout(resolve, 80));
      controller.enqueue(encoder.encode(line));
    },
  });
  return fetch(`${url}/api/submit/batch`, {
    method: "POST",
    headers: { "content-type": "application/x-ndjson" },
    body,
  });
}

Deno.test("SIGTERM under load: in-flight requests finish, new connections are refused, the WAL is folded, exit 0", async () => {
  using dir = makeTempDir();
  const db = `${dir.path}/shutdown.db`;
  const server = await startServerProcess(["--db", db]);
  const port = Number(new URL(server.url).port);
  const inFlight = Array.from({ length: 6 }, (_, i) => slowBatch(server.url, `slow${i}`));
  await new Promise((resolve) => setTimeout(resolve, 300)); // every request is now being read by the server
  server.child.kill("SIGTERM");
  const signalledAt = performance.now();

  let refusedAt = Infinity;
  while (performance.now() - signalledAt < 5_000) {
    const refused = await Deno.connect({ hostname: "127.0.0.1", port }).then((connection) => {
      connection.close();
      return false;
    }, () => true);
    if (refused) {
      refusedAt = performance.now();
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  ok(refusedAt < Infinity, "new connections are refused once shutdown begins");

  const responses = await Promise.all(inFlight);
  const finishedAt = performance.now();
  for (const response of responses) {
    equal(response.status, 201);
    equal((await response.json()).inserted, 12);
  }
  ok(
    finishedAt > refusedAt,
    "the in-flight requests completed after new connections were already refused",
  );
  const { code, output } = await server.stop();
  equal(code, 0);
  match(output, /SIGTERM received: finishing in-flight requests, then closing the database/);
  ok(
    !existsSync(`${db}-wal`) || statSync(`${db}-wal`).size === 0,
    "WAL checkpointed into the database file",
  );
  using store = openSqliteStore(db, { readOnly: true });
  equal((await store.aggregate()).total_stat_sheets, 72);
});

Deno.test("while draining, a new request gets 503 with Retry-After and the in-flight one still succeeds", async () => {
  using store = openSqliteStore(":memory:");
  const server = await startServer(store, { port: 0, host: "127.0.0.1" });
  const slow = slowBatch(server.url, "drain");
  await new Promise((resolve) => setTimeout(resolve, 150));
  const stopping = server.shutdown();
  const late = await fetch(`${server.url}/api/health`);
  equal(late.status, 503);
  equal(late.headers.get("retry-after"), "1");
  match((await late.json()).error, /shutting down; retry in a moment/);
  const finished = await slow;
  equal(finished.status, 201);
  equal((await finished.json()).inserted, 12);
  await stopping;
});
