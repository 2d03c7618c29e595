import { deepStrictEqual, equal, rejects, throws } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { aggregateLoot, ConflictError, simulateMatches } from "../lib/mod.ts";
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

Deno.test("SQLite store rolls back a batch with a conflict, leaving earlier data intact", async () => {
  using store = openSqliteStore(":memory:");
  const [first, second] = [...simulateMatches({ matches: 1, playersPerMatch: 2 })];
  await storeSheets(store, [first!], receivedAt);
  await rejects(
    storeSheets(store, [second!, { ...first!, player_level: 77 }], receivedAt),
    (error) => error instanceof ConflictError && error.index === 1 && error.existingId === 1,
  );
  deepStrictEqual((await store.listSheets({ limit: 10 })).map((row) => row.player_id), [
    "player_1_1",
  ]);
  deepStrictEqual(await store.aggregate(), aggregateLoot([first!]));
});

Deno.test("SQLite store returns extras and metrics as sent", async () => {
  using store = openSqliteStore(":memory:");
  const sheet = {
    ...[...simulateMatches({ matches: 1, playersPerMatch: 1 })][0]!,
    extra: { build: "1.2", ["__proto__"]: { polluted: true } },
  };
  await storeSheets(store, [sheet], receivedAt);
  const [row] = await store.listSheets({ limit: 1 });
  deepStrictEqual(row!.extra, JSON.parse('{"build":"1.2","__proto__":{"polluted":true}}'));
  equal(row!.match_duration, sheet.match_duration);
  equal(({} as Record<string, unknown>).polluted, undefined, "no prototype pollution");
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

Deno.test("onCommit() reports each commit's newly stored sheets, never duplicates or refused ones", async (t) => {
  using store = openSqliteStore(":memory:");
  const seen: string[][] = [];
  const stop = store.onCommit((sheets) =>
    seen.push(sheets.map(({ sheet }) => `${sheet.match_id}/${sheet.player_id}`))
  );
  const sheets = [...simulateMatches({ matches: 2, playersPerMatch: 2 })];
  await t.step("a batch and a concurrent single sheet share one commit and one call", async () => {
    await Promise.all([
      storeSheets(store, sheets.slice(0, 3), receivedAt),
      storeSheets(store, sheets.slice(3, 4), receivedAt),
    ]);
    deepStrictEqual(seen, [sheets.map((sheet) => `${sheet.match_id}/${sheet.player_id}`)]);
  });
  await t.step("duplicates and conflicting batches are not reported", async () => {
    await storeSheets(store, sheets.slice(0, 2), receivedAt);
    await rejects(
      storeSheets(store, [{ ...sheets[0]!, player_level: 99 }], receivedAt),
      ConflictError,
    );
    equal(seen.length, 1);
  });
  await t.step("a removed listener is not called", async () => {
    stop();
    await storeSheets(store, [{ ...sheets[0]!, match_id: "other" }], receivedAt);
    equal(seen.length, 1);
  });
});

Deno.test("scanSheets() pages every selected sheet newest first, on a file and in memory", async (t) => {
  using dir = makeTempDir();
  const sheets = [...simulateMatches({ matches: 30 })].map((sheet, index) => ({
    ...sheet,
    game_mode: index % 2 === 0 ? "solo" : "duo",
  }));
  for (const path of [`${dir.path}/scan.db`, ":memory:"]) {
    await t.step(
      path === ":memory:" ? "in memory" : "a file (its own read connection)",
      async () => {
        using store = openSqliteStore(path);
        await storeSheets(store, sheets, receivedAt);
        const pages: number[][] = [];
        for await (const page of store.scanSheets({ gameMode: "solo" }, { pageSize: 7 })) {
          pages.push(page.map((sheet) => sheet.id));
        }
        const expected = (await store.listSheets({ gameMode: "solo", limit: 1_000 })).map((s) =>
          s.id
        );
        deepStrictEqual(pages.flat(), expected);
        equal(expected.length, 60);
        deepStrictEqual(pages.map((page) => page.length), [7, 7, 7, 7, 7, 7, 7, 7, 4]);
        // A commit made while scanning is seen by the next scan (each page reads the latest commit).
        await storeSheets(
          store,
          [{ ...sheets[0]!, match_id: "late", game_mode: "solo" }],
          receivedAt,
        );
        const [first] = await Array.fromAsync(
          store.scanSheets({ gameMode: "solo" }, { pageSize: 1 }),
        )
          .then((all) => all[0]!);
        equal(first!.match_id, "late");
      },
    );
  }
});
