import { deepStrictEqual, equal, match, notDeepStrictEqual, ok, throws } from "node:assert/strict";
import {
  createRandom,
  lastSimulatedTimestamp,
  parseStatSheet,
  simulateMatches,
} from "../lib/mod.ts";
import { resolvePipelineConfig, toSimulationOptions } from "../lib/notebook/mod.ts";
import { chooseMatchPrefix } from "../lib/simulate.ts";

Deno.test("simulateMatches() reproduces the original generator's ids and shape by default", () => {
  const sheets = [...simulateMatches()];
  equal(sheets.length, 200);
  equal(sheets[0]!.match_id, "match_001");
  equal(sheets[0]!.player_id, "player_1_1");
  equal(sheets.at(-1)!.match_id, "match_050");
  equal(sheets.at(-1)!.player_id, "player_50_4");
  equal(new Set(sheets.map((sheet) => `${sheet.match_id}/${sheet.player_id}`)).size, 200);
  for (const sheet of sheets) {
    deepStrictEqual(Object.keys(sheet.looted_items), [
      "rubber_duck",
      "medkit",
      "ammo_box",
      "grenade",
      "gold_coin",
    ]);
    deepStrictEqual(
      parseStatSheet(sheet),
      sheet,
      "every generated sheet passes the server's validation",
    );
  }
});

Deno.test("simulateMatches() draws from the original distributions", () => {
  const sheets = [...simulateMatches({ matches: 500, seed: 3 })];
  const counts = sheets.flatMap((sheet) => Object.values(sheet.looted_items));
  deepStrictEqual([...new Set(counts)].sort(), [0, 1, 2, 3, 4, 5]);
  const mean = counts.reduce((sum, count) => sum + count, 0) / counts.length;
  ok(Math.abs(mean - 2.5) < 0.1, `mean count ${mean} should be near 2.5`);
  for (const sheet of sheets) {
    ok(sheet.match_duration! >= 300 && sheet.match_duration! <= 1800);
    ok(sheet.player_level! >= 1 && sheet.player_level! <= 50);
    for (const [item, count] of Object.entries(sheet.looted_items)) {
      equal(item in sheet.locations, count > 0, `location present exactly for looted ${item}`);
    }
    for (const [x, y] of Object.values(sheet.locations)) {
      ok(x >= 0 && x <= 100 && y >= 0 && y <= 100);
    }
  }
});

Deno.test("simulateMatches() is deterministic for a seed, timestamps included", () => {
  deepStrictEqual([...simulateMatches({ seed: 9 })], [...simulateMatches({ seed: 9 })]);
  notDeepStrictEqual([...simulateMatches({ seed: 9 })], [...simulateMatches({ seed: 10 })]);
  equal(
    [...simulateMatches({ matches: 1, playersPerMatch: 1 })][0]!.timestamp!.startsWith(
      "2025-10-23T10:",
    ),
    true,
  );
});

Deno.test("simulateMatches() honours every knob", () => {
  const sheets = [...simulateMatches({
    matches: 3,
    playersPerMatch: 2,
    items: ["shield", "potion"],
    maxPerItem: 1,
    mapSize: { width: 10, height: 2 },
    startTime: "2030-01-01T00:00:00Z",
    matchIntervalSeconds: 3600,
  })];
  equal(sheets.length, 6);
  deepStrictEqual(Object.keys(sheets[0]!.looted_items), ["shield", "potion"]);
  ok(sheets.every((sheet) => Object.values(sheet.looted_items).every((count) => count <= 1)));
  ok(sheets.every((sheet) => Object.values(sheet.locations).every(([x, y]) => x <= 10 && y <= 2)));
  ok(sheets[4]!.timestamp! > "2030-01-01T02:00:00Z", "third match starts two intervals later");
});

Deno.test("simulateMatches() rejects bad options, naming each", () => {
  throws(() => simulateMatches({ matches: 0 }).next(), /matches must be an integer from 1/);
  throws(() => simulateMatches({ items: ["Bad Name"] }).next(), /item name must match/);
  throws(() => simulateMatches({ items: ["a", "a"] }).next(), /must not repeat/);
  throws(
    () => simulateMatches({ mapSize: { width: 0, height: 5 } }).next(),
    /positive width and height/,
  );
});

Deno.test("createRandom() is reproducible and uniform enough", () => {
  const a = createRandom(1), b = createRandom(1);
  const draws = Array.from({ length: 60_000 }, () => a.integer(0, 5));
  deepStrictEqual(draws.slice(0, 20), Array.from({ length: 20 }, () => b.integer(0, 5)));
  for (let value = 0; value <= 5; value++) {
    const share = draws.filter((draw) => draw === value).length / draws.length;
    ok(Math.abs(share - 1 / 6) < 0.01, `share of ${value} is ${share}`);
  }
});

Deno.test("lastSimulatedTimestamp() bounds a run's timestamps, so a million sheets stay in the past", () => {
  const options = { matches: 250_000, seed: 1 };
  const last = lastSimulatedTimestamp(options);
  ok(last < Date.parse("2026-05-01T00:00:00Z"), "a million default sheets end months before today");
  let latest = 0;
  for (const sheet of simulateMatches({ ...options, matches: 2_000 })) {
    latest = Math.max(latest, Date.parse(sheet.timestamp!));
  }
  ok(latest <= lastSimulatedTimestamp({ ...options, matches: 2_000 }));
});

Deno.test("chooseMatchPrefix() gives every configuration that changes sheets its own prefix", () => {
  equal(chooseMatchPrefix({}), "match");
  equal(chooseMatchPrefix({ matches: 500 }), "match", "a longer run extends the default one");
  const changed = [
    { items: ["rubber_duck", "shield", "medkit"] },
    { seed: 7 },
    { playersPerMatch: 5 },
    { maxPerItem: 9 },
    { startTime: "2026-01-01T00:00:00Z" },
  ].map((options) => chooseMatchPrefix(options));
  for (const prefix of changed) match(prefix, /^sim[0-9a-f]{6}$/);
  equal(new Set(changed).size, changed.length);
  equal(chooseMatchPrefix({ seed: 7, matchPrefix: "mine" }), "mine");
  // The notebook's prefixes come from the same function.
  equal(
    toSimulationOptions(resolvePipelineConfig({ seed: 7 })).matchPrefix,
    chooseMatchPrefix({ seed: 7 }),
  );
});
