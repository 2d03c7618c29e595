/**
 * Reads of experiments and anomalies on PostgreSQL. Experiments come from the per-player rollups
 * (one row per player, never a scan of the sheets); anomalies are lib's rules in SQL, as the
 * SQLite store computes them: per-mode medians and MADs of units per minute by window functions,
 * location rules over `sheet_items`, all in double precision as lib's arithmetic.
 * @module
 */
import {
  type AnomaliesRequest,
  type AnomalyRow,
  type AnomalyRule,
  type ExperimentListing,
  type ExperimentMetric,
  LOCATION_RULE_SCORE,
  MAP_SIZE,
  type ModeRateStats,
  rateScore,
  rateThreshold,
  STACK_MIN_ITEMS,
  type VariantStats,
} from "../../lib/mod.ts";
import type { PostgresSql } from "./postgres_connect.ts";

/** Every experiment with its variants' sheets and players, from the player rollup. */
export async function readExperiments(sql: PostgresSql): Promise<ExperimentListing[]> {
  const rows = await sql<
    { experiment: string; variant: string; sheets: number; players: number }[]
  >`
    SELECT experiment, variant, SUM(sheets) AS sheets, COUNT(*) AS players
    FROM rollup_experiment_players GROUP BY experiment, variant ORDER BY experiment, variant`;
  const listings: ExperimentListing[] = [];
  for (const { experiment, variant, sheets, players } of rows) {
    let listing = listings.at(-1);
    if (listing?.experiment !== experiment) {
      listing = { experiment, variants: [] };
      listings.push(listing);
    }
    listing.variants.push({ variant, sheets, players });
  }
  return listings;
}

/**
 * One experiment's variants summarised in SQL over the per-player rollup: each player's metric is
 * total / sheets (an item's units from the item rollup, 0 for players without it); mean and sample
 * variance across players, as lib's `summarizeVariants`, by PostgreSQL's `avg` and `var_samp`
 * (numerically stable in one pass). The rows never leave the database.
 */
export async function readExperimentStats(
  sql: PostgresSql,
  experiment: string,
  metric: ExperimentMetric,
): Promise<VariantStats[]> {
  const players = metric.kind === "units"
    ? sql`SELECT p.variant, p.sheets, p.units::float8 / p.sheets AS value
        FROM rollup_experiment_players p WHERE p.experiment = ${experiment} AND p.sheets > 0`
    : sql`SELECT p.variant, p.sheets, COALESCE(i.units, 0)::float8 / p.sheets AS value
        FROM rollup_experiment_players p
        LEFT JOIN rollup_experiment_items i ON i.experiment = p.experiment
          AND i.item = ${metric.item} AND i.variant = p.variant AND i.player_id = p.player_id
        WHERE p.experiment = ${experiment} AND p.sheets > 0`;
  const rows = await sql<
    { variant: string; n: number; sheets: number; mean: number; variance: number | null }[]
  >`
    SELECT variant, COUNT(*) AS n, SUM(sheets) AS sheets, AVG(value) AS mean,
      VAR_SAMP(value) AS variance
    FROM (${players}) p GROUP BY variant ORDER BY variant`;
  return rows.map(({ variance, ...stats }) => ({ ...stats, variance: variance ?? NaN }));
}

/** A sheet's units per minute over `stat_sheets s`, in double precision (lib's lootRate). */
const RATE_SQL =
  "CASE WHEN s.match_duration > 0 THEN (s.units * 60)::float8 / s.match_duration END";

/** Median of `value` per mode over rows `source` (columns mode, value): the two middle rows' mean. */
function medianByModeSql(source: string): string {
  return `SELECT mode, (MIN(value) + MAX(value)) / 2 AS value FROM (
      SELECT mode, value, ROW_NUMBER() OVER (PARTITION BY mode ORDER BY value) AS k,
        COUNT(*) OVER (PARTITION BY mode) AS n FROM (${source}) r
    ) ranked WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY mode`;
}

