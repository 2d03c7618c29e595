import { deepStrictEqual, equal, match, notDeepStrictEqual, ok, throws } from "node:assert/strict";
import {
  binItemLocations,
  BUILTIN_SCENARIOS,
  chooseMatchPrefix,
  chooseScenarioPrefix,
  countScenarioSheets,
  findScenario,
  formatScenario,
  type GameScenario,
  lastScenarioTimestamp,
  loadScenario,
  parseNdjson,
  parseScenario,
  parseStatSheet,
  type Scenario,
  simulateMatches,
  simulateScenario,
  type StatSheet,
  ValidationError,
} from "../lib/mod.ts";
import { generateSheets, matchPrefixOf, resolvePipelineConfig } from "../lib/notebook/mod.ts";
import { makeTempDir, runTask } from "./fixtures.ts";

const EXAMPLE_PATH = new URL("../docs/scenarios/example.json", import.meta.url).pathname;
const CLASSIC = findScenario("classic")!;
const BATTLE_ROYALE = findScenario("battle_royale") as GameScenario;

function unitsOf(sheet: StatSheet): number {
  return Object.values(sheet.looted_items).reduce((sum, count) => sum + count, 0);
}

/** E[min(Poisson(mean), max)], summed exactly over the Poisson's terms. */
function expectedCappedPoisson(mean: number, max: number): number {
  let term = Math.exp(-mean), below = 0, expected = 0;
  for (let k = 0; k < max; k++) {
    expected += k * term;
    below += term;
    term *= mean / (k + 1);
  }
  return expected + max * (1 - below);
}

Deno.test("simulateScenario(classic) is simulateMatches byte for byte, with no game_mode", () => {
  const cases = [
    {},
    { seed: 7 },
    { matches: 120, seed: 3, playersPerMatch: 6 },
    { items: ["shield", "potion"], maxPerItem: 9, startTime: "2024-01-01T00:00:00Z" },
    { matchPrefix: "trial", matches: 3 },
  ];
  for (const options of cases) {
    const classic = [...simulateScenario(CLASSIC, options)];
    equal(JSON.stringify(classic), JSON.stringify([...simulateMatches(options)]));
    ok(classic.every((sheet) => !("game_mode" in sheet)));
    equal(countScenarioSheets(CLASSIC, options), classic.length);
  }
  equal(chooseScenarioPrefix(CLASSIC), "match", "the default run keeps match_001…");
  equal(chooseScenarioPrefix(CLASSIC, { seed: 7 }), chooseMatchPrefix({ seed: 7 }));
  equal(BUILTIN_SCENARIOS[0]!.name, "classic", "classic is the default");
  equal(resolvePipelineConfig().scenario.name, "classic");
});

Deno.test("simulateScenario() is deterministic: the same scenario and seed give the same sheets", () => {
  const example = loadScenario(EXAMPLE_PATH, Deno.readTextFileSync);
  for (const scenario of [BATTLE_ROYALE, example]) {
    const first = [...simulateScenario(scenario, { matches: 40, seed: 11 })];
    deepStrictEqual(first, [...simulateScenario(scenario, { matches: 40, seed: 11 })]);
    notDeepStrictEqual(first, [...simulateScenario(scenario, { matches: 40, seed: 12 })]);
    // A longer run extends a shorter one under the same prefix.
    deepStrictEqual(
      [...simulateScenario(scenario, { matches: 80, seed: 11 })].slice(0, first.length),
      first,
    );
    equal(countScenarioSheets(scenario, { matches: 40, seed: 11 }), first.length);
    for (const sheet of first) deepStrictEqual(parseStatSheet(sheet), sheet);
  }
});

