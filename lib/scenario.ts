/**
 * Scenarios: what game the simulator plays. `classic` is today's generator (uniform counts and
 * locations, one match per player); a game scenario has game modes with drop tables, loot zones
 * on the map, a pool of players who come back and level up, and a daily schedule of matches.
 * Pure: files are read by the caller (see {@link loadScenario}).
 * @module
 */
import { ProblemList, ValidationError } from "./errors.ts";
import {
  assignmentPoint,
  assignVariant,
  type Experiment,
  type ExperimentVariant,
} from "./experiment.ts";
import { hashJson } from "./fingerprint.ts";
import { MAP_SIZE } from "./heatmap.ts";
import { describeBadItemName } from "./items.ts";
import { createRandom, type Random } from "./random.ts";
import {
  chooseMatchPrefix,
  lastSimulatedTimestamp,
  MATCH_PREFIX_PATTERN,
  simulateMatches,
  SIMULATION_DEFAULTS,
  SIMULATION_LIMITS,
  type SimulationOptions,
} from "./simulate.ts";
import { parseIsoTimestamp } from "./timestamps.ts";
import type { ItemLocation, StatSheet } from "./types.ts";
import { typeName } from "./validate.ts";

/** Today's generator, unchanged: {@link simulateScenario} hands it to {@link simulateMatches}. */
export interface ClassicScenario {
  /** Always `"classic"` for this kind. */
  kind: "classic";
  /** Scenario name (the item-name pattern). */
  name: string;
  /** One line saying what the scenario plays. */
  description: string;
}

/** One way to play: its share of matches, players per match, match length and drop table. */
export interface GameMode {
  /** Written to each sheet's `game_mode` (the item-name pattern). */
  name: string;
  /** Relative share of matches (normalised over the modes). */
  share: number;
  /** Players (and so stat sheets) per match. */
  playersPerMatch: number;
  /** Range of a player's `match_duration`, seconds, both inclusive. */
  durationSeconds: { min: number; max: number };
  /** Item name → units a player loots per match: Poisson with `mean` (before the level bonus), capped at `max`. */
  dropTable: Readonly<Record<string, DropRate>>;
}

/** How much of one item a player loots in one match. */
export interface DropRate {
  /** Expected units per match for a level-1 player, before the cap. */
  mean: number;
  /** Most units of the item one player loots in one match. */
  max: number;
}

/** A point of interest where loot lies: items drop in a Gaussian around its centre. */
export interface LootZone {
  /** Zone name (the item-name pattern). */
  name: string;
  /** Centre on the map, `[x, y]`, within {@link MAP_SIZE}. */
  center: ItemLocation;
  /** Standard deviation of drops around the centre, map units. */
  spread: number;
  /** Relative chance that a drop is in this zone (normalised over the zones). */
  weight: number;
}

/**
 * The players matchmaking draws from. A player's level is
 * `min(maxLevel, 1 + floor(matchesPlayed / matchesPerLevel))`, and their expected units of every
 * item are multiplied by `1 + lootBonusPer10Levels × (level − 1) / 10`.
 */
export interface PlayerPool {
  /** Players in the pool, ids `player_0001`…; at least the largest `playersPerMatch`. */
  size: number;
  /** Matches a player plays to gain a level. */
  matchesPerLevel: number;
  /** Highest level. */
  maxLevel: number;
  /** Extra expected loot per 10 levels above level 1, as a fraction (0.1 is +10%). */
  lootBonusPer10Levels: number;
}

/** When matches start: `matchesPerHour × hourlyWeights[UTC hour]` an hour, from `startTime`. */
export interface MatchSchedule {
  /** When the first match starts, ISO 8601. */
  startTime: string;
  /** Matches an hour at weight 1. */
  matchesPerHour: number;
  /** 24 multipliers, one per UTC hour (index 0 is 00:00–01:00): the daily rhythm. */
  hourlyWeights: readonly number[];
}

/** A game to simulate: modes, loot zones, a returning player pool and a daily schedule. */
export interface GameScenario {
  /** Always `"game"` for this kind. */
  kind: "game";
  /** Scenario name (the item-name pattern). */
  name: string;
  /** One line saying what the scenario plays. */
  description: string;
  /** Game modes, at least one. */
  modes: readonly GameMode[];
  /** Loot zones, at least one. */
  zones: readonly LootZone[];
  /** Who plays. */
  players: PlayerPool;
  /** When matches start. */
  schedule: MatchSchedule;
  /** An A/B experiment every player of the pool is assigned to (see lib/experiment.ts); optional. */
  experiment?: Experiment;
}

/** What the simulator plays: see {@link ClassicScenario} and {@link GameScenario}. */
export type Scenario = ClassicScenario | GameScenario;

/** Knobs of {@link simulateScenario}; the scenario sets the rest. */
export interface ScenarioOptions {
  /** PRNG seed: the same scenario and seed give identical sheets (default 42). */
  seed?: number;
  /** Number of matches (default 50). */
  matches?: number;
  /** When the first match starts, ISO 8601 (default: the scenario's schedule, or classic's instant). */
  startTime?: string;
  /** Match ids are `${matchPrefix}_001`… (default `match` for classic, {@link chooseScenarioPrefix} otherwise). */
  matchPrefix?: string;
  /** Items to generate: classic's item list, or a subset of a game scenario's drop-table items (default all). */
  items?: readonly string[];
  /** Classic only: players per match (game modes set their own). */
  playersPerMatch?: number;
  /** Classic only: largest count of one item (drop tables set their own). */
  maxPerItem?: number;
  /**
   * Game scenarios only: share of the pool's players (0 to 1, default 0) who cheat in every match
   * they play; see {@link listCheaters} for who, and the README for what their sheets look like.
   */
  cheaters?: number;
}

/** Ranges a scenario file's numbers must lie in. */
export const SCENARIO_LIMITS: Readonly<{
  maxModes: number;
  maxZones: number;
  maxItems: number;
  maxPlayersPerMatch: number;
  maxDurationSeconds: number;
  maxUnits: number;
  maxPoolSize: number;
  maxLevel: number;
  maxLootBonus: number;
  maxMatchesPerHour: number;
  maxDescription: number;
}> = Object.freeze({
  maxModes: 32,
  maxZones: 64,
  maxItems: 256,
  maxPlayersPerMatch: SIMULATION_LIMITS.playersPerMatch.max,
  maxDurationSeconds: 86_400,
  maxUnits: SIMULATION_LIMITS.maxPerItem.max,
  maxPoolSize: 1_000_000,
  maxLevel: 1_000_000,
  maxLootBonus: 10,
  maxMatchesPerHour: 1_000_000,
  maxDescription: 500,
});