/** Median and MAD of units per minute in each game mode ('' for sheets without one). */
export async function readModeRateStats(sql: PostgresSql): Promise<Map<string, ModeRateStats>> {
  const rates = `SELECT COALESCE(s.game_mode, '') AS mode, ${RATE_SQL} AS value
    FROM stat_sheets s WHERE s.match_duration > 0`;
  const rows = await sql.unsafe<{ mode: string; median: number; mad: number }[]>(
    `WITH rates AS (${rates}), medians AS (${medianByModeSql("SELECT * FROM rates")}),
     deviations AS (SELECT r.mode, abs(r.value - m.value) AS value
       FROM rates r JOIN medians m ON m.mode = r.mode),
     mads AS (${medianByModeSql("SELECT * FROM deviations")})
     SELECT m.mode, m.value AS median, d.value AS mad FROM medians m JOIN mads d ON d.mode = m.mode`,
  );
  return new Map(rows.map(({ mode, median, mad }) => [mode, { median, mad }]));
}

/** A page of flagged sheets, newest first: lib's rules, computed in SQL. */
export async function readAnomalies(
  sql: PostgresSql,
  request: AnomaliesRequest,
): Promise<AnomalyRow[]> {
  const stats = await readModeRateStats(sql);
  const params: (string | number)[] = [];
  const bind = (value: string | number) => {
    params.push(value);
    return `$${params.length}`;
  };
  const thresholds: string[] = [];
  for (const [mode, modeStats] of stats) {
    const threshold = rateThreshold(modeStats);
    if (threshold !== undefined) {
      thresholds.push(`(${bind(mode)}::text, ${bind(threshold)}::float8)`);
    }
  }
  const thresholdCte = thresholds.length > 0
    ? `thresholds (mode, value) AS (VALUES ${thresholds.join(", ")})`
    : "thresholds (mode, value) AS (SELECT NULL::text, NULL::float8 WHERE false)";
  const clauses: string[] = [];
  if (request.gameMode !== undefined) clauses.push(`s.game_mode = ${bind(request.gameMode)}`);
  if (request.beforeId !== undefined) clauses.push(`s.id < ${bind(request.beforeId)}`);
  const offMap = `x < 0 OR x > ${MAP_SIZE.width} OR y < 0 OR y > ${MAP_SIZE.height}`;
  const rows = await sql.unsafe<{
    id: number;
    match_id: string;
    player_id: string;
    mode: string;
    rate: number | null;
    fast: boolean;
    outside: boolean;
    stacked: boolean;
  }[]>(
    `WITH ${thresholdCte},
     outside AS (SELECT DISTINCT sheet_id FROM sheet_items WHERE x IS NOT NULL AND (${offMap})),
     stacked AS (SELECT DISTINCT sheet_id FROM sheet_items WHERE x IS NOT NULL
       GROUP BY sheet_id, x, y HAVING COUNT(*) >= ${STACK_MIN_ITEMS}),
     checked AS (
       SELECT s.id, s.match_id, s.player_id, COALESCE(s.game_mode, '') AS mode, ${RATE_SQL} AS rate,
         COALESCE(${RATE_SQL} > t.value, false) AS fast,
         o.sheet_id IS NOT NULL AS outside, k.sheet_id IS NOT NULL AS stacked
       FROM stat_sheets s
         LEFT JOIN thresholds t ON t.mode = COALESCE(s.game_mode, '')
         LEFT JOIN outside o ON o.sheet_id = s.id LEFT JOIN stacked k ON k.sheet_id = s.id
       ${clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : ""}
     )
     SELECT * FROM checked WHERE fast OR outside OR stacked ORDER BY id DESC
     LIMIT ${bind(request.limit)}`,
    params,
  );
  return rows.map((row) => {
    const rules: AnomalyRule[] = [];
    if (row.fast) rules.push("loot_rate");
    if (row.outside) rules.push("outside_map");
    if (row.stacked) rules.push("stacked_location");
    const locationRules = (row.outside ? 1 : 0) + (row.stacked ? 1 : 0);
    return {
      id: row.id,
      match_id: row.match_id,
      player_id: row.player_id,
      rules,
      score: rateScore(row.rate ?? undefined, stats.get(row.mode)) +
        LOCATION_RULE_SCORE * locationRules,
    };
  });
}
