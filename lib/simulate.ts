import { ValidationError } from "./errors.ts";
import { hashJson } from "./fingerprint.ts";
import { DEFAULT_ITEM_NAMES, describeBadItemName } from "./items.ts";
import { createRandom } from "./random.ts";
import { MAP_SIZE } from "./heatmap.ts";
import type { ItemLocation, MapSize, StatSheet } from "./types.ts";

/** Knobs of the simulator; every one has the original generator's default. */
export interface SimulationOptions {
  /** Number of matches (default 50). */
  matches?: number;
  /** Players in each match (default 4). */
  playersPerMatch?: number;
  /** Item names each player may loot (default the five original items). */
  items?: readonly string[];
  /** Largest count of one item per player; counts are uniform on 0…max (default 5). */
  maxPerItem?: number;
  /** Map extent locations fall in (default {@link MAP_SIZE}). */
  mapSize?: MapSize;
  /** PRNG seed: the same seed and options give identical sheets (default 42). */
  seed?: number;
  /** When the first match starts, ISO 8601 (default `2025-10-23T10:00:00Z`, a fixed instant, so re-runs are duplicates). */
  startTime?: string;
  /** Seconds between the starts of consecutive matches (default 60: a live game starts matches all the time). */
  matchIntervalSeconds?: number;
  /** Match ids are `${matchPrefix}_001`… (default `match`, as the original). */
  matchPrefix?: string;
}

/** The options with every default filled in. */
export type ResolvedSimulationOptions = Required<SimulationOptions>;

/** Defaults of {@link simulateMatches}, equal to the original `data_generator.py`. */
export const SIMULATION_DEFAULTS: Readonly<ResolvedSimulationOptions> = Object.freeze({
  matches: 50,
  playersPerMatch: 4,
  items: DEFAULT_ITEM_NAMES,
  maxPerItem: 5,
  mapSize: MAP_SIZE,
  seed: 42,
  startTime: "2025-10-23T10:00:00Z",
  matchIntervalSeconds: 60,
  matchPrefix: "match",
});

/** Inclusive ranges of the simulator's integer options, shared with the flags that set them. */
export const SIMULATION_LIMITS: Readonly<
  Record<
    "matches" | "playersPerMatch" | "maxPerItem" | "seed" | "matchIntervalSeconds",
    Readonly<{ min: number; max: number }>
  >
> = Object.freeze({
  matches: { min: 1, max: 100_000_000 },
  playersPerMatch: { min: 1, max: 1_000 },
  maxPerItem: { min: 0, max: 1_000_000 },
  seed: { min: 0, max: 2 ** 32 - 1 },
  matchIntervalSeconds: { min: 0, max: 86_400 },
});

/** What a match-id prefix may hold: letters, digits, `_` and `-`. */
export const MATCH_PREFIX_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/** Fills in defaults and checks every option, throwing {@link ValidationError} naming each bad one. */
export function resolveSimulationOptions(
  options: SimulationOptions = {},
): ResolvedSimulationOptions {
  const resolved = { ...SIMULATION_DEFAULTS, ...withoutUndefined(options) };
  const problems: { path: string; message: string }[] = [];
  const requireInteger = (field: keyof typeof SIMULATION_LIMITS) => {
    const { min, max } = SIMULATION_LIMITS[field];
    const value = resolved[field];
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
      problems.push({
        path: field,
        message: `${field} must be an integer from ${min} to ${max}, got ${value}`,
      });
    }
  };
  requireInteger("matches");
  requireInteger("playersPerMatch");
  requireInteger("maxPerItem");
  requireInteger("seed");
  requireInteger("matchIntervalSeconds");
  if (resolved.items.length === 0) {
    problems.push({ path: "items", message: "items must name at least one item" });
  }
  for (const name of resolved.items) {
    const bad = describeBadItemName(name);
    if (bad) problems.push({ path: "items", message: `item name ${bad}` });
  }
  if (new Set(resolved.items).size !== resolved.items.length) {
    problems.push({ path: "items", message: "items must not repeat a name" });
  }
  const { width, height } = resolved.mapSize;
  if (!(width > 0 && height > 0 && Number.isFinite(width) && Number.isFinite(height))) {
    problems.push({
      path: "mapSize",
      message: `mapSize must have a positive width and height, got ${width} × ${height}`,
    });
  }
  if (!MATCH_PREFIX_PATTERN.test(resolved.matchPrefix)) {
    problems.push({
      path: "matchPrefix",
      message: `matchPrefix must match ${MATCH_PREFIX_PATTERN.source}, got ${
        JSON.stringify(resolved.matchPrefix)
      }`,
    });
  }
  if (Number.isNaN(Date.parse(resolved.startTime))) {
    problems.push({
      path: "startTime",
      message: `startTime must be an ISO 8601 date-time, got ${resolved.startTime}`,
    });
  }
  if (problems.length > 0) {
    throw new ValidationError(problems, { summary: "Invalid simulation options" });
  }
  return resolved;
}