Deno.test("battle_royale's loot piles up in its zones: the hottest 20×20 cell holds several times the mean", () => {
  const sheets = [...simulateScenario(BATTLE_ROYALE, { matches: 400 })];
  for (const item of ["rubber_duck", "medkit", "gold_coin"]) {
    const grid = binItemLocations(sheets, item, { bins: 20 });
    const hottest = Math.max(...grid.grid.flat());
    const ratio = hottest / (grid.count / 400);
    ok(ratio >= 8, `${item}: hottest cell ${hottest} is ${ratio.toFixed(1)}× the mean cell`);
    equal(grid.outside, 0, "drops are clamped to the map");
  }
  // The classic generator is uniform: its hottest cell is near the mean.
  const classic = binItemLocations(simulateMatches({ matches: 4_000 }), "rubber_duck", {
    bins: 20,
  });
  ok(Math.max(...classic.grid.flat()) / (classic.count / 400) < 2);
});

Deno.test("battle_royale's modes loot what their drop tables say, with the level bonus", () => {
  const sheets = [...simulateScenario(BATTLE_ROYALE, { matches: 1_500, seed: 5 })];
  const { lootBonusPer10Levels } = BATTLE_ROYALE.players;
  const byMode = new Map<string, { sheets: number; units: number; expected: number }>();
  for (const sheet of sheets) {
    const mode = BATTLE_ROYALE.modes.find((candidate) => candidate.name === sheet.game_mode)!;
    const bonus = 1 + lootBonusPer10Levels * (sheet.player_level! - 1) / 10;
    const entry = byMode.get(mode.name) ?? { sheets: 0, units: 0, expected: 0 };
    entry.sheets++;
    entry.units += unitsOf(sheet);
    for (const rate of Object.values(mode.dropTable)) {
      entry.expected += expectedCappedPoisson(rate.mean * bonus, rate.max);
    }
    byMode.set(mode.name, entry);
    ok(sheet.match_duration! >= mode.durationSeconds.min);
    ok(sheet.match_duration! <= mode.durationSeconds.max);
    for (const [item, count] of Object.entries(sheet.looted_items)) {
      ok(count <= mode.dropTable[item]!.max, `${item} capped at its max`);
    }
  }
  deepStrictEqual([...byMode.keys()].sort(), ["duos", "solo", "squads"]);
  const means = Object.fromEntries(
    [...byMode].map(([mode, entry]) => [mode, entry.units / entry.sheets]),
  );
  for (const [mode, entry] of byMode) {
    const expected = entry.expected / entry.sheets;
    ok(
      Math.abs(means[mode]! - expected) / expected < 0.03,
      `${mode}: ${means[mode]!.toFixed(2)} units per sheet, expected ${expected.toFixed(2)}`,
    );
  }
  ok(means.solo! < means.duos! && means.duos! < means.squads!, JSON.stringify(means));
  // Shares 5:3:2 of matches, so solo matches are the most common.
  const matches = new Map<string, Set<string>>();
  for (const sheet of sheets) {
    matches.set(sheet.game_mode!, (matches.get(sheet.game_mode!) ?? new Set()).add(sheet.match_id));
  }
  const solo = matches.get("solo")!.size / 1_500;
  ok(Math.abs(solo - 0.5) < 0.05, `solo share ${solo}`);
});

Deno.test("battle_royale's players come back, and their level follows the matches they played", () => {
  const sheets = [...simulateScenario(BATTLE_ROYALE, { matches: 300 })];
  const players = new Set(sheets.map((sheet) => sheet.player_id));
  ok(players.size <= BATTLE_ROYALE.players.size);
  ok(players.size * 10 < sheets.length, `${players.size} players for ${sheets.length} sheets`);
  for (const id of players) match(id, /^player_\d{4}$/);
  const played = new Map<string, number>();
  const { matchesPerLevel, maxLevel } = BATTLE_ROYALE.players;
  for (const sheet of sheets) {
    const before = played.get(sheet.player_id) ?? 0;
    equal(sheet.player_level, Math.min(maxLevel, 1 + Math.floor(before / matchesPerLevel)));
    played.set(sheet.player_id, before + 1);
  }
  ok(Math.max(...sheets.map((sheet) => sheet.player_level!)) > 5, "regulars level up");
  // No player appears twice in one match.
  const keys = new Set(sheets.map((sheet) => `${sheet.match_id}/${sheet.player_id}`));
  equal(keys.size, sheets.length);
});

