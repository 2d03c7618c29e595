/**
 * Analytics over groups, time and players, computed locally from sheets: the reference the server's
 * rollups are tested against (its answers must equal these), and what the notebook uses offline.
 * @module
 */
import { aggregateLoot } from "./aggregate.ts";
import { parseIsoTimestamp } from "./timestamps.ts";
import type { Aggregate, LootCounts, StatSheet } from "./types.ts";

/** Dimensions `GET /api/aggregate?group_by=` groups by. */
export const GROUP_BY_DIMENSIONS = ["game_mode", "player_level", "hour", "day"] as const;
/** A dimension of {@link GROUP_BY_DIMENSIONS}. */
export type GroupBy = typeof GROUP_BY_DIMENSIONS[number];

/** Bucket widths of `GET /api/timeseries`. */
export const TIME_INTERVALS = ["minute", "hour", "day"] as const;
/** An interval of {@link TIME_INTERVALS}. */
export type TimeInterval = typeof TIME_INTERVALS[number];

/** Milliseconds in each {@link TimeInterval}. */
export const INTERVAL_MS: Readonly<Record<TimeInterval, number>> = Object.freeze({
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
});

/** Most buckets one time series answers (400 beyond, naming the limit). */
export const MAX_TIME_BUCKETS = 10_000;

/** One group of a grouped aggregate: its key (null for sheets without the field) and its totals. */
export interface AggregateGroup extends Aggregate {
  /** The group's value: a mode, a level, or a bucket's ISO start; null for sheets without it. */
  key: string | number | null;
}

/** The `data` of `GET /api/aggregate?group_by=…`. */
export interface GroupedAggregate {
  /** The dimension grouped by. */
  group_by: GroupBy;
  /** Sorted by key (numerically for `player_level`), the null group last. */
  groups: AggregateGroup[];
}

/** One bucket of a time series. */
export interface TimeBucket {
  /** The bucket's start, ISO 8601 UTC without fractions (`2025-10-23T10:00:00Z`). */
  start: string;
  /** Sheets stamped in the bucket (with `item`: only those that looted it). */
  sheets: number;
  /** Units looted (with `item`: that item's units). */
  units: number;
  /** Units per item (with `item`: that item only). */
  total_items: LootCounts;
}

/** The `data` of `GET /api/timeseries`. */
export interface Timeseries {
  /** Bucket width. */
  interval: TimeInterval;
  /** Oldest first, empty buckets inside the range included with zeros. */
  buckets: TimeBucket[];
}

/** One match in a player's history. */
export interface PlayerMatch {
  /** The match. */
  match_id: string;
  /** The sheet's timestamp as stored. */
  timestamp: string;
  /** The match's game mode; null when the sheet had none. */
  game_mode: string | null;
  /** The player's level in that match; null when not sent. */
  player_level: number | null;
  /** Units looted in that match. */
  units: number;
}

/** The `data` of `GET /api/players/:player_id`. */
export interface PlayerSummary {
  /** The player. */
  player_id: string;
  /** Matches (sheets) played. */
  matches: number;
  /** Timestamp of the first match, ISO 8601. */
  first_seen: string;
  /** Timestamp of the latest match, ISO 8601. */
  last_seen: string;
  /** Units per item over every match, sorted by item. */
  total_items: LootCounts;
  /** Every match, oldest first. */
  history: PlayerMatch[];
}

/** One row of `GET /api/players`. */
export interface PlayerRow {
  /** The player. */
  player_id: string;
  /** Matches (sheets) played. */
  matches: number;
  /** Units looted over those matches. */
  units: number;
  /** Level in the latest match; null when it was not sent. */
  last_level: number | null;
  /** Timestamp of the latest match, ISO 8601. */
  last_seen: string;
}

/** An instant as a bucket start: ISO 8601 UTC without fractions. */
export function formatBucketStart(epochMs: number): string {
  return new Date(epochMs).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The start of the `interval` bucket holding `epochMs`. */
export function bucketStartOf(epochMs: number, interval: TimeInterval): number {
  const width = INTERVAL_MS[interval];
  return Math.floor(epochMs / width) * width;
}

/** A sheet's timestamp in epoch ms (sheets from the simulator always carry one). */
function timeOf(sheet: StatSheet): number {
  const ms = sheet.timestamp === undefined ? undefined : parseIsoTimestamp(sheet.timestamp);
  if (ms === undefined) {
    throw new Error(`Sheet ${sheet.match_id}/${sheet.player_id} has no timestamp`);
  }
  return ms;
}

/** The key of `sheet` along `groupBy`, or null when the sheet lacks the field. */
export function groupKeyOf(sheet: StatSheet, groupBy: GroupBy): string | number | null {
  switch (groupBy) {
    case "game_mode":
      return sheet.game_mode ?? null;
    case "player_level":
      return sheet.player_level ?? null;
    case "hour":
    case "day":
      return formatBucketStart(bucketStartOf(timeOf(sheet), groupBy));
  }
}

/** Orders group keys as the API does: numbers numerically, strings by code unit, null last. */
export function compareGroupKeys(a: string | number | null, b: string | number | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a) < String(b) ? -1 : 1;
}

/**
 * Totals per group, as `GET /api/aggregate?group_by=` answers them.
 * @example
 * groupAggregate(sheets, "game_mode").groups[0]; // { key: "duos", total_items: {…}, … }
 */
