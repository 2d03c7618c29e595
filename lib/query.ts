/**
 * Query strings of the read endpoints, parsed strictly by pure functions: each returns the typed
 * filter the store takes, or throws a `ValidationError` naming every parameter that is wrong.
 * Unknown and repeated parameters are refused rather than silently ignored.
 * @module
 */
import { type Problem, ValidationError } from "./errors.ts";
import { MAX_BINS } from "./heatmap.ts";
import { describeBadItemName } from "./items.ts";
import { parseIsoTimestamp } from "./timestamps.ts";
import { countCharacters } from "./validate.ts";
import type { ExperimentMetric, ExperimentRequest } from "./experiment.ts";
import {
  bucketStartOf,
  GROUP_BY_DIMENSIONS,
  type GroupBy,
  INTERVAL_MS,
  MAX_TIME_BUCKETS,
  TIME_INTERVALS,
  type TimeInterval,
} from "./analytics.ts";
import { EXPORT_FORMATS, type ExportFormat } from "./export.ts";

/** Default and largest page of `GET /api/stats`. */
export const STATS_PAGE: Readonly<{
  /** Sheets per page when the query gives no `limit`. */
  fallback: number;
  /** Largest `limit` accepted. */
  max: number;
}> = Object.freeze({ fallback: 1_000, max: 10_000 });

/** Longest id accepted as a filter (`match_id`, `player_id`, `match_prefix`). */
const MAX_ID_FILTER = 128;

/** Which sheets an aggregate covers; every field optional. */
export interface AggregateFilter {
  /** Only sheets of this exact match (`match_id` parameter). */
  match_id?: string;
  /** Only matches whose id starts with this. */
  matchPrefix?: string;
  /** Only sheets of this game mode (`game_mode` parameter). */
  gameMode?: string;
  /** Only sheets of this experiment (`experiment` parameter). */
  experiment?: string;
  /** Only sheets of this variant (`variant` parameter). */
  variant?: string;
  /** Inclusive lower bound on the sheet's timestamp, epoch ms. */
  sinceMs?: number;
  /** Exclusive upper bound on the sheet's timestamp, epoch ms. */
  untilMs?: number;
}

/** Which sheets a listing returns, and which page of them. */
export interface SheetFilter extends AggregateFilter {
  /** Only sheets of this exact player (`player_id` parameter). */
  player_id?: string;
  /** Only sheets that looted at least one unit of this item. */
  item?: string;
  /** Keyset cursor: only sheets with a smaller id (the `next` of the previous page). */
  beforeId?: number;
  /** Sheets per page, 1 to `STATS_PAGE.max`; `STATS_PAGE.fallback` when the query gives none. */
  limit: number;
  /** Sheets skipped before the page (`offset` parameter); `parseStatsQuery` sets 0 when absent. */
  offset?: number;
}

/** What `GET /api/heatmap/:item` asks for: points when `bins` is absent, else a grid. */
export interface HeatmapRequest {
  /** Item name from the path, checked against `ITEM_NAME_PATTERN`. */
  item: string;
  /** Cells per axis, 1 to `MAX_BINS`; absent asks for the points rather than a grid. */
  bins?: number;
  /** Only matches whose id starts with this (`match_prefix` parameter). */
  matchPrefix?: string;
}

/** Parses the query of `GET /api/stats`. */
export function parseStatsQuery(search: URLSearchParams): SheetFilter {
  return collect(search, STATS_PARAMS, (read) => ({
    ...readAggregateFilter(read),
    player_id: read.id("player_id"),
    item: read.item("item"),
    beforeId: read.integer("cursor", { min: 1, max: Number.MAX_SAFE_INTEGER }),
    limit: read.integer("limit", { min: 1, max: STATS_PAGE.max }) ?? STATS_PAGE.fallback,
    offset: read.integer("offset", { min: 0, max: Number.MAX_SAFE_INTEGER }) ?? 0,
  }));
}

/** What `GET /api/aggregate` asks for: totals over the filtered sheets, grouped when `groupBy` is set. */
export interface AggregateRequest extends AggregateFilter {
  /** Group the totals by this dimension (`group_by` parameter). */
  groupBy?: GroupBy;
}

/** Parses the query of `GET /api/aggregate`. */
export function parseAggregateQuery(search: URLSearchParams): AggregateRequest {
  return collect(search, [...AGGREGATE_PARAMS, "group_by"], (read) => ({
    ...readAggregateFilter(read),
    groupBy: read.choice("group_by", GROUP_BY_DIMENSIONS),
  }));
}