Deno.test("battle_royale's matches follow its daily schedule: more at the evening peak than in the morning", () => {
  const starts = new Map<string, number>();
  for (const sheet of simulateScenario(BATTLE_ROYALE, { matches: 6_000 })) {
    starts.set(sheet.match_id, Date.parse(sheet.timestamp!) - sheet.match_duration! * 1000);
  }
  const perHour = new Array<number>(24).fill(0);
  for (const start of starts.values()) perHour[new Date(start).getUTCHours()]!++;
  const weights = BATTLE_ROYALE.schedule.hourlyWeights;
  ok(perHour[20]! > 3 * perHour[8]!, `20:00 has ${perHour[20]}, 08:00 has ${perHour[8]}`);
  // Two full days and more: each hour holds about matchesPerHour × weight per day.
  const days = 2;
  for (let hour = 0; hour < 24; hour++) {
    const expected = days * BATTLE_ROYALE.schedule.matchesPerHour * weights[hour]!;
    ok(perHour[hour]! >= expected - 2, `hour ${hour}: ${perHour[hour]}, expected ≥ ${expected}`);
  }
  equal(Math.min(...starts.values()), Date.parse(BATTLE_ROYALE.schedule.startTime));
});

Deno.test("lastScenarioTimestamp() bounds every timestamp, so a million matches stay in the past", () => {
  const options = { matches: 3_000, seed: 2 };
  let latest = 0;
  for (const sheet of simulateScenario(BATTLE_ROYALE, options)) {
    latest = Math.max(latest, Date.parse(sheet.timestamp!));
  }
  const bound = lastScenarioTimestamp(BATTLE_ROYALE, options);
  ok(latest <= bound && bound - latest < 3_600_000, `${latest} ≤ ${bound}`);
  ok(lastScenarioTimestamp(BATTLE_ROYALE, { matches: 1_000_000 }) < Date.now());
  equal(
    lastScenarioTimestamp(BATTLE_ROYALE, { startTime: "2030-01-01T00:00:00Z", matches: 1 }),
    Date.parse("2030-01-01T00:00:00Z") + 2_100_000,
  );
});

Deno.test("chooseScenarioPrefix() gives each game scenario and setting match ids of its own", () => {
  const prefix = chooseScenarioPrefix(BATTLE_ROYALE);
  match(prefix, /^battle_royale_[0-9a-f]{6}$/);
  match(
    [...simulateScenario(BATTLE_ROYALE, { matches: 1 })][0]!.match_id,
    new RegExp(`^${prefix}_001$`),
  );
  equal(chooseScenarioPrefix(BATTLE_ROYALE, { matches: 900 }), prefix, "a longer run extends");
  const changed = [
    chooseScenarioPrefix(BATTLE_ROYALE, { seed: 7 }),
    chooseScenarioPrefix(BATTLE_ROYALE, { items: ["medkit"] }),
    chooseScenarioPrefix(BATTLE_ROYALE, { startTime: "2025-01-01T00:00:00Z" }),
    chooseScenarioPrefix({ ...BATTLE_ROYALE, zones: BATTLE_ROYALE.zones.slice(1) }),
  ];
  equal(new Set([prefix, ...changed]).size, 5);
  equal(chooseScenarioPrefix(BATTLE_ROYALE, { matchPrefix: "mine" }), "mine");
  const config = resolvePipelineConfig({ scenario: "battle_royale", matches: 3 });
  equal(matchPrefixOf(config), `${prefix}_`);
  const sheets = generateSheets(config);
  equal(sheets.length, countScenarioSheets(BATTLE_ROYALE, { matches: 3 }));
  ok(sheets.every((sheet) => sheet.game_mode && sheet.match_id.startsWith(matchPrefixOf(config))));
});