export function groupAggregate(sheets: Iterable<StatSheet>, groupBy: GroupBy): GroupedAggregate {
  const groups = new Map<string | number | null, StatSheet[]>();
  for (const sheet of sheets) {
    const key = groupKeyOf(sheet, groupBy);
    const members = groups.get(key);
    if (members) members.push(sheet);
    else groups.set(key, [sheet]);
  }
  return {
    group_by: groupBy,
    groups: [...groups.keys()].sort(compareGroupKeys).map((key) => ({
      key,
      ...aggregateLoot(groups.get(key)!),
    })),
  };
}

/**
 * Sheets, units and units per item in each time bucket, oldest first, gaps filled with zeros, from
 * `sinceMs` (or the first sheet's bucket) to `untilMs` (exclusive; or the last sheet's bucket).
 */
export function buildTimeseries(
  sheets: Iterable<StatSheet>,
  options: { interval: TimeInterval; item?: string; sinceMs?: number; untilMs?: number },
): Timeseries {
  const { interval, item } = options;
  const width = INTERVAL_MS[interval];
  const buckets = new Map<number, TimeBucket>();
  for (const sheet of sheets) {
    const ms = timeOf(sheet);
    if (options.sinceMs !== undefined && ms < options.sinceMs) continue;
    if (options.untilMs !== undefined && ms >= options.untilMs) continue;
    const looted = item === undefined
      ? Object.entries(sheet.looted_items)
      : Object.entries(sheet.looted_items).filter(([name, count]) => name === item && count > 0);
    if (item !== undefined && looted.length === 0) continue;
    const start = bucketStartOf(ms, interval);
    const bucket = buckets.get(start) ?? emptyBucket(start);
    bucket.sheets++;
    for (const [name, count] of looted) {
      bucket.units += count;
      bucket.total_items[name] = (bucket.total_items[name] ?? 0) + count;
    }
    buckets.set(start, bucket);
  }
  const starts = [...buckets.keys()];
  const first = options.sinceMs !== undefined
    ? bucketStartOf(options.sinceMs, interval)
    : Math.min(...starts);
  const last = options.untilMs !== undefined
    ? bucketStartOf(options.untilMs - 1, interval)
    : Math.max(...starts);
  const filled: TimeBucket[] = [];
  if (Number.isFinite(first) && Number.isFinite(last)) {
    for (let start = first; start <= last; start += width) {
      const bucket = buckets.get(start) ?? emptyBucket(start);
      bucket.total_items = sortedCounts(bucket.total_items);
      filled.push(bucket);
    }
  }
  return { interval, buckets: filled };
}

function emptyBucket(start: number): TimeBucket {
  return { start: formatBucketStart(start), sheets: 0, units: 0, total_items: {} };
}

function sortedCounts(counts: LootCounts): LootCounts {
  return Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : 1)));
}

function unitsOf(sheet: StatSheet): number {
  let units = 0;
  for (const count of Object.values(sheet.looted_items)) units += count;
  return units;
}

/** A player's matches and totals, as `GET /api/players/:player_id` answers; undefined when unknown. */
export function summarizePlayer(
  sheets: Iterable<StatSheet>,
  playerId: string,
): PlayerSummary | undefined {
  const own = [...sheets].filter((sheet) => sheet.player_id === playerId)
    .map((sheet) => ({ sheet, ms: timeOf(sheet) }))
    .sort((a, b) => a.ms - b.ms || (a.sheet.match_id < b.sheet.match_id ? -1 : 1));
  if (own.length === 0) return undefined;
  return {
    player_id: playerId,
    matches: own.length,
    first_seen: new Date(own[0]!.ms).toISOString(),
    last_seen: new Date(own.at(-1)!.ms).toISOString(),
    total_items: aggregateLoot(own.map(({ sheet }) => sheet)).total_items,
    history: own.map(({ sheet }) => ({
      match_id: sheet.match_id,
      timestamp: sheet.timestamp!,
      game_mode: sheet.game_mode ?? null,
      player_level: sheet.player_level ?? null,
      units: unitsOf(sheet),
    })),
  };
}

/**
 * Every player, most matches first (ties by player id), as `GET /api/players` pages them; with
 * `gameMode`, counting only that mode's matches.
 */
export function rankPlayers(
  sheets: Iterable<StatSheet>,
  options: { gameMode?: string } = {},
): PlayerRow[] {
  const players = new Map<string, PlayerRow & { lastMs: number }>();
  for (const sheet of sheets) {
    if (options.gameMode !== undefined && sheet.game_mode !== options.gameMode) continue;
    const ms = timeOf(sheet);
    const row = players.get(sheet.player_id) ??
      {
        player_id: sheet.player_id,
        matches: 0,
        units: 0,
        last_level: null,
        last_seen: "",
        lastMs: -Infinity,
      };
    row.matches++;
    row.units += unitsOf(sheet);
    if (ms >= row.lastMs) {
      row.lastMs = ms;
      row.last_level = sheet.player_level ?? null;
      row.last_seen = new Date(ms).toISOString();
    }
    players.set(sheet.player_id, row);
  }
  return [...players.values()]
    .sort((a, b) => b.matches - a.matches || (a.player_id < b.player_id ? -1 : 1))
    .map(({ lastMs: _lastMs, ...row }) => row);
}