/** What `GET /api/timeseries` asks for. */
export interface TimeseriesRequest {
  /** Bucket width. */
  interval: TimeInterval;
  /** Count only this item: `units` its units, `sheets` the sheets that looted it. */
  item?: string;
  /** Only sheets of this game mode. */
  gameMode?: string;
  /** Only matches whose id starts with this (answered by SQL over the sheets). */
  matchPrefix?: string;
  /** Inclusive lower bound, epoch ms. */
  sinceMs?: number;
  /** Exclusive upper bound, epoch ms. */
  untilMs?: number;
}

/** Parses the query of `GET /api/timeseries`; refuses ranges of more than {@link MAX_TIME_BUCKETS} buckets. */
export function parseTimeseriesQuery(search: URLSearchParams): TimeseriesRequest {
  return collect(search, TIMESERIES_PARAMS, (read) => {
    const interval = read.choice("interval", TIME_INTERVALS);
    if (interval === undefined && !search.has("interval")) {
      read.problem("interval", `interval is required: one of ${TIME_INTERVALS.join(", ")}`);
    }
    const request = {
      interval: interval ?? "hour",
      item: read.item("item"),
      gameMode: read.item("game_mode"),
      matchPrefix: read.id("match_prefix"),
      sinceMs: read.time("since"),
      untilMs: read.time("until"),
    };
    if (
      interval !== undefined && request.sinceMs !== undefined && request.untilMs !== undefined
    ) {
      const buckets = countBuckets(request.sinceMs, request.untilMs, interval);
      if (buckets > MAX_TIME_BUCKETS) {
        read.problem("", describeTooManyBuckets(buckets, interval));
      }
    }
    return request;
  });
}

/** Buckets of `interval` that the range [sinceMs, untilMs) touches. */
export function countBuckets(sinceMs: number, untilMs: number, interval: TimeInterval): number {
  if (untilMs <= sinceMs) return 0;
  return (bucketStartOf(untilMs - 1, interval) - bucketStartOf(sinceMs, interval)) /
      INTERVAL_MS[interval] + 1;
}

/** The message for a series longer than {@link MAX_TIME_BUCKETS}. */
export function describeTooManyBuckets(buckets: number, interval: TimeInterval): string {
  return `The series would have ${buckets} ${interval} buckets, more than the limit of ${MAX_TIME_BUCKETS}: narrow it with since and until, or use a wider interval`;
}

/** Default and largest page of `GET /api/players`. */
export const PLAYERS_PAGE: Readonly<{ fallback: number; max: number }> = Object.freeze({
  fallback: 100,
  max: 1_000,
});

/** Where a page of `GET /api/players` resumes: after this (matches, player id). */
export interface PlayerCursor {
  /** Matches of the last player on the previous page. */
  matches: number;
  /** That player's id (ties on matches are ordered by id). */
  playerId: string;
}

/** What `GET /api/players` asks for. */
export interface PlayersRequest {
  /** Players per page (default 100, at most 1,000). */
  limit: number;
  /** The `next` of the previous page. */
  after?: PlayerCursor;
  /** Count only matches of this mode. */
  gameMode?: string;
}

/** Parses the query of `GET /api/players`. */
export function parsePlayersQuery(search: URLSearchParams): PlayersRequest {
  return collect(search, ["limit", "cursor", "game_mode"], (read) => ({
    limit: read.integer("limit", { min: 1, max: PLAYERS_PAGE.max }) ?? PLAYERS_PAGE.fallback,
    after: read.playerCursor("cursor"),
    gameMode: read.item("game_mode"),
  }));
}

/** The `next` cursor of a players page whose last row is `row`. */
export function formatPlayerCursor(row: { matches: number; player_id: string }): string {
  return `${row.matches}.${row.player_id}`;
}

/** Checks `GET /api/players/:player_id`: the id from the path (1 to 128 characters), no query. */
export function parsePlayerId(playerId: string, search: URLSearchParams): string {
  return collect(search, [], (read) => {
    const characters = countCharacters(playerId);
    if (characters === 0 || characters > MAX_ID_FILTER) {
      read.problem(
        "player_id",
        `player_id must be 1 to ${MAX_ID_FILTER} characters (Unicode code points), got ${characters}`,
      );
    }
    return playerId;
  });
}

/** Parses `GET /api/heatmap/:item`: the item from the path, `bins` and `match_prefix` from the query. */
export function parseHeatmapQuery(item: string, search: URLSearchParams): HeatmapRequest {
  return collect(search, HEATMAP_PARAMS, (read) => {
    const bad = describeBadItemName(item);
    if (bad) read.problem("item", `item ${bad}`);
    return {
      item,
      bins: read.integer("bins", { min: 1, max: MAX_BINS }),
      matchPrefix: read.id("match_prefix"),
      gameMode: read.item("game_mode"),
    };
  });
}

/** Checks `GET /api/experiments`: no query parameters. */
export function parseExperimentsQuery(search: URLSearchParams): Record<never, never> {
  return collect(search, [], () => ({}));
}