Deno.test("parseScenario() accepts the example file and every built-in, and formatScenario() round-trips", () => {
  const example = parseScenario(JSON.parse(Deno.readTextFileSync(EXAMPLE_PATH)));
  equal(example.name, "duck_pond");
  equal(example.kind, "game");
  deepStrictEqual(resolvePipelineConfig({ scenario: EXAMPLE_PATH }).items, [
    "rubber_duck",
    "medkit",
  ]);
  for (const scenario of [...BUILTIN_SCENARIOS, example]) {
    deepStrictEqual(parseScenario(formatScenario(scenario)), scenario);
    deepStrictEqual(parseScenario(JSON.parse(JSON.stringify(formatScenario(scenario)))), scenario);
  }
  deepStrictEqual(BUILTIN_SCENARIOS.map((scenario) => scenario.name), [
    "classic",
    "battle_royale",
    "battle_royale_ab",
  ]);
  equal(BATTLE_ROYALE.modes.length, 3);
  equal(BATTLE_ROYALE.zones.length, 5);
});

Deno.test("parseScenario() refuses a bad file, naming every field path", () => {
  const file = formatScenario(BATTLE_ROYALE) as {
    modes: Record<string, unknown>[];
    zones: Record<string, unknown>[];
    players: Record<string, unknown>;
    schedule: Record<string, unknown>;
  } & Record<string, unknown>;
  const bad = structuredClone(file);
  bad.name = "Battle Royale";
  bad.modes[1]!.drop_table = {
    ...bad.modes[1]!.drop_table as object,
    medkit: { mean: 1, max: -1 },
  };
  bad.modes[0]!.share = "lots";
  bad.modes[0]!.duration_seconds = { min: 900, max: 600 };
  bad.modes[0]!.name = "duos";
  bad.zones[4]!.center = [120, 5];
  bad.players.pool_size = 10;
  bad.schedule.hourly_weights = [1, 2];
  bad.schedule.start = "soon";
  let error: unknown;
  try {
    parseScenario(bad);
  } catch (caught) {
    error = caught;
  }
  ok(error instanceof ValidationError);
  deepStrictEqual(error.problems.map((problem) => problem.message), [
    'name must match ^[a-z][a-z0-9_]{0,63}$ (lowercase letter first, then up to 63 of a-z 0-9 _), got "Battle Royale"',
    'modes[0].share must be a number from 0 to 1000000000, got "lots"',
    "modes[0].duration_seconds.max must be at least min (900), got 600",
    "modes[1].drop_table.medkit.max must be an integer from 0 to 1000000, got -1",
    "zones[4].center must lie on the 100 × 100 map, got [120, 5]",
    "schedule.start is not a field of schedule (expected start_time, matches_per_hour, hourly_weights)",
    "schedule.hourly_weights must be an array of 24 numbers, one per UTC hour, got [1,2]",
    // Checked against squads, the mode that parsed.
    "players.pool_size must be at least the largest players_per_match (40), got 10",
  ]);
  equal(
    error.problems[3]!.path,
    "modes[1].drop_table.medkit.max",
    "each problem carries its field path",
  );
  const zeroShares = structuredClone(file);
  for (const mode of zeroShares.modes) mode.share = 0;
  throws(() => parseScenario(zeroShares), /modes must have shares that sum to more than 0/);
  const repeated = structuredClone(file);
  repeated.modes[2]!.name = "solo";
  throws(() => parseScenario(repeated), /modes\[2\]\.name repeats the name "solo"/);
  throws(() => parseScenario([]), /Scenario must be a JSON object, got array/);
  throws(() => parseScenario({ name: "x", kind: "arcade" }), /kind must be "game" or "classic"/);
  throws(
    () => parseScenario({ ...file, modes: [] }),
    /modes must be an array of 1 to 32 entries, got 0/,
  );
});