/**
 * Generates stat sheets match by match, lazily, so millions can be streamed without holding them.
 * Reproduces the original generator: ids `match_001` and `player_{m}_{p}`, counts uniform on
 * 0…maxPerItem, one location per looted item, `match_duration` 300–1800 s, `player_level` 1–50.
 * @example
 * const sheets = [...simulateMatches({ matches: 10, seed: 7 })];
 */
export function* simulateMatches(
  options: SimulationOptions = {},
): Generator<StatSheet, void, undefined> {
  const config = resolveSimulationOptions(options);
  const random = createRandom(config.seed);
  const start = Date.parse(config.startTime);
  const idWidth = Math.max(3, String(config.matches).length);
  const round1 = (value: number) => Math.round(value * 10) / 10;
  for (let match = 1; match <= config.matches; match++) {
    const matchId = `${config.matchPrefix}_${String(match).padStart(idWidth, "0")}`;
    const matchStart = start + (match - 1) * config.matchIntervalSeconds * 1000;
    for (let player = 1; player <= config.playersPerMatch; player++) {
      const lootedItems: Record<string, number> = {};
      const locations: Record<string, ItemLocation> = {};
      for (const item of config.items) lootedItems[item] = random.integer(0, config.maxPerItem);
      for (const item of config.items) {
        if (lootedItems[item]! > 0) {
          locations[item] = [
            round1(random.uniform(0, config.mapSize.width)),
            round1(random.uniform(0, config.mapSize.height)),
          ];
        }
      }
      const matchDuration = random.integer(300, 1800);
      yield {
        match_id: matchId,
        player_id: `player_${match}_${player}`,
        // The sheet is sent when the player's match ends.
        timestamp: new Date(matchStart + matchDuration * 1000).toISOString().replace(".000Z", "Z"),
        looted_items: lootedItems,
        locations,
        match_duration: matchDuration,
        player_level: random.integer(1, 50),
      };
    }
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, entry]) => entry !== undefined),
  ) as Partial<T>;
}

/** The latest timestamp a simulation produces (its last match's start plus the longest match), epoch ms. */
export function lastSimulatedTimestamp(options: SimulationOptions = {}): number {
  const config = resolveSimulationOptions(options);
  return Date.parse(config.startTime) +
    ((config.matches - 1) * config.matchIntervalSeconds + 1800) * 1000;
}

/**
 * The match-id prefix a run's sheets get, chosen from what changes their content: `match` (ids
 * `match_001`…, as the original) for the original items, players and seed, else `sim` and six hex
 * digits of a hash of those options, so every configuration has ids of its own and a changed
 * setting never collides (HTTP 409) with sheets stored by an earlier run. The number of matches
 * is not part of it: a longer run extends a shorter one. An explicit `matchPrefix` is kept.
 * @example
 * chooseMatchPrefix({ seed: 7 }); // "sim" + 6 hex digits
 */
export function chooseMatchPrefix(options: SimulationOptions = {}): string {
  if (options.matchPrefix !== undefined) return options.matchPrefix;
  const resolved = { ...SIMULATION_DEFAULTS, ...withoutUndefined(options) };
  const identity: Record<string, unknown> = {
    items: [...resolved.items],
    playersPerMatch: resolved.playersPerMatch,
    seed: resolved.seed,
  };
  // Options beyond the notebook's three enter the hash only when changed, so its prefixes stay put.
  for (const key of ["maxPerItem", "mapSize", "startTime", "matchIntervalSeconds"] as const) {
    if (canonicalOption(resolved[key]) !== canonicalOption(SIMULATION_DEFAULTS[key])) {
      identity[key] = resolved[key];
    }
  }
  const isOriginal = Object.keys(identity).length === 3 &&
    resolved.playersPerMatch === SIMULATION_DEFAULTS.playersPerMatch &&
    resolved.seed === SIMULATION_DEFAULTS.seed &&
    resolved.items.join(",") === SIMULATION_DEFAULTS.items.join(",");
  return isOriginal ? SIMULATION_DEFAULTS.matchPrefix : `sim${hashJson(identity).slice(0, 6)}`;
}

function canonicalOption(value: unknown): string {
  return typeof value === "string" && !Number.isNaN(Date.parse(value))
    ? new Date(value).toISOString()
    : JSON.stringify(value);
}