/**
 * Parses `GET /api/experiments/:name`: `metric` (`units` or `item:<item>`, default `units`),
 * `control` (default `control`), `split` (comma-separated positive shares) and `alpha` (0 to 1,
 * exclusive; default 0.05).
 */
export function parseExperimentQuery(name: string, search: URLSearchParams): ExperimentRequest {
  return collect(search, ["metric", "control", "split", "alpha"], (read) => {
    const bad = describeBadItemName(name);
    if (bad) read.problem("experiment", `experiment name ${bad}`);
    const metricText = search.get("metric") ?? "units";
    let metric: ExperimentMetric = { kind: "units" };
    if (metricText.startsWith("item:")) {
      const item = metricText.slice(5);
      const badItem = describeBadItemName(item);
      if (badItem) read.problem("metric", `metric item:<item> needs an item name: it ${badItem}`);
      metric = { kind: "item", item };
    } else if (metricText !== "units") {
      read.problem(
        "metric",
        `metric must be units or item:<item>, got ${JSON.stringify(clip(metricText))}`,
      );
    }
    const control = read.item("control") ?? "control";
    let split: number[] | undefined;
    const splitText = search.get("split");
    if (splitText !== null) {
      const parts = splitText.split(",");
      const shares = parts.map((
        part,
      ) => (/^\s*\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(part) ? Number(part) : NaN));
      if (parts.length > 64 || shares.some((share) => !(share > 0) || !Number.isFinite(share))) {
        read.problem(
          "split",
          `split must be positive numbers separated by commas, one per variant (e.g. 0.5,0.5), got ${
            JSON.stringify(clip(splitText))
          }`,
        );
      } else split = shares;
    }
    let alpha = 0.05;
    const alphaText = search.get("alpha");
    if (alphaText !== null) {
      alpha = /^\s*\d*\.?\d+([eE][-+]?\d+)?\s*$/.test(alphaText) ? Number(alphaText) : NaN;
      if (!(alpha > 0 && alpha < 1)) {
        read.problem(
          "alpha",
          `alpha must be a number between 0 and 1 (exclusive), got ${
            JSON.stringify(clip(alphaText))
          }`,
        );
      }
    }
    return { name, metric, control, split, alpha };
  });
}

/** Default and largest page of `GET /api/anomalies`. */
export const ANOMALIES_PAGE: Readonly<{ fallback: number; max: number }> = Object.freeze({
  fallback: 100,
  max: 1_000,
});

/** What `GET /api/anomalies` asks for. */
export interface AnomaliesRequest {
  /** Flagged sheets per page (default 100, at most 1,000). */
  limit: number;
  /** Only sheets with a smaller id (the `next` of the previous page). */
  beforeId?: number;
  /** Only sheets of this game mode. */
  gameMode?: string;
}

/** Parses the query of `GET /api/anomalies`. */
export function parseAnomaliesQuery(search: URLSearchParams): AnomaliesRequest {
  return collect(search, ["limit", "cursor", "game_mode"], (read) => ({
    limit: read.integer("limit", { min: 1, max: ANOMALIES_PAGE.max }) ?? ANOMALIES_PAGE.fallback,
    beforeId: read.integer("cursor", { min: 1, max: Number.MAX_SAFE_INTEGER }),
    gameMode: read.item("game_mode"),
  }));
}

const AGGREGATE_PARAMS = [
  "match_id",
  "match_prefix",
  "game_mode",
  "experiment",
  "variant",
  "since",
  "until",
] as const;
/** What `GET /api/export` asks for: a format and the `/api/stats` filters (no paging). */
export interface ExportRequest {
  /** File format. */
  format: ExportFormat;
  /** Which sheets, as `/api/stats` selects them; every matching sheet is exported. */
  filter: Omit<SheetFilter, "limit" | "offset" | "beforeId">;
}

/** Parses the query of `GET /api/export`; `format` is required. */
export function parseExportQuery(search: URLSearchParams): ExportRequest {
  return collect(search, [...AGGREGATE_PARAMS, "player_id", "item", "format"], (read) => {
    const format = read.choice("format", EXPORT_FORMATS);
    if (format === undefined && !search.has("format")) {
      read.problem("format", `format is required: one of ${EXPORT_FORMATS.join(", ")}`);
    }
    return {
      format: format ?? "csv",
      filter: {
        ...readAggregateFilter(read),
        player_id: read.id("player_id"),
        item: read.item("item"),
      },
    };
  });
}

/** What `GET /api/live` and `/api/live/events` ask for. */
export interface LiveRequest {
  /** Only sheets of this game mode, in the snapshot and in ingest messages. */
  gameMode?: string;
  /** A single-use ticket from `POST /api/live/ticket`, when the server has a read key. */
  ticket?: string;
}

