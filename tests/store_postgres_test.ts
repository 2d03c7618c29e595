import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import postgres from "postgres";
import {
  aggregateLoot,
  binIndex,
  binIndexSql,
  bucketStartOf,
  buildTimeseries,
  collectExperimentPlayers,
  ConflictError,
  detectAnomalies,
  findScenario,
  fingerprintStatSheet,
  GROUP_BY_DIMENSIONS,
  groupAggregate,
  LimitExceededError,
  listCheaters,
  MAP_SIZE,
  type PreparedSheet,
  prepareSheets,
  rankPlayers,
  simulateMatches,
  simulateScenario,
  type StatSheet,
  summarizePlayer,
  summarizeVariants,
  TIME_INTERVALS,
  ValidationError,
} from "../lib/mod.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { openPostgresStore, type PostgresStore } from "../server/store/postgres.ts";
import { checkPostgresRollups } from "../server/store/postgres_diagnostics.ts";
import { MIGRATIONS } from "../server/store/postgres_schema.ts";
import type { Store } from "../server/store/store.ts";
import { type PostgresCluster, startPostgresCluster } from "./postgres_cluster.ts";

const receivedAt = new Date("2026-01-01T00:00:00Z");

/** Stores `sheets` as the HTTP layer would. */
function store(target: Store, sheets: readonly StatSheet[]) {
  return target.insertSheets(prepareSheets(sheets, receivedAt));
}

function keyOf(sheet: Pick<StatSheet, "match_id" | "player_id">): string {
  return `${sheet.match_id}/${sheet.player_id}`;
}

let databases = 0;

