/**
 * Reads of experiments and anomalies. Experiments come from the per-player rollups of migration 6
 * (one row per player, never a scan of the sheets); anomalies are lib's rules in SQL: per-mode
 * medians and MADs of units per minute by window functions, location rules over `sheet_items`.
 * @module
 */
import type { StatementSync } from "node:sqlite";
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
import { allRows, firstRow, maybeRow, type SqlParam } from "./sqlite_rows.ts";

type Prepare = (sql: string) => StatementSync;

/** Every experiment with its variants' sheets and players, from the player rollup. */
export function readExperiments(prepare: Prepare): ExperimentListing[] {
  const rows = allRows<{ experiment: string; variant: string; sheets: number; players: number }>(
    prepare(
      `SELECT experiment, variant, SUM(sheets) AS sheets, COUNT(*) AS players
       FROM rollup_experiment_players GROUP BY experiment, variant ORDER BY experiment, variant`,
    ),
  );
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
 * One experiment's variants summarised in SQL over the per-player rollup (each player's metric is
 * total / sheets; mean and variance across players, as lib's `summarizeVariants`, in one shifted pass):
 * the rows never leave SQLite. An item's units come from the item rollup, 0 for players without it.
 */
export function readExperimentStats(
  prepare: Prepare,
  experiment: string,
  metric: ExperimentMetric,
): VariantStats[] {
  // Each player's metric, for one variant: a range of the rollup's primary key.
  const players = metric.kind === "units"
    ? `SELECT sheets, units * 1.0 / sheets AS value FROM rollup_experiment_players
       WHERE experiment = ?1 AND variant = ?2 AND sheets > 0`
    // For an item, its units beside each player's sheets: two ranges of the rollups' keys, both
    // in player order, merged (ORDER BY on UNION ALL) and summed per player with no sort. A LEFT
    // JOIN seeking each player's item row was 20 ms per variant of 10,000 players; this is 16.5.
    : `SELECT SUM(sheets) AS sheets, SUM(units) * 1.0 / SUM(sheets) AS value FROM (
         SELECT player_id, sheets, 0 AS units FROM rollup_experiment_players
         WHERE experiment = ?1 AND variant = ?2 AND sheets > 0
         UNION ALL
         SELECT player_id, 0, units FROM rollup_experiment_items
         WHERE experiment = ?1 AND item = ?3 AND variant = ?2
         ORDER BY player_id)
       GROUP BY player_id HAVING SUM(sheets) > 0`;
  // ?1 experiment, ?2 variant, ?3 item (unread for units), ?4 the shift.
  const params = (
    variant: string,
    shift: number,
  ) => [experiment, variant, metric.kind === "units" ? null : metric.item, shift];
  return readVariants(prepare, experiment).map((variant) => {
    // One pass, shifted by the mean of the variant's first players' metric, which lies near the
    // mean of all: the sums of deviations from it stay small, so the variance keeps its digits
    // without a second pass. (The variant's totals gave the shift before: a scan of every player
    // of the experiment, 5 of the 12 ms of the units metric at 20,000 players.)
    const { shift } = firstRow<{ shift: number }>(
      prepare(`SELECT COALESCE(AVG(value), ?4) AS shift FROM (${players} LIMIT 256)`),
      params(variant, 0),
    );
    const { n, sheets, s1, s2 } = firstRow<{ n: number; sheets: number; s1: number; s2: number }>(
      prepare(
        `SELECT COUNT(*) AS n, SUM(sheets) AS sheets, SUM(value - ?4) AS s1,
           SUM((value - ?4) * (value - ?4)) AS s2 FROM (${players})`,
      ),
      params(variant, shift),
    );
    return {
      variant,
      n,
      sheets,
      mean: shift + s1 / n,
      variance: n > 1 ? (s2 - s1 * s1 / n) / (n - 1) : NaN,
    };
  }).filter((stats) => stats.n > 0);
}

/** An experiment's variants in order, one seek of the player rollup's key each. */
function readVariants(prepare: Prepare, experiment: string): string[] {
  const variants: string[] = [];
  const first = prepare(
    "SELECT variant FROM rollup_experiment_players WHERE experiment = ? ORDER BY variant LIMIT 1",
  );
  const next = prepare(
    `SELECT variant FROM rollup_experiment_players WHERE experiment = ? AND variant > ?
     ORDER BY variant LIMIT 1`,
  );
  let row = maybeRow<{ variant: string }>(first, [experiment]);
  while (row !== undefined) {
    variants.push(row.variant);
    row = maybeRow<{ variant: string }>(next, [experiment, row.variant]);
  }
  return variants;
}

/** A sheet's units per minute in SQL over `stat_sheets s` and its units `u.units` (lib's lootRate). */
const RATE_SQL =
  "CASE WHEN s.match_duration > 0 THEN COALESCE(u.units, 0) * 60.0 / s.match_duration END";
/** Each sheet's units, kept beside it since migration 8. */
const UNITS_CTE = "units AS (SELECT id AS sheet_id, units FROM stat_sheets)";

/** Median of `value` per mode over rows `source` (columns mode, value): the two middle rows' mean. */
function medianByModeSql(source: string): string {
  return `SELECT mode, (MIN(value) + MAX(value)) / 2.0 AS value FROM (
      SELECT mode, value, ROW_NUMBER() OVER (PARTITION BY mode ORDER BY value) AS k,
        COUNT(*) OVER (PARTITION BY mode) AS n FROM (${source})
    ) WHERE k IN ((n + 1) / 2, (n + 2) / 2) GROUP BY mode`;
}

/** Median and MAD of units per minute in each game mode ('' for sheets without one). */
export function readModeRateStats(prepare: Prepare): Map<string, ModeRateStats> {
  const rates = `SELECT COALESCE(s.game_mode, '') AS mode, ${RATE_SQL} AS value
    FROM stat_sheets s LEFT JOIN units u ON u.sheet_id = s.id WHERE s.match_duration > 0`;
  const rows = allRows<{ mode: string; median: number; mad: number }>(
    prepare(
      `WITH ${UNITS_CTE}, rates AS (${rates}), medians AS (${
        medianByModeSql("SELECT * FROM rates")
      }),
       deviations AS (SELECT r.mode AS mode, ABS(r.value - m.value) AS value
         FROM rates r JOIN medians m ON m.mode = r.mode),
       mads AS (${medianByModeSql("SELECT * FROM deviations")})
       SELECT m.mode AS mode, m.value AS median, d.value AS mad
       FROM medians m JOIN mads d ON d.mode = m.mode`,
    ),
  );
  return new Map(rows.map(({ mode, median, mad }) => [mode, { median, mad }]));
}

/** A page of flagged sheets, newest first: lib's rules, computed in SQL. */
export function readAnomalies(prepare: Prepare, request: AnomaliesRequest): AnomalyRow[] {
  const stats = readModeRateStats(prepare);
  const thresholds: SqlParam[] = [];
  for (const [mode, modeStats] of stats) {
    const threshold = rateThreshold(modeStats);
    if (threshold !== undefined) thresholds.push(mode, threshold);
  }
  const thresholdCte = thresholds.length > 0
    ? `thresholds (mode, value) AS (VALUES ${"(?, ?), ".repeat(thresholds.length / 2 - 1)}(?, ?))`
    : "thresholds (mode, value) AS (SELECT NULL, NULL WHERE 0)";
  const clauses: string[] = [];
  const params: SqlParam[] = [];
  if (request.gameMode !== undefined) {
    clauses.push("s.game_mode = ?");
    params.push(request.gameMode);
  }
  if (request.beforeId !== undefined) {
    clauses.push("s.id < ?");
    params.push(request.beforeId);
  }
  const offMap = `x < 0 OR x > ${MAP_SIZE.width} OR y < 0 OR y > ${MAP_SIZE.height}`;
  const rows = allRows<{
    id: number;
    match_id: string;
    player_id: string;
    mode: string;
    rate: number | null;
    fast: number;
    outside: number;
    stacked: number;
  }>(
    prepare(
      `WITH ${UNITS_CTE}, ${thresholdCte},
       outside AS (SELECT DISTINCT sheet_id FROM sheet_items WHERE x IS NOT NULL AND (${offMap})),
       stacked AS (SELECT DISTINCT sheet_id FROM sheet_items WHERE x IS NOT NULL
         GROUP BY sheet_id, x, y HAVING COUNT(*) >= ${STACK_MIN_ITEMS}),
       checked AS (
         SELECT s.id AS id, s.match_id AS match_id, s.player_id AS player_id,
           COALESCE(s.game_mode, '') AS mode, ${RATE_SQL} AS rate,
           COALESCE(${RATE_SQL} > t.value, 0) AS fast,
           o.sheet_id IS NOT NULL AS outside, k.sheet_id IS NOT NULL AS stacked
         FROM stat_sheets s LEFT JOIN units u ON u.sheet_id = s.id
           LEFT JOIN thresholds t ON t.mode = COALESCE(s.game_mode, '')
           LEFT JOIN outside o ON o.sheet_id = s.id LEFT JOIN stacked k ON k.sheet_id = s.id
         ${clauses.length > 0 ? `WHERE ${clauses.join(" AND ")}` : ""}
       )
       SELECT * FROM checked WHERE fast OR outside OR stacked ORDER BY id DESC LIMIT ?`,
    ),
    [...thresholds, ...params, request.limit],
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