/** Parses the query of the live endpoints. */
export function parseLiveQuery(search: URLSearchParams): LiveRequest {
  return collect(search, ["game_mode", "ticket"], (read) => {
    const ticket = search.get("ticket") ?? undefined;
    if (ticket !== undefined && !/^[A-Za-z0-9_-]{16,64}$/.test(ticket)) {
      read.problem("ticket", "ticket must be the ticket POST /api/live/ticket returned");
    }
    return { gameMode: read.item("game_mode"), ticket };
  });
}

const STATS_PARAMS = [
  ...AGGREGATE_PARAMS,
  "player_id",
  "item",
  "limit",
  "offset",
  "cursor",
] as const;
const HEATMAP_PARAMS = ["bins", "match_prefix", "game_mode"] as const;
const TIMESERIES_PARAMS = [
  "interval",
  "item",
  "game_mode",
  "match_prefix",
  "since",
  "until",
] as const;

function readAggregateFilter(read: ParamReader): AggregateFilter {
  return {
    match_id: read.id("match_id"),
    matchPrefix: read.id("match_prefix"),
    gameMode: read.item("game_mode"),
    experiment: read.item("experiment"),
    variant: read.item("variant"),
    sinceMs: read.time("since"),
    untilMs: read.time("until"),
  };
}

/** Typed readers over one query string; each records a problem instead of throwing. */
interface ParamReader {
  id(name: string): string | undefined;
  item(name: string): string | undefined;
  time(name: string): number | undefined;
  integer(name: string, bounds: { min: number; max: number }): number | undefined;
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined;
  playerCursor(name: string): PlayerCursor | undefined;
  problem(path: string, message: string): void;
}

/**
 * Checks the parameter names, then lets `build` read the values; throws once with every problem.
 * Parameters absent from the query read as undefined.
 */
function collect<T>(
  search: URLSearchParams,
  allowed: readonly string[],
  build: (read: ParamReader) => T,
): T {
  const problems: Problem[] = [];
  const params = new Map<string, string>();
  for (const [name, value] of search) {
    if (!allowed.includes(name)) {
      problems.push({
        path: name,
        message: `Unknown query parameter ${JSON.stringify(clip(name))}; allowed here: ${
          allowed.join(", ") || "none"
        }`,
      });
    } else if (params.has(name)) {
      problems.push({ path: name, message: `Query parameter ${name} is given more than once` });
    } else params.set(name, value);
  }
  const problem = (path: string, message: string) => void problems.push({ path, message });
  const result = build({
    problem,
    id(name) {
      const text = params.get(name);
      if (text === undefined) return undefined;
      const characters = countCharacters(text);
      if (characters === 0 || characters > MAX_ID_FILTER) {
        problem(
          name,
          `${name} must be 1 to ${MAX_ID_FILTER} characters (Unicode code points), got ${characters}`,
        );
      }
      return text;
    },
    item(name) {
      const text = params.get(name);
      if (text === undefined) return undefined;
      const bad = describeBadItemName(text);
      if (bad) problem(name, `${name} ${bad}`);
      return text;
    },
    time(name) {
      const text = params.get(name);
      if (text === undefined) return undefined;
      const ms = parseIsoTimestamp(text);
      if (ms === undefined) {
        problem(
          name,
          `${name} must be an ISO 8601 date-time such as 2025-10-23T10:30:00Z, got ${
            JSON.stringify(clip(text))
          }`,
        );
      }
      return ms;
    },
    choice(name, choices) {
      const text = params.get(name);
      if (text === undefined) return undefined;
      const found = choices.find((choice) => choice === text);
      if (found === undefined) {
        problem(
          name,
          `${name} must be one of ${choices.join(", ")}, got ${JSON.stringify(clip(text))}`,
        );
      }
      return found;
    },
    playerCursor(name) {
      const text = params.get(name);
      if (text === undefined) return undefined;
      const match = /^(\d{1,15})\.(.+)$/s.exec(text);
      if (!match || countCharacters(match[2]!) > MAX_ID_FILTER) {
        problem(
          name,
          `${name} must be the next of a previous page, got ${JSON.stringify(clip(text))}`,
        );
        return undefined;
      }
      return { matches: Number(match[1]), playerId: match[2]! };
    },
    integer(name, { min, max }) {
      const text = params.get(name);
      if (text === undefined) return undefined;
      const value = /^-?\d{1,16}$/.test(text.trim()) ? Number(text) : NaN;
      if (!Number.isSafeInteger(value) || value < min || value > max) {
        problem(
          name,
          `${name} must be an integer from ${min} to ${max}, got ${JSON.stringify(clip(text))}`,
        );
      }
      return value;
    },
  });
  if (problems.length > 0) throw new ValidationError(problems, { summary: "Invalid query" });
  return result;
}

/** Quotes at most 80 characters of what a client sent, so an error never echoes a huge value. */
function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 80)}…` : text;
}
