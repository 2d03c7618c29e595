import { deepStrictEqual, equal, ok, rejects } from "node:assert/strict";
import { aggregateLoot, ConflictError, simulateMatches } from "../lib/mod.ts";
import { storeSheets } from "./fixtures.ts";
import { engineTest, openTestStore } from "./engines.ts";

const receivedAt = new Date("2026-01-01T00:00:00Z");
const keyOf = (sheet: { match_id: string; player_id: string }) =>
  `${sheet.match_id}/${sheet.player_id}`;

engineTest(
  "a store rolls back a batch with a conflict, leaving earlier data intact",
  async (engine) => {
    await using opened = await openTestStore(engine);
    const { store } = opened;
    const [first, second] = [...simulateMatches({ matches: 1, playersPerMatch: 2 })];
    const [stored] = await storeSheets(store, [first!], receivedAt);
    await rejects(
      storeSheets(store, [second!, { ...first!, player_level: 77 }], receivedAt),
      (error) =>
        error instanceof ConflictError && error.index === 1 && error.existingId === stored!.id,
    );
    deepStrictEqual((await store.listSheets({ limit: 10 })).map((row) => row.player_id), [
      "player_1_1",
    ]);
    deepStrictEqual(await store.aggregate(), aggregateLoot([first!]));
    deepStrictEqual(
      await storeSheets(store, [first!, second!], receivedAt).then((outcomes) =>
        outcomes.map(({ duplicate }) => duplicate)
      ),
      [true, false],
      "after the rollback, the second sheet stores and the first is a duplicate",
    );
  },
);

engineTest("a store returns extras and metrics as sent", async (engine) => {
  await using opened = await openTestStore(engine);
  const { store } = opened;
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

engineTest(
  "onCommit() reports each commit's newly stored sheets, never duplicates or refused ones",
  async (engine, t) => {
    await using opened = await openTestStore(engine);
    const { store } = opened;
    const seen: string[][] = [];
    const stop = store.onCommit((sheets) => seen.push(sheets.map(({ sheet }) => keyOf(sheet))));
    const sheets = [...simulateMatches({ matches: 2, playersPerMatch: 2 })];
    await t.step("a batch and a concurrent single sheet are each reported once", async () => {
      await Promise.all([
        storeSheets(store, sheets.slice(0, 3), receivedAt),
        storeSheets(store, sheets.slice(3, 4), receivedAt),
      ]);
      deepStrictEqual(seen.flat().sort(), sheets.map(keyOf).sort());
      ok(seen.length <= 2, `${seen.length} calls`);
    });
    const calls = seen.length;
    await t.step("duplicates and conflicting batches are not reported", async () => {
      await storeSheets(store, sheets.slice(0, 2), receivedAt);
      await rejects(
        storeSheets(store, [{ ...sheets[0]!, player_level: 99 }], receivedAt),
        ConflictError,
      );
      equal(seen.length, calls);
    });
    await t.step("a removed listener is not called", async () => {
      stop();
      await storeSheets(store, [{ ...sheets[0]!, match_id: "other" }], receivedAt);
      equal(seen.length, calls);
    });
  },
);

engineTest(
  "scanSheets() pages every selected sheet newest first, each page reading the latest commit",
  async (engine) => {
    await using opened = await openTestStore(engine, { onDisk: true });
    const { store } = opened;
    const sheets = [...simulateMatches({ matches: 30 })].map((sheet, index) => ({
      ...sheet,
      game_mode: index % 2 === 0 ? "solo" : "duo",
    }));
    await storeSheets(store, sheets, receivedAt);
    const pages: number[][] = [];
    for await (const page of store.scanSheets({ gameMode: "solo" }, { pageSize: 7 })) {
      pages.push(page.map((sheet) => sheet.id));
    }
    const expected = (await store.listSheets({ gameMode: "solo", limit: 1_000 })).map((s) => s.id);
    deepStrictEqual(pages.flat(), expected);
    equal(expected.length, 60);
    deepStrictEqual(pages.map((page) => page.length), [7, 7, 7, 7, 7, 7, 7, 7, 4]);
    // A commit made while scanning is seen by the next scan (each page reads the latest commit).
    await storeSheets(store, [{ ...sheets[0]!, match_id: "late", game_mode: "solo" }], receivedAt);
    const [first] = await Array.fromAsync(store.scanSheets({ gameMode: "solo" }, { pageSize: 1 }))
      .then((all) => all[0]!);
    equal(first!.match_id, "late");
  },
);
