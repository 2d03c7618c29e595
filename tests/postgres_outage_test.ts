/** A PostgreSQL outage is a 503 with Retry-After, stores nothing, and the server recovers alone. */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { prepareSheets, simulateMatches } from "../lib/mod.ts";
import { createApp } from "../server/app.ts";
import { openPostgresStore } from "../server/store/postgres.ts";
import { isStoreUnavailable } from "../server/store/store.ts";
import { getJson, makeSheet, post } from "./fixtures.ts";
import { startPostgresCluster } from "./postgres_cluster.ts";
import { postgresUnavailable } from "./engines.ts";

const skipped = postgresUnavailable();

Deno.test("isStoreUnavailable() knows connection failures from request errors", () => {
  for (const code of ["ECONNREFUSED", "CONNECTION_ENDED", "CONNECT_TIMEOUT", "08006", "57P01"]) {
    equal(isStoreUnavailable(Object.assign(new Error("x"), { code })), true, code);
  }
  for (const error of [new Error("x"), { code: "23505" }, { code: 5 }, null, "ECONNREFUSED"]) {
    equal(isStoreUnavailable(error), false, JSON.stringify(error));
  }
});

/** Runs `fn` against a cluster of its own, paused and resumed under it: a real outage. */
function outageTest(name: string, fn: (cluster: Cluster) => Promise<void>): void {
  Deno.test({
    name: name + (skipped ? ` (skipped: ${skipped})` : ""),
    ignore: skipped !== undefined,
    fn: async () => {
      const cluster = await startPostgresCluster();
      if ("skipped" in cluster) throw new Error(cluster.skipped);
      try {
        await fn(cluster);
      } finally {
        await cluster.stop();
      }
    },
  });
}

type Cluster = Exclude<Awaited<ReturnType<typeof startPostgresCluster>>, { skipped: string }>;

outageTest(
  "while PostgreSQL is down, requests get 503 and Retry-After; then the server recovers alone",
  async (cluster) => {
    {
      await using store = await openPostgresStore(cluster.url);
      const logged: unknown[] = [];
      const app = createApp(store, { logError: (error) => logged.push(error) });
      equal((await post(app, "/api/submit", makeSheet())).status, 201);
      const before = (await getJson(app, "/api/aggregate")).body;
      let missed = 0;
      const stopListening = store.onCommit(() => {}, { onMissed: () => missed++ });
      await store.listening;
      equal(missed, 0, "a first connection misses nothing");
      await cluster.pause();
      try {
        for (
          const request of [
            () => post(app, "/api/submit", makeSheet({ player_id: "p_outage" })),
            () => app.request("/api/aggregate"),
            () => app.request("/api/stats"),
          ]
        ) {
          const response = await request();
          equal(response.status, 503, await response.clone().text());
          equal(response.headers.get("retry-after"), "1");
          deepStrictEqual(await response.json(), {
            error: "The database does not answer; retry shortly",
            code: "unavailable",
          });
        }
        equal((await app.request("/api/health")).status, 503);
        deepStrictEqual(logged, [], "an outage is not logged as a server bug");
      } finally {
        await cluster.resume();
      }
      equal((await app.request("/api/health")).status, 200, "recovers by itself");
      // The LISTEN session reconnects on its own and says notices may have been lost meanwhile
      // (the live feed then sends every client a fresh snapshot).
      for (let waited = 0; missed === 0 && waited < 30_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // Once per successful reconnection (a loaded machine may need more than one attempt).
      ok(missed >= 1, "told that commits may have been missed");
      stopListening();
      deepStrictEqual((await getJson(app, "/api/aggregate")).body, before, "nothing was stored");
      equal((await post(app, "/api/submit", makeSheet({ player_id: "p_after" }))).status, 201);
    }
  },
);

outageTest(
  "a LISTEN first tried while PostgreSQL is down: later subscribers hear each remote commit once",
  async (cluster) => {
    {
      await using one = await openPostgresStore(cluster.url);
      await using other = await openPostgresStore(cluster.url);
      await cluster.pause();
      const first = other.onCommit(() => {}); // its LISTEN fails: the database is down
      await cluster.resume();
      await other.listening; // postgres.js listened again on its own
      first();
      const heard: number[] = [];
      const second = other.onCommit((sheets) => heard.push(sheets.length));
      const sheets = [...simulateMatches({ matches: 1, seed: 1 })].slice(0, 3);
      await one.insertSheets(prepareSheets(sheets, new Date("2026-01-01T00:00:00Z")));
      for (let waited = 0; heard.length === 0 && waited < 10_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await new Promise((resolve) => setTimeout(resolve, 500)); // time for a second delivery
      deepStrictEqual(heard, [3], "one delivery per remote commit");
      second();
    }
  },
);