Deno.test("loadScenario() takes a built-in's name or a file, naming the file in every problem", () => {
  const files = new Map([["bad.json", '{"name": "x", "modes": 3}'], ["broken.json", "{"]]);
  const read = (path: string) => {
    const text = files.get(path);
    if (text === undefined) throw Object.assign(new Error("No such file"), { name: "NotFound" });
    return text;
  };
  equal(loadScenario("battle_royale", read), BATTLE_ROYALE);
  throws(
    () => loadScenario("arcade", read),
    /must be a built-in scenario \(classic, battle_royale, battle_royale_ab\) or a JSON file, got "arcade"/,
  );
  throws(() => loadScenario("missing.json", read), /missing\.json cannot be read \(No such file\)/);
  throws(() => loadScenario("broken.json", read), /broken\.json is not valid JSON/);
  throws(
    () => loadScenario("bad.json", read),
    /bad\.json: modes must be an array of 1 to 32 entries, got number/,
  );
});

Deno.test("simulateScenario() refuses options a game scenario sets itself", () => {
  throws(
    () => simulateScenario(BATTLE_ROYALE, { playersPerMatch: 4 }).next(),
    /playersPerMatch applies to the classic scenario only: battle_royale sets it per game mode/,
  );
  throws(
    () => simulateScenario(BATTLE_ROYALE, { items: ["shield"] }).next(),
    /"shield" is in no drop table/,
  );
  const medkits = [...simulateScenario(BATTLE_ROYALE, { matches: 5, items: ["medkit"] })];
  ok(medkits.every((sheet) => Object.keys(sheet.looted_items).join() === "medkit"));
});

Deno.test("simulate --scenario writes a game scenario's sheets and names a bad file's field in one line", async () => {
  using dir = makeTempDir();
  const out = `${dir.path}/br.ndjson`;
  const result = await runTask("simulate", [
    "--scenario",
    "battle_royale",
    "--matches",
    "4",
    "--generate-only",
    "--out",
    out,
  ]);
  equal(result.code, 0, result.stderr);
  const sheets = parseNdjson(await Deno.readTextFile(out));
  deepStrictEqual(sheets, [...simulateScenario(BATTLE_ROYALE, { matches: 4 })]);
  ok(sheets.every((sheet) => ["solo", "duos", "squads"].includes(String(sheet.game_mode))));
  match(result.stderr, new RegExp(`Wrote ${sheets.length} stat sheets`));

  const stdout = await runTask("simulate", [
    "--scenario",
    EXAMPLE_PATH,
    "--matches",
    "2",
    "--generate-only",
    "--out",
    "-",
  ]);
  equal(stdout.code, 0, stdout.stderr);
  deepStrictEqual(
    parseNdjson(stdout.stdout),
    [...simulateScenario(loadScenario(EXAMPLE_PATH, Deno.readTextFileSync) as Scenario, {
      matches: 2,
    })],
  );

  const badFile = `${dir.path}/bad.json`;
  const bad = formatScenario(BATTLE_ROYALE) as { modes: { drop_table: Record<string, unknown> }[] };
  bad.modes[1]!.drop_table.medkit = { mean: 1, max: -1 };
  await Deno.writeTextFile(badFile, JSON.stringify(bad));
  for (const task of ["simulate", "demo"]) {
    const refused = await runTask(task, ["--scenario", badFile]);
    equal(refused.code, 2, refused.stderr);
    deepStrictEqual(refused.stderr.split("\n").filter(Boolean), [
      `--scenario ${badFile}: modes[1].drop_table.medkit.max must be an integer from 0 to 1000000, got -1`,
      `Run deno task ${task} --help for the options`,
    ]);
  }
  const players = await runTask("simulate", ["--scenario", "battle_royale", "--players", "3"]);
  equal(players.code, 2);
  match(
    players.stderr,
    /^--players applies to the classic scenario only: battle_royale sets it per game mode\n/,
  );
});