const TOP_FIELDS = {
  classic: ["name", "kind", "description"],
  game: ["name", "kind", "description", "modes", "zones", "players", "schedule", "experiment"],
};
const EXPERIMENT_FIELDS = ["name", "variants"];
const MAX_VARIANTS = 16;
const VARIANT_FIELDS = ["name", "share", "drop_multipliers"];
const MODE_FIELDS = ["name", "share", "players_per_match", "duration_seconds", "drop_table"];
const ZONE_FIELDS = ["name", "center", "spread", "weight"];
const POOL_FIELDS = ["pool_size", "matches_per_level", "max_level", "loot_bonus_per_10_levels"];
const SCHEDULE_FIELDS = ["start_time", "matches_per_hour", "hourly_weights"];

// Built-ins are written in the file format, so they pass through parseScenario like any file.
const CLASSIC_FILE = {
  name: "classic",
  kind: "classic",
  description:
    "The original generator: uniform counts and locations, every player new, a match a minute",
};

/** A sinusoidal day: busiest at 20:00 UTC (×1.6), quietest at 08:00 UTC (×0.4). */
const EVENING_PEAK = Array.from(
  { length: 24 },
  (_, hour) => Math.round((1 + 0.6 * Math.cos((2 * Math.PI * (hour - 20)) / 24)) * 100) / 100,
);

const BATTLE_ROYALE_FILE = {
  name: "battle_royale",
  description:
    "Solo, duos and squads on one island: loot piles up in five named zones, 400 regulars level up",
  modes: [
    {
      name: "solo",
      share: 5,
      players_per_match: 20,
      duration_seconds: { min: 600, max: 1500 },
      drop_table: {
        rubber_duck: { mean: 0.5, max: 3 },
        medkit: { mean: 1.5, max: 5 },
        ammo_box: { mean: 3, max: 10 },
        grenade: { mean: 1, max: 4 },
        gold_coin: { mean: 1, max: 6 },
      },
    },
    {
      name: "duos",
      share: 3,
      players_per_match: 30,
      duration_seconds: { min: 900, max: 1800 },
      drop_table: {
        rubber_duck: { mean: 1, max: 4 },
        medkit: { mean: 2.5, max: 8 },
        ammo_box: { mean: 4, max: 12 },
        grenade: { mean: 1.5, max: 5 },
        gold_coin: { mean: 2, max: 8 },
      },
    },
    {
      name: "squads",
      share: 2,
      players_per_match: 40,
      duration_seconds: { min: 1200, max: 2100 },
      drop_table: {
        rubber_duck: { mean: 2, max: 6 },
        medkit: { mean: 4, max: 10 },
        ammo_box: { mean: 6, max: 16 },
        grenade: { mean: 2.5, max: 8 },
        gold_coin: { mean: 3, max: 12 },
      },
    },
  ],
  zones: [
    { name: "harbor", center: [22.5, 77.5], spread: 6, weight: 3 },
    { name: "old_mill", center: [72.5, 67.5], spread: 5, weight: 2 },
    { name: "airfield", center: [52.5, 32.5], spread: 8, weight: 4 },
    { name: "quarry", center: [17.5, 22.5], spread: 4, weight: 1 },
    { name: "lighthouse", center: [87.5, 12.5], spread: 3, weight: 1.5 },
  ],
  players: {
    pool_size: 400,
    matches_per_level: 2,
    max_level: 100,
    loot_bonus_per_10_levels: 0.1,
  },
  schedule: {
    start_time: "2025-06-01T00:00:00Z",
    matches_per_hour: 120,
    hourly_weights: EVENING_PEAK,
  },
};

/**
 * Multiplier on every item's expected units in `battle_royale_ab`'s treatment: +10% before the
 * drop tables' caps.
 */
export const AB_TREATMENT_LIFT = 1.1;

/** `battle_royale` with an A/B test of a 10% richer drop table, players split half and half. */
const BATTLE_ROYALE_AB_FILE = {
  ...BATTLE_ROYALE_FILE,
  name: "battle_royale_ab",
  description:
    "battle_royale with experiment drop_boost: half the players (by a hash of their id) get 10% more expected loot of every item",
  experiment: {
    name: "drop_boost",
    variants: [
      { name: "control", share: 1 },
      {
        name: "treatment",
        share: 1,
        drop_multipliers: Object.fromEntries(
          Object.keys(BATTLE_ROYALE_FILE.modes[0]!.drop_table).map((item) => [
            item,
            AB_TREATMENT_LIFT,
          ]),
        ),
      },
    ],
  },
};

/**
 * The scenarios every task knows by name: `classic` (the default), `battle_royale` and
 * `battle_royale_ab` (the same game running the `drop_boost` experiment).
 */
export const BUILTIN_SCENARIOS: readonly Scenario[] = Object.freeze([
  parseScenario(CLASSIC_FILE),
  parseScenario(BATTLE_ROYALE_FILE),
  parseScenario(BATTLE_ROYALE_AB_FILE),
]);

/** The scenario runs use unless told otherwise: `classic`, today's generator. */
export const DEFAULT_SCENARIO: Scenario = BUILTIN_SCENARIOS[0]!;

/** Returns the built-in scenario called `name`, or undefined. */
export function findScenario(name: string): Scenario | undefined {
  return BUILTIN_SCENARIOS.find((scenario) => scenario.name === name);
}

/**
 * Resolves `source`, a built-in's name or a path to a JSON scenario file, reading files with
 * `readTextFile` (so this module stays pure). Throws {@link ValidationError} whose problems name
 * the file and, for a bad file, each field path (`duck.json: modes[1].share must be …`).
 * @example
 * const scenario = loadScenario("battle_royale", Deno.readTextFileSync);
 */
