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

/** Parses the query of `GET /api/aggregate`. */
export function parseAggregateQuery(search: URLSearchParams): AggregateFilter {
  return collect(search, AGGREGATE_PARAMS, readAggregateFilter);
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

const AGGREGATE_PARAMS = ["match_id", "match_prefix", "game_mode", "since", "until"] as const;
const STATS_PARAMS = [
  ...AGGREGATE_PARAMS,
  "player_id",
  "item",
  "limit",
  "offset",
  "cursor",
] as const;
const HEATMAP_PARAMS = ["bins", "match_prefix", "game_mode"] as const;

function readAggregateFilter(read: ParamReader): AggregateFilter {
  return {
    match_id: read.id("match_id"),
    matchPrefix: read.id("match_prefix"),
    gameMode: read.item("game_mode"),
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