/** A fresh database in `cluster`, dropped on dispose. */
async function createDatabase(cluster: PostgresCluster) {
  const name = `loot_pg_test_${databases++}`;
  const admin = postgres(cluster.url, { max: 1, onnotice: () => {} });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(cluster.url);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async [Symbol.asyncDispose]() {
      await admin.unsafe(`DROP DATABASE ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** Runs `fn` with a raw connection to `url`, closed afterwards. */
async function withSql<T>(url: string, fn: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await fn(sql);
  } finally {
    await sql.end();
  }
}

Deno.test("PostgreSQL store", async (t) => {
  const cluster = await startPostgresCluster();
  if ("skipped" in cluster) {
    console.warn(`PostgreSQL store tests skipped: ${cluster.skipped}`);
    await t.step({ name: `skipped: ${cluster.skipped}`, ignore: true, fn: () => {} });
    return;
  }
  try {
    await t.step("records its migrations and refuses newer or foreign schemas", async () => {
      await using database = await createDatabase(cluster);
      await (await openPostgresStore(database.url)).end();
      const versions = await withSql(
        database.url,
        (sql) => sql`SELECT version FROM loot_schema_version ORDER BY version`,
      );
      deepStrictEqual(versions.map((row) => row.version), MIGRATIONS.map((_, index) => index + 1));
      // Reopening migrates nothing and succeeds; read-only opens too, and refuses writes.
      await (await openPostgresStore(database.url)).end();
      const reader = await openPostgresStore(database.url, { readOnly: true });
      try {
        ok(reader.description.endsWith("(read-only)"), reader.description);
        ok(!reader.description.includes("loot@"), "no user in the description");
        await rejects(store(reader, [...simulateMatches({ matches: 1 })]), /read-only/);
      } finally {
        await reader.end();
      }
      await withSql(
        database.url,
        (sql) => sql`INSERT INTO loot_schema_version (version) VALUES (${MIGRATIONS.length + 1})`,
      );
      await rejects(openPostgresStore(database.url), /newer than this server knows/);

      await using foreign = await createDatabase(cluster);
      await withSql(
        foreign.url,
        (sql) => sql`CREATE TABLE stat_sheets (id integer PRIMARY KEY, match_id text)`,
      );
      await rejects(openPostgresStore(foreign.url), /made by another program/);
    });

    await t.step("several servers starting at once migrate the database once", async () => {
      await using database = await createDatabase(cluster);
      const stores = await Promise.all(
        Array.from({ length: 4 }, () => openPostgresStore(database.url)),
      );
      try {
        const rows = await withSql(
          database.url,
          (sql) => sql`SELECT COUNT(*)::integer AS count FROM loot_schema_version`,
        );
        equal(rows[0]!.count, MIGRATIONS.length);
        await Promise.all(stores.map((opened) => opened.ping()));
      } finally {
        await Promise.all(stores.map((opened) => opened.end()));
      }
    });

    await t.step("lib's binIndex rule holds in PostgreSQL's SQL twin", async () => {
      const points = [0, 4.999999, 5, 499.5, 999.9999, 1000, 1000.0001, -0.1, 333.33333333, 700];
      await withSql(cluster.url, async (sql) => {
        for (const bins of [1, 7, 20, 30, 50, 200]) {
          const rows = await sql.unsafe<{ x: number; y: number; col: number; row: number }[]>(
            `SELECT x, y, ${binIndexSql("x", bins, { dialect: "postgres" })} AS col,
               ${binIndexSql("y", bins, { dialect: "postgres" })} AS row
             FROM unnest($1::float8[]) AS x CROSS JOIN (VALUES (10::float8)) AS v (y)`,
            [`{${points.join(",")}}`],
          );
          for (const { x, y, col, row } of rows) {
            const offMap = binIndex(x, MAP_SIZE.width, bins) < 0;
            equal(col, offMap ? -1 : binIndex(x, MAP_SIZE.width, bins), `x ${x}, ${bins} bins`);
            equal(row, offMap ? -1 : binIndex(y, MAP_SIZE.height, bins), `y ${y}, ${bins} bins`);
          }
        }
      });
    });

    await t.step("answers as the SQLite store does over the same sheets", async (t) => {
      await using database = await createDatabase(cluster);
      await using pg = await openPostgresStore(database.url);
      using lite = openSqliteStore(":memory:");
      const sheets = [...simulateMatches({ matches: 12, seed: 3 })].map((sheet, index) => ({
        ...sheet,
        game_mode: index % 3 === 0 ? undefined : index % 3 === 1 ? "solo" : "squads",
        ...(index === 5 ? { extra: { build: "1.2", nested: { a: [1, "\u0000"] } } } : {}),
        ...(index === 6 ? { sent_at: "2026-01-01T00:00:05Z" } : {}),
      }));
      const committed: string[][] = [];
      pg.onCommit((stored) => committed.push(stored.map(({ sheet }) => keyOf(sheet))));
      for (const target of [pg, lite]) {
        await store(target, sheets.slice(0, 20));
        await store(target, sheets.slice(20));
      }
      await t.step("listings, filters, keyset pages and scans", async () => {
        const filters = [
          { limit: 1_000 },
          { limit: 5, offset: 3 },
          { limit: 1_000, gameMode: "solo" },
          { limit: 1_000, matchPrefix: sheets[7]!.match_id.slice(0, -1) },
          { limit: 1_000, player_id: sheets[2]!.player_id },
          { limit: 1_000, item: Object.keys(sheets[0]!.looted_items)[0]! },
          { limit: 7, beforeId: 30 },
        ];
        for (const filter of filters) {
          deepStrictEqual(await pg.listSheets(filter), await lite.listSheets(filter));
        }
        const pages = await Array.fromAsync(pg.scanSheets({ gameMode: "solo" }, { pageSize: 4 }));
        deepStrictEqual(
          pages.flat(),
          await lite.listSheets({ limit: 1_000, gameMode: "solo" }),
        );
        ok(pages.every((page) => page.length <= 4));
      });
      await t.step("aggregates, heatmaps, with and without filters", async () => {
        deepStrictEqual(await pg.aggregate(), aggregateLoot(sheets));
        deepStrictEqual(await pg.aggregate(), await lite.aggregate());
        deepStrictEqual(
          await pg.aggregate({ gameMode: "solo" }),
          await lite.aggregate({ gameMode: "solo" }),
        );
        const item = Object.keys(sheets[0]!.looted_items)[0]!;
        deepStrictEqual(await pg.heatmapPoints(item), await lite.heatmapPoints(item));
        deepStrictEqual(
          await pg.heatmapPoints(item, { gameMode: "squads" }),
          await lite.heatmapPoints(item, { gameMode: "squads" }),
        );
        for (const bins of [1, 7, 10, 20, 50, 200]) {
          deepStrictEqual(
            await pg.heatmapGrid(item, { bins }),
            await lite.heatmapGrid(item, { bins }),
          );
          deepStrictEqual(
            await pg.heatmapGrid(item, { bins, gameMode: "solo" }),
            await lite.heatmapGrid(item, { bins, gameMode: "solo" }),
          );
        }
        deepStrictEqual(await checkPostgresRollups(database.url), []);
      });
      await t.step("resubmissions return the stored ids; a conflict stores nothing", async () => {
        const again = await store(pg, sheets.slice(18, 22));
        deepStrictEqual(again, await store(lite, sheets.slice(18, 22)));
        ok(again.every((outcome) => outcome.duplicate));
        const fresh = { ...sheets[0]!, match_id: "fresh_match" };
        for (const target of [pg, lite]) {
          await rejects(
            store(target, [fresh, { ...sheets[3]!, player_level: 77 }]),
            (error) =>
              error instanceof ConflictError && error.index === 1 && error.existingId === 4,
          );
        }
        equal((await pg.listSheets({ limit: 1, match_id: "fresh_match" })).length, 0);
        // Twice in one batch: the first is stored, the second is its duplicate (or a conflict).
        const twice = await store(pg, [fresh, fresh]);
        equal(twice[0]!.id, twice[1]!.id);
        deepStrictEqual(twice.map((outcome) => outcome.duplicate), [false, true]);
        await rejects(
          store(pg, [{ ...fresh, match_id: "m2" }, { ...fresh, match_id: "m2", player_level: 1 }]),
          (error) => error instanceof ConflictError && error.index === 1,
        );
        // Sheets stored before the fingerprint was xxHash keep SHA-256's, and are compared with one.
        await withSql(
          database.url,
          (sql) =>
            Promise.all(
              sheets.slice(5, 7).map((sheet) =>
                sql`UPDATE stat_sheets SET fingerprint = ${fingerprintStatSheet(sheet)}
                WHERE match_id = ${sheet.match_id} AND player_id = ${sheet.player_id}`
              ),
            ),
        );
        ok((await store(pg, sheets.slice(5, 6)))[0]!.duplicate, "an older sheet sent again");
        await rejects(
          store(pg, [{ ...sheets[6]!, player_level: 78 }]),
          (error) => error instanceof ConflictError && error.existingId === 7,
        );
        deepStrictEqual(await checkPostgresRollups(database.url), []);
      });
      await t.step("onCommit hears each commit's new sheets only", () => {
        deepStrictEqual(committed, [
          sheets.slice(0, 20).map(keyOf),
          sheets.slice(20).map(keyOf),
          [keyOf({ ...sheets[0]!, match_id: "fresh_match" })],
        ]);
      });
      await t.step("a heatmap past its points cap asks for a grid", async () => {
        const many = Array.from({ length: 3 }, (_, index) => ({
          match_id: "big",
          player_id: `p${index}`,
          timestamp: "2026-01-01T00:00:00Z",
          looted_items: { gold: 40_000 },
          locations: { gold: [10, 10] as [number, number] },
        }));
        await store(pg, many);
        await rejects(pg.heatmapPoints("gold"), LimitExceededError);
        await rejects(pg.heatmapPoints("gold", { matchPrefix: "bi" }), LimitExceededError);
        equal((await pg.heatmapGrid("gold", { bins: 20 })).count, 120_000);
      });
      await t.step("clear() empties every table and restarts the ids", async () => {
        const count = (await pg.aggregate()).total_stat_sheets;
        equal(await pg.clear(), count);
        deepStrictEqual(await pg.aggregate(), aggregateLoot([]));
        deepStrictEqual(await checkPostgresRollups(database.url), []);
        deepStrictEqual(await store(pg, sheets.slice(0, 1)), [{ id: 1, duplicate: false }]);
      });
      await t.step(
        "small submissions at once share a commit yet succeed or fail alone",
        async () => {
          await store(pg, sheets.slice(0, 10));
          const [stored] = await pg.listSheets({
            limit: 1,
            match_id: sheets[3]!.match_id,
            player_id: sheets[3]!.player_id,
          });
          const before = committed.length;
          const base = sheets[4]!;
          const [one, two, clash, twin] = await Promise.allSettled([
            store(pg, [{ ...base, match_id: "group_a" }]),
            store(pg, [{ ...base, match_id: "group_b" }, { ...base, match_id: "group_c" }]),
            store(pg, [{ ...sheets[3]!, player_level: 78 }]),
            store(pg, [{ ...base, match_id: "group_a" }]),
          ]);
          ok(
            one.status === "fulfilled" && two.status === "fulfilled" && twin.status === "fulfilled",
          );
          ok(
            clash.status === "rejected" && clash.reason instanceof ConflictError &&
              clash.reason.index === 0 && clash.reason.existingId === stored!.id,
          );
          deepStrictEqual(twin.value, [{ id: one.value[0]!.id, duplicate: true }]);
          deepStrictEqual(two.value.map((outcome) => outcome.duplicate), [false, false]);
          deepStrictEqual(committed.slice(before).flat().sort(), [
            `group_a/${base.player_id}`,
            `group_b/${base.player_id}`,
            `group_c/${base.player_id}`,
          ]);
          // One commit: the group's first try met the conflict and stored nothing; the retry
          // without the conflicting submission stored the rest together.
          equal(committed.length - before, 1);
          deepStrictEqual(await checkPostgresRollups(database.url), []);
        },
      );
    });

    await t.step(
      "clear() amid concurrent writers leaves consistent rollups and usable ids",
      async () => {
        await using database = await createDatabase(cluster);
        await using one = await openPostgresStore(database.url);
        await using other = await openPostgresStore(database.url);
        const sheets = [...simulateMatches({ matches: 40, seed: 4 })];
        const writes = [0, 1, 2, 3].map((part) =>
          store(part % 2 ? one : other, sheets.slice(part * 40, part * 40 + 40))
        );
        const cleared = other.clear();
        await Promise.all([...writes, cleared]);
        const remaining = (await one.aggregate()).total_stat_sheets;
        ok(remaining <= 160 && (await cleared) <= 160);
        deepStrictEqual(await checkPostgresRollups(database.url), []);
        // Ids drawn before the restart were never inserted after it: new inserts do not collide.
        await store(one, sheets.slice(0));
        equal((await one.aggregate()).total_stat_sheets, sheets.length);
        deepStrictEqual(await checkPostgresRollups(database.url), []);
      },
    );

    await t.step("onCommit() hears other servers' commits through LISTEN/NOTIFY", async () => {
      await using database = await createDatabase(cluster);
      await using one = await openPostgresStore(database.url);
      await using other = await openPostgresStore(database.url);
      const heard: PreparedSheet[][] = [];
      const stop = other.onCommit((sheets) => heard.push([...sheets]));
      const sheets = [...simulateMatches({ matches: 3, seed: 9 })].map((sheet, index) =>
        index === 0 ? { ...sheet, sent_at: "2026-01-01T00:00:02Z", game_mode: "solo" } : sheet
      );
      await other.listening; // in place before the first commit

      const prepared = prepareSheets(sheets, receivedAt);
      await one.insertSheets(prepared.slice(0, 8));
      await one.insertSheets(prepared.slice(0, 2)); // duplicates: nothing to tell
      await other.insertSheets(prepared.slice(8)); // its own commit: told once, at once
      for (let waited = 0; heard.length < 2 && waited < 5_000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      const summary = (batch: readonly PreparedSheet[]) =>
        JSON.stringify(batch.map(({ fingerprint, sheet, timestampMs }) => ({
          fingerprint,
          timestampMs,
          key: keyOf(sheet),
          items: sheet.looted_items,
        })));
      equal(heard.length, 2);
      deepStrictEqual(
        new Set(heard.map(summary)),
        new Set([summary(prepared.slice(8)), summary(prepared.slice(0, 8))]),
      );
      deepStrictEqual(heard.flat().find(({ sheet }) => sheet.game_mode === "solo"), prepared[0]);
      stop();
      await one.insertSheets(prepareSheets([{ ...sheets[0]!, match_id: "later" }], receivedAt));
      await new Promise((resolve) => setTimeout(resolve, 300));
      equal(heard.length, 2, "a removed listener hears nothing");
    });

    await t.step(
      "groups, series, players, experiments and anomalies as SQLite and lib",
      async (t) => {
        await using database = await createDatabase(cluster);
        await using pg = await openPostgresStore(database.url);
        using lite = openSqliteStore(":memory:");
        const scenario = findScenario("battle_royale_ab")!;
        const options = { matches: 40, seed: 5, cheaters: 0.1 };
        const sheets = [...simulateScenario(scenario, options)];
        ok(listCheaters(scenario, options).length > 0, "the run has cheaters");
        for (const target of [pg, lite]) {
          // In several batches, so rollups are summed over several transactions and shards.
          for (let start = 0; start < sheets.length; start += 150) {
            await store(target, sheets.slice(start, start + 150));
          }
        }
        deepStrictEqual(await checkPostgresRollups(database.url), []);
        const modes = [...new Set(sheets.map((sheet) => sheet.game_mode))];
        const prefix = sheets[0]!.match_id.slice(0, -1);
        const item = Object.keys(sheets[0]!.looted_items)[0]!;
        const firstMs = Date.parse(sheets[0]!.timestamp!);
        await t.step("groupAggregate()", async () => {
          for (const groupBy of GROUP_BY_DIMENSIONS) {
            deepStrictEqual(await pg.groupAggregate(groupBy), groupAggregate(sheets, groupBy));
            for (const filter of [{ gameMode: modes[0] }, { matchPrefix: prefix }]) {
              deepStrictEqual(
                await pg.groupAggregate(groupBy, filter),
                await lite.groupAggregate(groupBy, filter),
              );
            }
          }
        });
        await t.step("timeseries()", async () => {
          for (const interval of TIME_INTERVALS) {
            deepStrictEqual(
              await pg.timeseries({ interval }),
              buildTimeseries(sheets, { interval }),
            );
            const requests = [
              { interval, item },
              { interval, gameMode: modes[1] },
              { interval, matchPrefix: prefix, item },
              { interval, sinceMs: bucketStartOf(firstMs, "day"), untilMs: firstMs + 86_400_000 },
              { interval, sinceMs: firstMs + 1, untilMs: firstMs + 7_200_001, item },
            ];
            for (const request of requests) {
              if (interval === "minute" && request.untilMs === undefined) continue;
              deepStrictEqual(await pg.timeseries(request), await lite.timeseries(request));
            }
          }
          await rejects(
            pg.timeseries({ interval: "minute", sinceMs: 0, untilMs: 86_400_000 * 30 }),
            ValidationError,
          );
        });
        await t.step("player() and listPlayers()", async () => {
          for (const { player_id } of sheets.slice(0, 30)) {
            deepStrictEqual(await pg.player(player_id), summarizePlayer(sheets, player_id));
          }
          equal(await pg.player("nobody"), undefined);
          for (const gameMode of [undefined, ...modes]) {
            const all = await pg.listPlayers({ limit: 100_000, gameMode });
            deepStrictEqual(all, rankPlayers(sheets, { gameMode }));
            const page = await pg.listPlayers({ limit: 7, gameMode });
            const last = page.at(-1)!;
            const after = { matches: last.matches, playerId: last.player_id };
            deepStrictEqual(
              await pg.listPlayers({ limit: 9, gameMode, after }),
              await lite.listPlayers({ limit: 9, gameMode, after }),
            );
          }
        });
        await t.step("listExperiments() and experimentStats()", async () => {
          const listed = await pg.listExperiments();
          deepStrictEqual(listed, await lite.listExperiments());
          equal(listed[0]?.experiment, "drop_boost");
          for (const metric of [{ kind: "units" as const }, { kind: "item" as const, item }]) {
            const stats = await pg.experimentStats("drop_boost", metric);
            const local = summarizeVariants(collectExperimentPlayers(sheets, "drop_boost", metric));
            equal(stats.length, 2);
            deepStrictEqual(
              stats.map(({ variant, n, sheets }) => ({ variant, n, sheets })),
              local.map(({ variant, n, sheets }) => ({ variant, n, sheets })),
            );
            stats.forEach((entry, index) => {
              const expected = local[index]!;
              ok(Math.abs(entry.mean - expected.mean) <= 1e-9 * Math.abs(expected.mean), "mean");
              ok(
                Math.abs(entry.variance - expected.variance) <= 1e-9 * Math.abs(expected.variance),
                `variance ${entry.variance} vs ${expected.variance}`,
              );
            });
          }
          deepStrictEqual(await pg.experimentStats("unknown", { kind: "units" }), []);
        });
        await t.step("anomalies()", async () => {
          const flagged = await pg.anomalies({ limit: 100_000 });
          deepStrictEqual(flagged, await lite.anomalies({ limit: 100_000 }));
          ok(flagged.length > 0);
          const local = detectAnomalies(sheets);
          deepStrictEqual(
            new Set(flagged.map((row) => `${keyOf(row)} ${row.rules.join(",")} ${row.score}`)),
            new Set(local.map((row) => `${keyOf(row)} ${row.rules.join(",")} ${row.score}`)),
          );
          const page = await pg.anomalies({ limit: 5, gameMode: modes[0] });
          deepStrictEqual(
            await pg.anomalies({ limit: 5, gameMode: modes[0], beforeId: page.at(-1)!.id }),
            await lite.anomalies({ limit: 5, gameMode: modes[0], beforeId: page.at(-1)!.id }),
          );
        });
      },
    );

    await t.step(
      "concurrent writers on several pools store every sheet once, rollups exact, no deadlock",
      async () => {
        await using database = await createDatabase(cluster);
        const scenario = findScenario("battle_royale_ab")!;
        const sheets = [...simulateScenario(scenario, { matches: 60, seed: 11 })];
        const seed = sheets.slice(0, 40);
        const rest = sheets.slice(40);
        const singles = [
          ...simulateScenario(scenario, { matches: 2, seed: 12, matchPrefix: "late" }),
        ].slice(0, 60);
        const everything = [...sheets, ...singles];
        const servers: PostgresStore[] = await Promise.all(
          Array.from({ length: 3 }, () => openPostgresStore(database.url, { poolSize: 3 })),
        );
        try {
          await store(servers[0]!, seed);
          // Overlapping batches in shuffled orders: each sheet of `rest` is in several batches
          // on several servers; some batches also carry a different version of a seed sheet.
          const batches: { sheets: StatSheet[]; conflicting: boolean }[] = [];
          let state = 7;
          const random = () => (state = (state * 48271) % 2147483647) / 2147483647;
          for (let round = 0; round < 24; round++) {
            const picked = rest.filter(() => random() < 0.3).sort(() => random() - 0.5);
            const conflicting = round % 6 === 5;
            if (conflicting) {
              picked.splice(picked.length >> 1, 0, { ...seed[round]!, player_level: 999 });
            } else {
              picked.push(seed[round]!);
            }
            batches.push({ sheets: picked, conflicting });
          }
          // Every sheet of `rest` in at least one batch that succeeds.
          batches.push({ sheets: [...rest].reverse(), conflicting: false });
          // And single sheets of new matches, each sent twice at once, among the batches: the
          // first sheets of a match race to create its member rows.
          for (const single of singles) {
            batches.splice(
              Math.floor(random() * batches.length),
              0,
              ...[0, 1].map(() => ({
                sheets: [single],
                conflicting: false,
              })),
            );
          }
          const results = await Promise.allSettled(
            batches.map(({ sheets }, index) => store(servers[index % 3]!, sheets)),
          );
          results.forEach((result, index) => {
            if (batches[index]!.conflicting) {
              ok(
                result.status === "rejected" && result.reason instanceof ConflictError,
                `batch ${index} conflicts`,
              );
            } else {
              equal(
                result.status,
                "fulfilled",
                `batch ${index}: ${
                  String(
                    result.status === "rejected" ? result.reason : "",
                  )
                }`,
              );
            }
          });
          const listed = await servers[1]!.listSheets({ limit: 10_000 });
          equal(listed.length, everything.length);
          deepStrictEqual(new Set(listed.map(keyOf)), new Set(everything.map(keyOf)));
          // Outcomes name the one stored id of each key, whichever server stored it.
          const idOf = new Map(listed.map((row) => [keyOf(row), row.id]));
          results.forEach((result, index) => {
            if (result.status !== "fulfilled") return;
            result.value.forEach((outcome, at) => {
              equal(outcome.id, idOf.get(keyOf(batches[index]!.sheets[at]!)));
            });
          });
          deepStrictEqual(await checkPostgresRollups(database.url), []);
          const expected = aggregateLoot(everything);
          for (const server of servers) deepStrictEqual(await server.aggregate(), expected);
        } finally {
          await Promise.all(servers.map((server) => server.end()));
        }
      },
    );
  } finally {
    await cluster.stop();
  }
});
