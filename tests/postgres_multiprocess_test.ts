/**
 * Several stateless servers on one PostgreSQL database: three `server/main.ts` processes, eight
 * writers spread across them (batches and single sheets, with resubmissions), one server SIGKILLed
 * mid-stream and restarted.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { aggregateLoot, simulateMatches, type StatSheet } from "../lib/mod.ts";
import { type ServerProcess, startServerProcess } from "../server/child_process.ts";
import { checkPostgresRollups } from "../server/store/postgres_diagnostics.ts";
import { createDatabase, postgresUnavailable } from "./engines.ts";

const SERVERS = 3;
const WRITERS = 8;
/** Requests per writer: bounded, so the test ends even if the kill lands late. */
const REQUESTS = 40;
const BATCH = 40;

const keyOf = (sheet: { match_id: string; player_id: string }) =>
  `${sheet.match_id}/${sheet.player_id}`;

/** One request a writer sent: its sheets, where, whether a 2xx acknowledged it, whether a resend. */
interface Sent {
  sheets: StatSheet[];
  server: string;
  acknowledged: boolean;
  resend: boolean;
  /** A changed copy of an acknowledged sheet, sent to another server: must be refused (409). */
  conflict: boolean;
}

const skipped = postgresUnavailable();

/** The same key with one more unit of every looted item: a different sheet, a 409 anywhere. */
function changed(sheet: StatSheet): StatSheet {
  const items = Object.entries(sheet.looted_items).map(([item, count]) => [item, count + 1]);
  return { ...sheet, looted_items: Object.fromEntries(items) };
}

Deno.test({
  name:
    `${SERVERS} servers on one PostgreSQL database, ${WRITERS} writers, one server SIGKILLed and restarted: ` +
    "every acknowledged sheet once, no partial batch, one answer, rollups recount" +
    (skipped ? ` (skipped: ${skipped})` : ""),
  ignore: skipped !== undefined,
  fn: async () => {
    const database = await createDatabase();
    const servers: ServerProcess[] = [];
    try {
      for (let i = 0; i < SERVERS; i++) {
        servers.push(await startServerProcess(["--db", database.url, "--quiet"]));
      }
      let acknowledged = 0;
      let restarted = false;
      /**
       * Sends each request to the next server in turn, as a round-robin load balancer would; a
       * request that fails (its server killed) is left unacknowledged, never retried.
       */
      const writer = async (index: number): Promise<Sent[]> => {
        const sent: Sent[] = [];
        const generator = simulateMatches({ matches: 100_000, matchPrefix: `w${index}_` });
        // At least REQUESTS, and a full round over the servers once the killed one is back (bounded).
        let afterRestart = 0;
        for (
          let request = 0;
          (request < REQUESTS || afterRestart < SERVERS) && request < REQUESTS * 5;
          request++
        ) {
          if (restarted) afterRestart++;
          const done = sent.filter((entry) => entry.acknowledged);
          const resend = request % 5 === 4 && done.length > 0;
          const conflict = !resend && request % 7 === 3 && done.length > 0;
          const earlier = done[request % Math.max(done.length, 1)];
          const sheets = resend
            ? earlier!.sheets
            : conflict
            ? [changed(earlier!.sheets[0]!)]
            : Array.from(
              { length: request % 2 === 0 ? BATCH : 1 },
              () => generator.next().value as StatSheet,
            );
          const server = servers[(index + request) % SERVERS]!.url;
          const entry: Sent = { sheets, server, acknowledged: false, resend, conflict };
          sent.push(entry);
          const single = sheets.length === 1;
          try {
            const response = await fetch(
              `${server}/api/submit${single ? "" : "/batch"}`,
              {
                method: "POST",
                headers: { "content-type": "application/json" },
                body: JSON.stringify(single ? sheets[0] : sheets),
                signal: AbortSignal.timeout(20_000),
              },
            );
            const body = await response.json();
            ok(response.status < 500, `${response.status}: ${JSON.stringify(body)}`);
            if (conflict) {
              equal(response.status, 409, JSON.stringify(body));
              continue;
            }
            equal(response.status, resend && single ? 200 : 201, JSON.stringify(body));
            if (resend && !single) equal(body.duplicates, sheets.length, "a resend stores nothing");
            entry.acknowledged = true;
            acknowledged++;
          } catch (error) {
            if (error instanceof Error && error.name === "AssertionError") throw error;
          }
        }
        return sent;
      };
      const writers = Array.from({ length: WRITERS }, (_, index) => writer(index));
      // Kill server 0 once every writer could have been acknowledged a few times (bounded wait).
      const deadline = performance.now() + 30_000;
      while (acknowledged < WRITERS * 4 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const killedAt = acknowledged;
      equal((await servers[0]!.stop("SIGKILL")).code, 137, "killed, not exited");
      servers[0] = await startServerProcess(["--db", database.url, "--quiet"]);
      restarted = true;
      const sent = (await Promise.all(writers)).flat();
      ok(killedAt > 0 && acknowledged > killedAt, "the kill landed mid-stream");
      ok(
        sent.some((entry) => entry.acknowledged && entry.server === servers[0]!.url),
        "the restarted server took writes",
      );

      // Every sheet stored, read from one server; each key once.
      const stored = new Map<string, StatSheet>();
      for (let cursor: string | null = null, page = 0; page < 1_000; page++) {
        const response: Response = await fetch(
          `${servers[1]!.url}/api/stats?limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
        );
        const body: { data: StatSheet[]; next: string | null } = await response.json();
        for (const row of body.data) {
          ok(!stored.has(keyOf(row)), `${keyOf(row)} stored once`);
          stored.set(keyOf(row), row);
        }
        cursor = body.next;
        if (!cursor) break;
      }
      for (const entry of sent.filter((entry) => entry.acknowledged)) {
        for (const sheet of entry.sheets) {
          const row = stored.get(keyOf(sheet));
          ok(row, `acknowledged ${keyOf(sheet)} is stored`);
          deepStrictEqual(
            { looted_items: row.looted_items, locations: row.locations },
            { looted_items: sheet.looted_items, locations: sheet.locations },
          );
        }
      }
      ok(sent.some((entry) => entry.conflict), "conflicting sheets were sent");
      for (const entry of sent.filter((entry) => !entry.resend && !entry.conflict)) {
        const present = entry.sheets.filter((sheet) => stored.has(keyOf(sheet))).length;
        ok(present === 0 || present === entry.sheets.length, `whole or absent: ${present}`);
      }
      const unacknowledged = sent.filter((entry) => !entry.acknowledged && !entry.conflict).length;
      ok(unacknowledged > 0, "some requests were in flight on the killed server");

      // Every server answers the same totals, equal to a local aggregate of what is stored.
      const expected = aggregateLoot([...stored.values()]);
      for (const server of servers) {
        const { data } = await (await fetch(`${server.url}/api/aggregate`)).json();
        deepStrictEqual(data, expected, server.url);
      }
      deepStrictEqual(await checkPostgresRollups(database.url), [], "rollups equal a recount");
      console.log(
        `${sent.length} requests, ${unacknowledged} lost with the killed server; ${stored.size} sheets ` +
          "stored once each; all servers agree",
      );
    } finally {
      await Promise.all(servers.map((server) => server.stop("SIGKILL")));
      await database.drop();
    }
  },
});
