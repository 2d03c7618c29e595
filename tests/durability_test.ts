import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createClient, type LootClient, simulateMatches, type StatSheet } from "../lib/mod.ts";
import { startServerProcess } from "../server/child_process.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { checkRollups } from "../server/store/sqlite_diagnostics.ts";
import { makeTempDir } from "./fixtures.ts";

const ROUNDS = 4;
const key = (sheet: { match_id: string; player_id: string }) =>
  `${sheet.match_id}/${sheet.player_id}`;

/** Acknowledgements seen so far in a round, so the kill waits until both kinds of writer got some. */
interface Progress {
  singles: number;
  batches: number;
}

/** Sends sheets one by one until a send fails; returns those acknowledged. */
async function singleWriter(
  client: LootClient,
  prefix: string,
  progress: Progress,
): Promise<StatSheet[]> {
  const acknowledged: StatSheet[] = [];
  for (const sheet of simulateMatches({ matches: 100_000, matchPrefix: prefix })) {
    try {
      await client.submit(sheet);
      acknowledged.push(sheet);
      progress.singles++;
    } catch {
      return acknowledged;
    }
  }
  return acknowledged;
}

/** Sends batches of 250 until a send fails; returns every batch sent and whether it was acknowledged. */
async function batchWriter(
  client: LootClient,
  prefix: string,
  progress: Progress,
): Promise<{ sheets: StatSheet[]; acknowledged: boolean }[]> {
  const batches: { sheets: StatSheet[]; acknowledged: boolean }[] = [];
  const generator = simulateMatches({ matches: 100_000, matchPrefix: prefix });
  for (;;) {
    const sheets = Array.from({ length: 250 }, () => generator.next().value as StatSheet);
    const batch = { sheets, acknowledged: false };
    batches.push(batch);
    try {
      await client.submitBatch(sheets, { chunkSize: 250, concurrency: 1 }).then((summary) => {
        if (summary.failed > 0) throw new Error(summary.errors[0]);
      });
      batch.acknowledged = true;
      progress.batches++;
    } catch {
      return batches;
    }
  }
}

Deno.test(`SIGKILL mid-stream, ${ROUNDS} times: every acknowledged sheet survives, no batch is partial, rollups recount`, async () => {
  using dir = makeTempDir();
  const db = `${dir.path}/crash.db`;
  const everAcknowledged: StatSheet[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const server = await startServerProcess(["--db", db]);
    const client = createClient(server.url, { retries: 0, timeoutMs: 10_000 });
    const progress: Progress = { singles: 0, batches: 0 };
    const writers = Array.from(
      { length: 6 },
      (_, i) => singleWriter(client, `r${round}s${i}`, progress),
    );
    const batchers = Array.from(
      { length: 2 },
      (_, i) => batchWriter(client, `r${round}b${i}`, progress),
    );
    // On a loaded machine the first batch can take a while: wait (bounded) until both kinds of
    // writer have been acknowledged, then kill at a random moment while they keep writing.
    const deadline = performance.now() + 20_000;
    while ((progress.singles === 0 || progress.batches === 0) && performance.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 100 + Math.random() * 400));
    const { code } = await server.stop("SIGKILL");
    equal(code, 137, "killed, not exited");
    const singles = (await Promise.all(writers)).flat();
    const batches = (await Promise.all(batchers)).flat();
    ok(
      singles.length > 0 && batches.some((batch) => batch.acknowledged),
      "the kill landed mid-stream",
    );
    everAcknowledged.push(
      ...singles,
      ...batches.filter((batch) => batch.acknowledged).flatMap((batch) => batch.sheets),
    );

    await using restarted = await startServerProcess(["--db", db]);
    const reader = createClient(restarted.url);
    const stored = new Map<
      string,
      { looted_items: unknown; locations: unknown; timestamp: string }
    >();
    for await (const row of reader.allStats({ limit: 10_000 })) stored.set(key(row), row);
    for (const sheet of everAcknowledged) {
      const row = stored.get(key(sheet));
      ok(row, `acknowledged ${key(sheet)} survived`);
      deepStrictEqual(
        { looted_items: row.looted_items, locations: row.locations, timestamp: row.timestamp },
        {
          looted_items: sheet.looted_items,
          locations: sheet.locations,
          timestamp: sheet.timestamp,
        },
      );
    }
    for (const batch of batches) {
      const present = batch.sheets.filter((sheet) => stored.has(key(sheet))).length;
      ok(
        present === 0 || present === batch.sheets.length,
        `a batch is whole or absent, found ${present} of 250`,
      );
    }
    equal((await reader.aggregate()).total_stat_sheets, stored.size);
  }
  openSqliteStore(db).close(); // recovers the WAL the last kill left, as the next server would
  deepStrictEqual(checkRollups(db), [], "rollups equal a full recount after every crash");
  console.log(
    `${ROUNDS} crash rounds survived; ${everAcknowledged.length} acknowledged sheets verified intact`,
  );
});