export function loadScenario(source: string, readTextFile: (path: string) => string): Scenario {
  const builtin = findScenario(source);
  if (builtin) return builtin;
  const fail = (message: string): never => {
    throw new ValidationError([{ path: "", message }], { summary: "Invalid scenario" });
  };
  let text: string;
  try {
    text = readTextFile(source);
  } catch (error) {
    const looksLikeName = !source.includes("/") && !source.endsWith(".json");
    const notFound = (error as Error).name === "NotFound" ||
      (error as { code?: unknown }).code === "ENOENT";
    if (looksLikeName && notFound) {
      fail(
        `must be a built-in scenario (${
          BUILTIN_SCENARIOS.map((scenario) => scenario.name).join(", ")
        }) or a JSON file, got ${JSON.stringify(source)}`,
      );
    }
    return fail(`${source} cannot be read (${(error as Error).message.split("\n")[0]})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(`${source} is not valid JSON (${(error as Error).message})`);
  }
  try {
    return parseScenario(value);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    throw new ValidationError(
      error.problems.map((problem) => ({
        path: problem.path,
        message: `${source}: ${problem.message}`,
      })),
      { summary: "Invalid scenario", cause: error },
    );
  }
}

/**
 * Validates a scenario file's JSON (snake_case keys), returning the scenario. Throws
 * {@link ValidationError} listing every problem with its field path, e.g.
 * `modes[1].drop_table.medkit.max must be an integer from 0 to 1000000, got -1`.
 * @example
 * const scenario = parseScenario(JSON.parse(await Deno.readTextFile("docs/scenarios/example.json")));
 */
export function parseScenario(value: unknown): Scenario {
  const problems = new ProblemList();
  const scenario = collectScenario(value, problems);
  if (!scenario || problems.total > 0) {
    throw new ValidationError(problems, { summary: "Invalid scenario" });
  }
  return scenario;
}

/** A scenario in the file format (snake_case), so `parseScenario(formatScenario(s))` equals `s`. */
export function formatScenario(scenario: Scenario): Record<string, unknown> {
  if (scenario.kind === "classic") {
    return { name: scenario.name, kind: "classic", description: scenario.description };
  }
  return {
    name: scenario.name,
    kind: "game",
    description: scenario.description,
    modes: scenario.modes.map((mode) => ({
      name: mode.name,
      share: mode.share,
      players_per_match: mode.playersPerMatch,
      duration_seconds: { ...mode.durationSeconds },
      drop_table: Object.fromEntries(
        Object.entries(mode.dropTable).map(([item, rate]) => [item, { ...rate }]),
      ),
    })),
    zones: scenario.zones.map((zone) => ({ ...zone, center: [...zone.center] })),
    players: {
      pool_size: scenario.players.size,
      matches_per_level: scenario.players.matchesPerLevel,
      max_level: scenario.players.maxLevel,
      loot_bonus_per_10_levels: scenario.players.lootBonusPer10Levels,
    },
    schedule: {
      start_time: scenario.schedule.startTime,
      matches_per_hour: scenario.schedule.matchesPerHour,
      hourly_weights: [...scenario.schedule.hourlyWeights],
    },
    ...(scenario.experiment ? { experiment: formatExperiment(scenario.experiment) } : {}),
  };
}

function formatExperiment(experiment: Experiment): Record<string, unknown> {
  return {
    name: experiment.name,
    variants: experiment.variants.map((variant) => ({
      name: variant.name,
      share: variant.share,
      ...(Object.keys(variant.dropMultipliers).length > 0
        ? { drop_multipliers: { ...variant.dropMultipliers } }
        : {}),
    })),
  };
}

type Report = (path: string, message: string) => void;
type Json = Record<string, unknown>;

function collectScenario(value: unknown, problems: ProblemList): Scenario | undefined {
  const report: Report = (path, message) =>
    problems.push({ path, message: path ? `${path} ${message}` : message });
  if (!isPlainObject(value)) {
    report("", `Scenario must be a JSON object, got ${typeName(value)}`);
    return undefined;
  }
  const kind = value.kind ?? "game";
  if (kind !== "game" && kind !== "classic") {
    report("kind", `must be "game" or "classic", got ${show(kind)}`);
    return undefined;
  }
  checkKnownFields(value, "", TOP_FIELDS[kind], report);
  const name = readName(value.name, "name", report, true);
  const description = readDescription(value.description, report);
  if (kind === "classic") {
    if (name === undefined) return undefined;
    return { kind, name, description };
  }
  const modeList = readList(value.modes, "modes", SCENARIO_LIMITS.maxModes, report, readMode);
  const zoneList = readList(value.zones, "zones", SCENARIO_LIMITS.maxZones, report, readZone);
  const modes = allDefined(modeList), zones = allDefined(zoneList);
  const players = readPool(value.players, report);
  const schedule = readSchedule(value.schedule, report);
  if (modes) {
    requireUniqueNames(modes, "modes", report);
    requirePositiveSum(modes.map((mode) => mode.share), "modes", "share", report);
  }
  if (zones) {
    requireUniqueNames(zones, "zones", report);
    requirePositiveSum(zones.map((zone) => zone.weight), "zones", "weight", report);
  }
  // Checked against the modes that parsed, so a bad mode does not hide a pool that is too small.
  const parsedModes = modeList?.filter((mode) => mode !== undefined) ?? [];
  if (parsedModes.length > 0 && players) {
    const largest = Math.max(...parsedModes.map((mode) => mode.playersPerMatch));
    if (players.size < largest) {
      report(
        "players.pool_size",
        `must be at least the largest players_per_match (${largest}), got ${players.size}`,
      );
    }
  }
  const experiment = value.experiment === undefined
    ? undefined
    : readExperiment(value.experiment, parsedModes, report);
  if (name === undefined || !modes || !zones || !players || !schedule) return undefined;
  if (value.experiment !== undefined && !experiment) return undefined;
  return {
    kind,
    name,
    description,
    modes,
    zones,
    players,
    schedule,
    ...(experiment ? { experiment } : {}),
  };
}

function readExperiment(
  value: unknown,
  modes: readonly GameMode[],
  report: Report,
): Experiment | undefined {
  const path = "experiment";
  if (!isPlainObject(value)) return void report(path, `must be an object, got ${typeName(value)}`);
  checkKnownFields(value, path, EXPERIMENT_FIELDS, report);
  const name = readName(value.name, `${path}.name`, report, true);
  const items = new Set(modes.flatMap((mode) => Object.keys(mode.dropTable)));
  const list = readList(
    value.variants,
    `${path}.variants`,
    MAX_VARIANTS,
    report,
    (entry, entryPath, entryReport) => readVariant(entry, entryPath, entryReport, items),
  );
  const variants = allDefined(list);
  if (!variants) return undefined;
  requireUniqueNames(variants, `${path}.variants`, report);
  requirePositiveSum(variants.map((variant) => variant.share), `${path}.variants`, "share", report);
  if (variants.length < 2) {
    report(`${path}.variants`, `must have at least 2 variants, got ${variants.length}`);
  }
  if (!variants.some((variant) => variant.name === "control")) {
    report(`${path}.variants`, `must include a variant named "control"`);
  }
  if (name === undefined || variants.length < 2) return undefined;
  if (!variants.some((variant) => variant.name === "control")) return undefined;
  return { name, variants };
}

function readVariant(
  value: unknown,
  path: string,
  report: Report,
  items: ReadonlySet<string>,
): ExperimentVariant | undefined {
  if (!isPlainObject(value)) return void report(path, `must be an object, got ${typeName(value)}`);
  checkKnownFields(value, path, VARIANT_FIELDS, report);
  const name = readName(value.name, `${path}.name`, report, true);
  const share = readNumber(value.share, `${path}.share`, report, { min: 0, max: 1e9 });
  const multipliers: Record<string, number> = {};
  let valid = true;
  if (value.drop_multipliers !== undefined) {
    const table = value.drop_multipliers;
    if (!isPlainObject(table)) {
      report(
        `${path}.drop_multipliers`,
        `must be an object of item name to a factor, got ${typeName(table)}`,
      );
      valid = false;
    } else {
      for (const [item, factor] of Object.entries(table)) {
        const itemPath = `${path}.drop_multipliers.${item}`;
        if (!items.has(item)) {
          report(itemPath, `names an item in no drop table (they have ${[...items].join(", ")})`);
          valid = false;
          continue;
        }
        const read = readNumber(factor, itemPath, report, { min: 0, max: 100 });
        if (read === undefined) valid = false;
        else multipliers[item] = read;
      }
    }
  }
  if (name === undefined || share === undefined || !valid) return undefined;
  return { name, share, dropMultipliers: multipliers };
}

function readMode(value: unknown, path: string, report: Report): GameMode | undefined {
  if (!isPlainObject(value)) return void report(path, `must be an object, got ${typeName(value)}`);
  checkKnownFields(value, path, MODE_FIELDS, report);
  const name = readName(value.name, `${path}.name`, report, true);
  const share = readNumber(value.share, `${path}.share`, report, { min: 0, max: 1e9 });
  const playersPerMatch = readInteger(
    value.players_per_match,
    `${path}.players_per_match`,
    report,
    {
      min: 1,
      max: SCENARIO_LIMITS.maxPlayersPerMatch,
    },
  );
  const durationSeconds = readDuration(value.duration_seconds, `${path}.duration_seconds`, report);
  const dropTable = readDropTable(value.drop_table, `${path}.drop_table`, report);
  if (
    name === undefined || share === undefined || playersPerMatch === undefined ||
    !durationSeconds || !dropTable
  ) return undefined;
  return { name, share, playersPerMatch, durationSeconds, dropTable };
}

function readDuration(
  value: unknown,
  path: string,
  report: Report,
): { min: number; max: number } | undefined {
  if (!isPlainObject(value)) {
    return void report(path, `must be an object {"min": s, "max": s}, got ${typeName(value)}`);
  }
  checkKnownFields(value, path, ["min", "max"], report);
  const range = { min: 0, max: SCENARIO_LIMITS.maxDurationSeconds };
  const min = readInteger(value.min, `${path}.min`, report, range);
  const max = readInteger(value.max, `${path}.max`, report, range);
  if (min === undefined || max === undefined) return undefined;
  if (min > max) return void report(`${path}.max`, `must be at least min (${min}), got ${max}`);
  return { min, max };
}

function readDropTable(
  value: unknown,
  path: string,
  report: Report,
): Record<string, DropRate> | undefined {
  if (!isPlainObject(value)) {
    return void report(
      path,
      `must be an object of item name to {mean, max}, got ${typeName(value)}`,
    );
  }
  const entries = Object.entries(value);
  if (entries.length === 0) return void report(path, "must name at least one item");
  if (entries.length > SCENARIO_LIMITS.maxItems) {
    return void report(
      path,
      `must name at most ${SCENARIO_LIMITS.maxItems} items, got ${entries.length}`,
    );
  }
  const table: [string, DropRate][] = [];
  for (const [item, rate] of entries) {
    const bad = describeBadItemName(item);
    if (bad) {
      report(path, `has an invalid item name: it ${bad}`);
      continue;
    }
    const itemPath = `${path}.${item}`;
    if (!isPlainObject(rate)) {
      report(itemPath, `must be an object {"mean": n, "max": n}, got ${typeName(rate)}`);
      continue;
    }
    checkKnownFields(rate, itemPath, ["mean", "max"], report);
    const units = { min: 0, max: SCENARIO_LIMITS.maxUnits };
    const mean = readNumber(rate.mean, `${itemPath}.mean`, report, units);
    const max = readInteger(rate.max, `${itemPath}.max`, report, units);
    if (mean === undefined || max === undefined) continue;
    if (mean > max) {
      report(`${itemPath}.mean`, `must not exceed max (${max}), got ${mean}`);
      continue;
    }
    table.push([item, { mean, max }]);
  }
  return table.length === entries.length ? Object.fromEntries(table) : undefined;
}

function readZone(value: unknown, path: string, report: Report): LootZone | undefined {
  if (!isPlainObject(value)) return void report(path, `must be an object, got ${typeName(value)}`);
  checkKnownFields(value, path, ZONE_FIELDS, report);
  const name = readName(value.name, `${path}.name`, report, true);
  const center = readCenter(value.center, `${path}.center`, report);
  const spread = readNumber(value.spread, `${path}.spread`, report, {
    min: 0,
    max: Math.max(MAP_SIZE.width, MAP_SIZE.height),
  });
  const weight = readNumber(value.weight, `${path}.weight`, report, { min: 0, max: 1e9 });
  if (name === undefined || !center || spread === undefined || weight === undefined) {
    return undefined;
  }
  return { name, center, spread, weight };
}

function readCenter(value: unknown, path: string, report: Report): ItemLocation | undefined {
  if (
    !Array.isArray(value) || value.length !== 2 ||
    !value.every((coordinate) => typeof coordinate === "number" && Number.isFinite(coordinate))
  ) {
    return void report(path, `must be [x, y] with two finite numbers, got ${show(value)}`);
  }
  const [x, y] = value as [number, number];
  if (x < 0 || x > MAP_SIZE.width || y < 0 || y > MAP_SIZE.height) {
    return void report(
      path,
      `must lie on the ${MAP_SIZE.width} × ${MAP_SIZE.height} map, got [${x}, ${y}]`,
    );
  }
  return [x, y];
}

function readPool(value: unknown, report: Report): PlayerPool | undefined {
  if (!isPlainObject(value)) {
    return void report("players", `must be an object, got ${typeName(value)}`);
  }
  checkKnownFields(value, "players", POOL_FIELDS, report);
  const size = readInteger(value.pool_size, "players.pool_size", report, {
    min: 1,
    max: SCENARIO_LIMITS.maxPoolSize,
  });
  const matchesPerLevel = readInteger(
    value.matches_per_level,
    "players.matches_per_level",
    report,
    {
      min: 1,
      max: 1_000_000,
    },
  );
  const maxLevel = readInteger(value.max_level, "players.max_level", report, {
    min: 1,
    max: SCENARIO_LIMITS.maxLevel,
  });
  const lootBonusPer10Levels = readNumber(
    value.loot_bonus_per_10_levels,
    "players.loot_bonus_per_10_levels",
    report,
    { min: 0, max: SCENARIO_LIMITS.maxLootBonus },
  );
  if (
    size === undefined || matchesPerLevel === undefined || maxLevel === undefined ||
    lootBonusPer10Levels === undefined
  ) return undefined;
  return { size, matchesPerLevel, maxLevel, lootBonusPer10Levels };
}

function readSchedule(value: unknown, report: Report): MatchSchedule | undefined {
  if (!isPlainObject(value)) {
    return void report("schedule", `must be an object, got ${typeName(value)}`);
  }
  checkKnownFields(value, "schedule", SCHEDULE_FIELDS, report);
  const startTime = readStartTime(value.start_time, "schedule.start_time", report);
  const matchesPerHour = readNumber(value.matches_per_hour, "schedule.matches_per_hour", report, {
    min: 0,
    max: SCENARIO_LIMITS.maxMatchesPerHour,
  });
  if (matchesPerHour === 0) {
    report("schedule.matches_per_hour", "must be more than 0, got 0");
  }
  let hourlyWeights: number[] | undefined = new Array<number>(24).fill(1);
  if (value.hourly_weights !== undefined) {
    const weights = value.hourly_weights;
    if (!Array.isArray(weights) || weights.length !== 24) {
      report(
        "schedule.hourly_weights",
        `must be an array of 24 numbers, one per UTC hour, got ${show(weights)}`,
      );
      hourlyWeights = undefined;
    } else {
      const read = weights.map((weight, hour) =>
        readNumber(weight, `schedule.hourly_weights[${hour}]`, report, { min: 0, max: 1e6 })
      );
      hourlyWeights = read.every((weight) => weight !== undefined) ? read : undefined;
      if (hourlyWeights) {
        requirePositiveSum(hourlyWeights, "schedule.hourly_weights", "", report);
      }
    }
  }
  if (startTime === undefined || !matchesPerHour || !hourlyWeights) return undefined;
  return { startTime, matchesPerHour, hourlyWeights };
}

function readStartTime(value: unknown, path: string, report: Report): string | undefined {
  if (typeof value !== "string" || parseIsoTimestamp(value) === undefined) {
    return void report(
      path,
      `must be an ISO 8601 date-time such as 2025-10-23T10:00:00Z, got ${show(value)}`,
    );
  }
  return value;
}

function readList<T>(
  value: unknown,
  path: string,
  limit: number,
  report: Report,
  readItem: (value: unknown, path: string, report: Report) => T | undefined,
): (T | undefined)[] | undefined {
  if (!Array.isArray(value) || value.length === 0 || value.length > limit) {
    return void report(
      path,
      `must be an array of 1 to ${limit} entries, got ${
        Array.isArray(value) ? `${value.length}` : typeName(value)
      }`,
    );
  }
  return value.map((item, index) => readItem(item, `${path}[${index}]`, report));
}

function allDefined<T>(items: (T | undefined)[] | undefined): T[] | undefined {
  return items?.every((item) => item !== undefined) ? items as T[] : undefined;
}

function readName(
  value: unknown,
  path: string,
  report: Report,
  required: boolean,
): string | undefined {
  if (value === undefined && required) return void report(path, "is required");
  if (typeof value !== "string") {
    return void report(path, `must be a string, got ${typeName(value)}`);
  }
  const bad = describeBadItemName(value);
  return bad ? void report(path, bad) : value;
}

function readDescription(value: unknown, report: Report): string {
  if (value === undefined) return "";
  if (typeof value !== "string" || value.length > SCENARIO_LIMITS.maxDescription) {
    report(
      "description",
      `must be a string of at most ${SCENARIO_LIMITS.maxDescription} characters, got ${
        typeof value === "string" ? `${value.length} characters` : typeName(value)
      }`,
    );
    return "";
  }
  return value;
}

function readInteger(
  value: unknown,
  path: string,
  report: Report,
  range: { min: number; max: number },
): number | undefined {
  if (!Number.isInteger(value) || (value as number) < range.min || (value as number) > range.max) {
    return void report(
      path,
      `must be an integer from ${range.min} to ${range.max}, got ${show(value)}`,
    );
  }
  return value as number;
}

function readNumber(
  value: unknown,
  path: string,
  report: Report,
  range: { min: number; max: number },
): number | undefined {
  if (
    typeof value !== "number" || !Number.isFinite(value) || value < range.min || value > range.max
  ) {
    return void report(
      path,
      `must be a number from ${range.min} to ${range.max}, got ${show(value)}`,
    );
  }
  return value;
}

function checkKnownFields(value: Json, path: string, known: readonly string[], report: Report) {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      report(
        path ? `${path}.${key}` : key,
        `is not a field of ${path || "a scenario"} (expected ${known.join(", ")})`,
      );
    }
  }
}

function requireUniqueNames(
  entries: readonly { name: string }[],
  path: string,
  report: Report,
): void {
  const seen = new Set<string>();
  entries.forEach((entry, index) => {
    if (seen.has(entry.name)) {
      report(`${path}[${index}].name`, `repeats the name ${JSON.stringify(entry.name)}`);
    }
    seen.add(entry.name);
  });
}

function requirePositiveSum(
  values: readonly number[],
  path: string,
  field: string,
  report: Report,
): void {
  if (values.reduce((sum, value) => sum + value, 0) > 0) return;
  report(path, `must have ${field ? `${field}s` : "values"} that sum to more than 0`);
}

// ---------------------------------------------------------------------------------------------
// Simulation

/**
 * Generates a scenario's stat sheets match by match, lazily, so millions can be streamed with flat
 * memory. The same scenario, seed and options give identical sheets. `classic` is exactly
 * {@link simulateMatches}; a game scenario's sheets carry `game_mode`, a returning player's id
 * (`player_0042`) and level, counts drawn from the mode's drop table (Poisson, capped, scaled by
 * the level bonus) and locations around the loot zones, stamped when the player's match ends.
 * @example
 * const sheets = [...simulateScenario(findScenario("battle_royale")!, { matches: 10, seed: 7 })];
 */
export function* simulateScenario(
  scenario: Scenario,
  options: ScenarioOptions = {},
): Generator<StatSheet, void, undefined> {
  if (scenario.kind === "classic") {
    refuseClassicCheaters(options);
    yield* simulateMatches(toClassicOptions(options));
    return;
  }
  const run = resolveGameRun(scenario, options);
  const streams = createStreams(run.seed);
  const { experiment } = scenario;
  // Cheaters draw from a stream of their own, so honest players' sheets do not depend on them.
  const cheats = createRandom((run.seed + Math.imul(4, 0x6d2b79f5)) >>> 0);
  const pool = createPlayerPool(scenario.players, streams.matchmaking);
  const clock = createMatchClock(scenario.schedule, Date.parse(run.startTime));
  const pickMode = createWeightedPicker(scenario.modes.map((mode) => mode.share));
  const pickZone = createWeightedPicker(scenario.zones.map((zone) => zone.weight));
  const tables = scenario.modes.map((mode) =>
    Object.entries(mode.dropTable).filter(([item]) => run.items.has(item))
  );
  const idWidth = Math.max(3, String(run.matches).length);
  const { random } = streams;
  for (let match = 1; match <= run.matches; match++) {
    const matchStart = clock.next();
    const modeIndex = pickMode(streams.modes);
    const mode = scenario.modes[modeIndex]!;
    const table = tables[modeIndex]!;
    const matchId = `${run.matchPrefix}_${String(match).padStart(idWidth, "0")}`;
    for (const player of pool.draw(mode.playersPerMatch)) {
      const playerId = pool.id(player);
      const variant = experiment ? assignVariant(experiment, playerId) : undefined;
      const level = pool.level(player);
      const bonus = 1 + scenario.players.lootBonusPer10Levels * (level - 1) / 10;
      const lootedItems: Record<string, number> = {};
      const locations: Record<string, ItemLocation> = {};
      for (const [item, rate] of table) {
        // A factor of 1 leaves the mean, and so every draw, exactly as without the experiment.
        const mean = rate.mean * bonus * (variant?.dropMultipliers[item] ?? 1);
        const count = Math.min(rate.max, drawPoisson(random, mean));
        lootedItems[item] = count;
        if (count > 0) {
          locations[item] = dropAround(scenario.zones[pickZone(random)]!, random);
        }
      }
      const matchDuration = random.integer(mode.durationSeconds.min, mode.durationSeconds.max);
      const sheet: StatSheet = {
        match_id: matchId,
        player_id: playerId,
        // The sheet is sent when the player's match ends.
        timestamp: formatSecond(matchStart + matchDuration * 1000),
        looted_items: lootedItems,
        locations,
        match_duration: matchDuration,
        player_level: level,
        game_mode: mode.name,
      };
      if (experiment && variant) {
        sheet.experiment = experiment.name;
        sheet.variant = variant.name;
      }
      if (isCheater(run, playerId)) cheat(sheet, table, run.seed, cheats);
      yield sheet;
      pool.played(player);
    }
  }
}

/**
 * The players of a game scenario's pool who cheat in a run with these options (`cheaters` share,
 * chosen by a hash of the seed and the player id), sorted. Every sheet they send is implausible,
 * so a detector is scored by sheet against this list.
 */
export function listCheaters(scenario: Scenario, options: ScenarioOptions = {}): string[] {
  if (scenario.kind === "classic") {
    refuseClassicCheaters(options);
    return [];
  }
  const run = resolveGameRun(scenario, options);
  if (run.cheaters === 0) return [];
  const pool = createPlayerPool(scenario.players, createRandom(0));
  const found: string[] = [];
  for (let player = 0; player < scenario.players.size; player++) {
    const id = pool.id(player);
    if (isCheater(run, id)) found.push(id);
  }
  return found;
}

function refuseClassicCheaters(options: ScenarioOptions): void {
  if (options.cheaters === undefined || options.cheaters === 0) return;
  throw new ValidationError([{
    path: "cheaters",
    message:
      "cheaters applies to game scenarios only (classic has no returning players): use battle_royale or a scenario file",
  }], { summary: "Invalid simulation options" });
}

function isCheater(run: GameRun, playerId: string): boolean {
  return run.cheaters > 0 && assignmentPoint(`cheaters_${run.seed}`, playerId) < run.cheaters;
}

/**
 * Turns an honest sheet into a cheater's: every item of the drop table at 4–8 times its cap (at
 * least 4), half the time a match of 30–120 s, and by the player's style (a hash, fixed per
 * player) every located item off the map, or every item at one point that never changes, or the
 * honest locations kept.
 */
function cheat(
  sheet: StatSheet,
  table: readonly (readonly [string, DropRate])[],
  seed: number,
  random: Random,
): void {
  for (const [item, rate] of table) {
    sheet.looted_items[item] = Math.max(1, rate.max) * random.integer(4, 8);
  }
  if (random.next() < 0.5) sheet.match_duration = random.integer(30, 120);
  const style = Math.floor(assignmentPoint(`cheat_style_${seed}`, sheet.player_id) * 3);
  const round1 = (value: number) => Math.round(value * 10) / 10;
  if (style === 0) {
    for (const [item] of table) {
      sheet.locations[item] = [
        round1(MAP_SIZE.width + random.uniform(5, 50)),
        round1(random.uniform(0, MAP_SIZE.height)),
      ];
    }
  } else if (style === 1) {
    const spot: ItemLocation = [
      round1(assignmentPoint(`spot_x_${seed}`, sheet.player_id) * MAP_SIZE.width),
      round1(assignmentPoint(`spot_y_${seed}`, sheet.player_id) * MAP_SIZE.height),
    ];
    for (const [item] of table) sheet.locations[item] = [spot[0], spot[1]];
  }
}

/** How many sheets {@link simulateScenario} yields for these options (cheap: it draws only the modes). */
export function countScenarioSheets(scenario: Scenario, options: ScenarioOptions = {}): number {
  if (scenario.kind === "classic") {
    const classic = { ...SIMULATION_DEFAULTS, ...withoutUndefined(toClassicOptions(options)) };
    return classic.matches * classic.playersPerMatch;
  }
  const run = resolveGameRun(scenario, options);
  const modes = createStreams(run.seed).modes;
  const pickMode = createWeightedPicker(scenario.modes.map((mode) => mode.share));
  let total = 0;
  for (let match = 0; match < run.matches; match++) {
    total += scenario.modes[pickMode(modes)]!.playersPerMatch;
  }
  return total;
}

/**
 * The latest timestamp a run produces (its last match's start plus the longest match), epoch ms:
 * check it against the server's 24 h future limit before uploading.
 */
export function lastScenarioTimestamp(scenario: Scenario, options: ScenarioOptions = {}): number {
  if (scenario.kind === "classic") return lastSimulatedTimestamp(toClassicOptions(options));
  const run = resolveGameRun(scenario, options);
  const clock = createMatchClock(scenario.schedule, Date.parse(run.startTime));
  const lastStart = clock.skip(run.matches - 1);
  const longest = Math.max(...scenario.modes.map((mode) => mode.durationSeconds.max));
  return lastStart + longest * 1000;
}

/** When the run's first match starts, ISO 8601 (the option, else the scenario's own). */
export function scenarioStartTime(scenario: Scenario, options: ScenarioOptions = {}): string {
  if (options.startTime !== undefined) return options.startTime;
  return scenario.kind === "game" ? scenario.schedule.startTime : SIMULATION_DEFAULTS.startTime;
}

/**
 * The match-id prefix of a run. Classic keeps {@link chooseMatchPrefix} (`match` for the original
 * settings). A game scenario gets its name, `_` and six hex digits of a hash of its content, the
 * seed, the items and the start time (`battle_royale_3fa9c2`), so no two scenarios or settings
 * share match ids and none collides with classic's `match_001`…. The number of matches is not
 * part of it: a longer run extends a shorter one. An explicit `matchPrefix` is kept.
 * @example
 * chooseScenarioPrefix(findScenario("battle_royale")!, { seed: 7 }); // "battle_royale_" + 6 hex digits
 */
export function chooseScenarioPrefix(scenario: Scenario, options: ScenarioOptions = {}): string {
  if (scenario.kind === "classic") return chooseMatchPrefix(toClassicOptions(options));
  if (options.matchPrefix !== undefined) return options.matchPrefix;
  const items = resolveGameItems(scenario, options.items);
  const identity = {
    scenario: formatScenario(scenario),
    seed: options.seed ?? SIMULATION_DEFAULTS.seed,
    items: [...items].sort(),
    startTime: canonicalInstant(scenarioStartTime(scenario, options)),
    // Only when set, so runs without cheaters keep the prefixes they always had.
    ...(options.cheaters ? { cheaters: options.cheaters } : {}),
  };
  return `${scenario.name.slice(0, 20).replace(/_+$/, "")}_${hashJson(identity).slice(0, 6)}`;
}

/** Item names a scenario can produce, in first-seen order (classic: its default five). */
export function listScenarioItems(scenario: Scenario): string[] {
  if (scenario.kind === "classic") return [...SIMULATION_DEFAULTS.items];
  const items = new Set<string>();
  for (const mode of scenario.modes) {
    for (const item of Object.keys(mode.dropTable)) items.add(item);
  }
  return [...items];
}

function toClassicOptions(options: ScenarioOptions): SimulationOptions {
  return {
    seed: options.seed,
    matches: options.matches,
    startTime: options.startTime,
    matchPrefix: options.matchPrefix,
    items: options.items,
    playersPerMatch: options.playersPerMatch,
    maxPerItem: options.maxPerItem,
  };
}

interface GameRun {
  seed: number;
  cheaters: number;
  matches: number;
  startTime: string;
  matchPrefix: string;
  items: ReadonlySet<string>;
}

/** Checks the options against a game scenario, throwing {@link ValidationError} naming each bad one. */
function resolveGameRun(scenario: GameScenario, options: ScenarioOptions): GameRun {
  const problems: { path: string; message: string }[] = [];
  const seed = options.seed ?? SIMULATION_DEFAULTS.seed;
  const matches = options.matches ?? SIMULATION_DEFAULTS.matches;
  for (const [field, value] of [["seed", seed], ["matches", matches]] as const) {
    const { min, max } = SIMULATION_LIMITS[field];
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push({
        path: field,
        message: `${field} must be an integer from ${min} to ${max}, got ${value}`,
      });
    }
  }
  for (const field of ["playersPerMatch", "maxPerItem"] as const) {
    if (options[field] !== undefined) {
      problems.push({
        path: field,
        message:
          `${field} applies to the classic scenario only: ${scenario.name} sets it per game mode`,
      });
    }
  }
  const startTime = scenarioStartTime(scenario, options);
  if (parseIsoTimestamp(startTime) === undefined) {
    problems.push({
      path: "startTime",
      message: `startTime must be an ISO 8601 date-time, got ${startTime}`,
    });
  }
  const known = new Set(listScenarioItems(scenario));
  for (const item of options.items ?? []) {
    if (!known.has(item)) {
      problems.push({
        path: "items",
        message: `item ${JSON.stringify(item)} is in no drop table of ${scenario.name} (it has ${
          [...known].join(", ")
        })`,
      });
    }
  }
  const cheaters = options.cheaters ?? 0;
  if (typeof cheaters !== "number" || !(cheaters >= 0 && cheaters <= 1)) {
    problems.push({
      path: "cheaters",
      message: `cheaters must be a share of players from 0 to 1, got ${cheaters}`,
    });
  }
  if (options.items !== undefined && options.items.length === 0) {
    problems.push({ path: "items", message: "items must name at least one item" });
  }
  const matchPrefix = options.matchPrefix ?? "";
  if (options.matchPrefix !== undefined && !MATCH_PREFIX_PATTERN.test(matchPrefix)) {
    problems.push({
      path: "matchPrefix",
      message: `matchPrefix must match ${MATCH_PREFIX_PATTERN.source}, got ${
        JSON.stringify(matchPrefix)
      }`,
    });
  }
  if (problems.length > 0) {
    throw new ValidationError(problems, { summary: "Invalid simulation options" });
  }
  return {
    seed,
    cheaters,
    matches,
    startTime,
    matchPrefix: options.matchPrefix ?? chooseScenarioPrefix(scenario, options),
    items: resolveGameItems(scenario, options.items),
  };
}

function resolveGameItems(scenario: GameScenario, items?: readonly string[]): Set<string> {
  return new Set(items ?? listScenarioItems(scenario));
}

/**
 * Independent PRNG streams, so that drawing a mode never depends on how much loot the previous
 * match drew: {@link countScenarioSheets} replays the mode stream alone.
 */
function createStreams(seed: number): { modes: Random; matchmaking: Random; random: Random } {
  const derive = (stream: number) => createRandom((seed + Math.imul(stream, 0x6d2b79f5)) >>> 0);
  return { modes: derive(1), matchmaking: derive(2), random: derive(3) };
}

/** Returns a function drawing an index with probability proportional to its weight. */
function createWeightedPicker(weights: readonly number[]): (random: Random) => number {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const cumulative: number[] = [];
  let running = 0;
  for (const weight of weights) cumulative.push((running += weight) / total);
  return (random) => {
    const draw = random.next();
    const index = cumulative.findIndex((bound) => draw < bound);
    // Rounding can leave the last bound a hair under 1: fall back to the last weighted entry.
    return index >= 0 ? index : weights.findLastIndex((weight) => weight > 0);
  };
}

/** The pool's state in two typed arrays (a million players is 8 MB), ids made on demand. */
function createPlayerPool(pool: PlayerPool, random: Random) {
  const played = new Uint32Array(pool.size);
  // A permutation of the players, partially reshuffled per match: k distinct players in O(k).
  const order = Uint32Array.from({ length: pool.size }, (_, index) => index);
  const idWidth = Math.max(4, String(pool.size).length);
  return {
    draw(count: number): Uint32Array {
      for (let slot = 0; slot < count; slot++) {
        const pick = random.integer(slot, pool.size - 1);
        const chosen = order[pick]!;
        order[pick] = order[slot]!;
        order[slot] = chosen;
      }
      return order.slice(0, count);
    },
    level(player: number): number {
      return Math.min(pool.maxLevel, 1 + Math.floor(played[player]! / pool.matchesPerLevel));
    },
    played(player: number): void {
      played[player]!++;
    },
    id(player: number): string {
      return `player_${String(player + 1).padStart(idWidth, "0")}`;
    },
  };
}

const HOUR_MS = 3_600_000;

/**
 * Match start times, deterministic: match n starts when the schedule's cumulative expected matches
 * since the start reach n, with `matchesPerHour × hourlyWeights[h]` expected in UTC hour h.
 */
function createMatchClock(schedule: MatchSchedule, startMs: number) {
  let now = startMs;
  let first = true;
  /** Moves `now` forward by `units` expected matches, a whole hour at a time where it can. */
  const advance = (units: number) => {
    let remaining = units;
    while (remaining > 0) {
      const hourOfDay = ((Math.floor(now / HOUR_MS) % 24) + 24) % 24;
      const perMs = schedule.matchesPerHour * schedule.hourlyWeights[hourOfDay]! / HOUR_MS;
      const hourEnd = (Math.floor(now / HOUR_MS) + 1) * HOUR_MS;
      const capacity = perMs * (hourEnd - now);
      if (capacity >= remaining) {
        now += remaining / perMs;
        remaining = 0;
      } else {
        remaining -= capacity;
        now = hourEnd;
      }
    }
  };
  return {
    /** The next match's start, epoch ms (whole seconds). */
    next(): number {
      if (!first) advance(1);
      first = false;
      return Math.round(now / 1000) * 1000;
    },
    /** The start of the match `count` after the first, without visiting the ones between. */
    skip(count: number): number {
      advance(count);
      return Math.round(now / 1000) * 1000;
    },
  };
}

/** A Poisson draw: Knuth's product of uniforms below 30, a rounded normal above (error < 1%). */
function drawPoisson(random: Random, mean: number): number {
  if (mean <= 0) return 0;
  if (mean < 30) {
    const limit = Math.exp(-mean);
    let count = 0;
    let product = random.next();
    while (product > limit) {
      count++;
      product *= random.next();
    }
    return count;
  }
  return Math.max(0, Math.round(mean + Math.sqrt(mean) * drawGaussian(random)));
}

/** A standard normal draw (Box–Muller). */
function drawGaussian(random: Random): number {
  const u = 1 - random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** A point around a zone's centre, Gaussian with the zone's spread, clamped to the map, 0.1 units. */
function dropAround(zone: LootZone, random: Random): ItemLocation {
  const round1 = (value: number) => Math.round(value * 10) / 10;
  const clamp = (value: number, extent: number) => Math.min(extent, Math.max(0, value));
  return [
    round1(clamp(zone.center[0] + zone.spread * drawGaussian(random), MAP_SIZE.width)),
    round1(clamp(zone.center[1] + zone.spread * drawGaussian(random), MAP_SIZE.height)),
  ];
}

function formatSecond(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(".000Z", "Z");
}

function canonicalInstant(text: string): string {
  const ms = parseIsoTimestamp(text);
  return ms === undefined ? text : new Date(ms).toISOString();
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}
