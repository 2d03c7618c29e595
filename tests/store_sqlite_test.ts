import { deepStrictEqual, equal, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import {
  aggregateLoot,
  binItemLocations,
  LimitExceededError,
  MAX_HEATMAP_POINTS,
  simulateMatches,
} from "../lib/mod.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { MIGRATIONS } from "../server/store/sqlite_schema.ts";
import { makeTempDir, storeSheets } from "./fixtures.ts";

const receivedAt = new Date("2026-01-01T00:00:00Z");

Deno.test("SQLite store keeps acknowledged sheets across a restart", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/nested/folder/loot.db`;
  const sheets = [...simulateMatches({ matches: 10 })];
  {
    using store = openSqliteStore(path);
    await storeSheets(store, sheets, receivedAt);
  }
  using reopened = openSqliteStore(path);
  deepStrictEqual(await reopened.aggregate(), aggregateLoot(sheets));
  const outcomes = await storeSheets(reopened, sheets.slice(0, 2), receivedAt);
  deepStrictEqual(outcomes, [{ id: 1, duplicate: true }, { id: 2, duplicate: true }]);
});

Deno.test("SQLite store records its schema version and refuses foreign or newer databases", () => {
  using dir = makeTempDir();
  openSqliteStore(`${dir.path}/ok.db`).close();
  const db = new DatabaseSync(`${dir.path}/ok.db`);
  equal(
    (db.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
    MIGRATIONS.length,
  );
  equal((db.prepare("PRAGMA journal_mode").get() as { journal_mode: string }).journal_mode, "wal");
  db.exec(`PRAGMA user_version = ${MIGRATIONS.length + 1}`);
  db.close();
  throws(() => openSqliteStore(`${dir.path}/ok.db`), /newer than this server knows/);

  const legacy = new DatabaseSync(`${dir.path}/legacy.db`);
  legacy.exec("CREATE TABLE stat_sheets (id INTEGER PRIMARY KEY, match_id TEXT)");
  legacy.close();
  throws(() => openSqliteStore(`${dir.path}/legacy.db`), /made by another program/);
});

Deno.test("SQLite store opened read-only answers queries and refuses writes", async () => {
  using dir = makeTempDir();
  const path = `${dir.path}/ro.db`;
  const sheets = [...simulateMatches({ matches: 2 })];
  {
    using writer = openSqliteStore(path);
    await storeSheets(writer, sheets, receivedAt);
  }
  using reader = openSqliteStore(path, { readOnly: true });
  equal((await reader.aggregate()).total_stat_sheets, 8);
  await rejects(storeSheets(reader, sheets, receivedAt), /readonly/);
});

Deno.test("SQLite store groups a batch and a concurrent single sheet into one commit", async () => {
  using store = openSqliteStore(":memory:");
  const seen: number[] = [];
  store.onCommit((sheets) => seen.push(sheets.length));
  const sheets = [...simulateMatches({ matches: 1, playersPerMatch: 4 })];
  await Promise.all([
    storeSheets(store, sheets.slice(0, 3), receivedAt),
    storeSheets(store, sheets.slice(3, 4), receivedAt),
  ]);
  deepStrictEqual(seen, [4]);
});

Deno.test("scanSheets() pages an in-memory SQLite store too", async () => {
  using store = openSqliteStore(":memory:");
  const sheets = [...simulateMatches({ matches: 5 })];
  await storeSheets(store, sheets, receivedAt);
  const pages = await Array.fromAsync(store.scanSheets({}, { pageSize: 7 }));
  deepStrictEqual(pages.map((page) => page.length), [7, 7, 6]);
  deepStrictEqual(
    pages.flat().map((sheet) => sheet.id),
    (await store.listSheets({ limit: 100 })).map((sheet) => sheet.id),
  );
});

Deno.test("heatmaps no rollup answers are read from the sheets' JSON on the read worker, and equal lib's", async () => {
  using dir = makeTempDir();
  using store = openSqliteStore(`${dir.path}/loot.db`);
  const sheets = [...simulateMatches({ matches: 30, seed: 11 })].map((sheet, index) => ({
    ...sheet,
    game_mode: index % 2 ? "solo" : "duos",
    // One point off the map, one on its far edge: both must land where lib puts them.
    locations: index === 0
      ? { ...sheet.locations, medkit: [101, 50] as [number, number] }
      : index === 1
      ? { ...sheet.locations, medkit: [100, 100] as [number, number] }
      : sheet.locations,
  }));
  await storeSheets(store, sheets, receivedAt);
  const solo = sheets.filter((sheet) => sheet.game_mode === "solo");
  for (const bins of [30, 7, 200]) {
    deepStrictEqual(
      await store.heatmapGrid("medkit", { bins }),
      binItemLocations(sheets, "medkit", { bins }),
      `bins=${bins}`,
    );
    deepStrictEqual(
      await store.heatmapGrid("medkit", { bins, gameMode: "solo" }),
      binItemLocations(solo, "medkit", { bins }),
      `bins=${bins}, solo`,
    );
  }
  const points = await store.heatmapPoints("medkit", { gameMode: "solo" });
  const expected = solo.flatMap((sheet) =>
    Array.from(
      { length: sheet.locations.medkit ? sheet.looted_items.medkit ?? 0 : 0 },
      () => sheet.locations.medkit!,
    )
  );
  deepStrictEqual(points.count, expected.length);
  deepStrictEqual(
    [...points.locations].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
    [...expected].sort((a, b) => a[0] - b[0] || a[1] - b[1]),
  );
});

Deno.test("a heatmap point listing past the limit is refused as a LimitExceededError across the read worker", async () => {
  using dir = makeTempDir();
  using store = openSqliteStore(`${dir.path}/loot.db`);
  const sheets = Array.from({ length: 11 }, (_, index) => ({
    match_id: `big_${index}`,
    player_id: "p",
    timestamp: "2026-01-01T00:00:00Z",
    game_mode: "solo",
    looted_items: { medkit: 10_000 },
    locations: { medkit: [50, 50] as [number, number] },
  }));
  await storeSheets(store, sheets, receivedAt);
  for (const filter of [{}, { gameMode: "solo" }]) {
    await rejects(
      store.heatmapPoints("medkit", filter),
      (error: Error) =>
        error instanceof LimitExceededError && error.limit === MAX_HEATMAP_POINTS &&
        /110000 located units/.test(error.message),
    );
  }
});

Deno.test("a location far off the map (1e17) is listed and binned like any other", async () => {
  using dir = makeTempDir();
  using store = openSqliteStore(`${dir.path}/loot.db`);
  const far = {
    match_id: "far",
    player_id: "p",
    timestamp: "2026-01-01T00:00:00Z",
    looted_items: { medkit: 2 },
    locations: { medkit: [1e17, 50] as [number, number] },
  };
  await storeSheets(store, [far], receivedAt);
  deepStrictEqual((await store.heatmapPoints("medkit")).locations, [[1e17, 50], [1e17, 50]]);
  deepStrictEqual(
    await store.heatmapGrid("medkit", { bins: 30 }),
    binItemLocations([far], "medkit", { bins: 30 }),
  );
});
