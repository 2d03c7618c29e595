/**
 * The rollups of the PostgreSQL store, as set-based SQL: each statement reads the sheets a
 * transaction just inserted (ids `$1`), groups them, and upserts the sums into shard `$2` of its
 * table, in key order. The same grouping over every sheet is the recount `checkPostgresRollups`
 * compares the tables with.
 * @module
 */
import {
  binIndexSql,
  GROUP_BY_DIMENSIONS,
  ROLLUP_RESOLUTIONS,
  TIME_INTERVALS,
} from "../../lib/mod.ts";
import { bucketPostgresSql, groupKeyPostgresSql } from "./postgres_schema.ts";

/** The sheets of one insert: ids `$1` (a bigint array). */
const NEW_SHEETS = "SELECT * FROM stat_sheets WHERE id = ANY($1::bigint[])";
/** Every sheet, for recounts. */
const ALL_SHEETS = "SELECT * FROM stat_sheets";

/** Sheets `sheets` once per group they count in: dimension '*' (every sheet) and each of lib's. */
function keyedSql(sheets: string): string {
  const keys = GROUP_BY_DIMENSIONS.map((dimension) =>
    `('${dimension}', ${groupKeyPostgresSql(dimension, "s.")})`
  );
  return `SELECT s.id, s.match_id, s.player_id, k.dimension COLLATE "C" AS dimension,
      k.key COLLATE "C" AS key
    FROM (${sheets}) s CROSS JOIN LATERAL (VALUES ('*', ''), ${
    keys.join(", ")
  }) AS k (dimension, key)`;
}

function membersSql(sheets: string): string {
  return `SELECT DISTINCT k.dimension, k.key, m.kind COLLATE "C" AS kind, m.member
    FROM (${keyedSql(sheets)}) k
    CROSS JOIN LATERAL (VALUES ('m', k.match_id), ('p', k.player_id)) AS m (kind, member)`;
}

function groupItemsSql(sheets: string): string {
  return `SELECT k.dimension, k.key, i.item, SUM(i.count)::bigint AS units
    FROM (${keyedSql(sheets)}) k JOIN sheet_items i ON i.sheet_id = k.id GROUP BY 1, 2, 3`;
}

function cellsSql(sheets: string): string {
  return ROLLUP_RESOLUTIONS.map((bins) =>
    `SELECT i.item, ${bins} AS bins, ${binIndexSql("x", bins, { dialect: "postgres" })} AS col,
       ${binIndexSql("y", bins, { dialect: "postgres" })} AS row, SUM(i.count)::bigint AS units
     FROM sheet_items i WHERE i.sheet_id IN (SELECT id FROM (${sheets}) s)
       AND i.count > 0 AND i.x IS NOT NULL GROUP BY 1, 2, 3, 4`
  ).join(" UNION ALL ");
}

function timeSql(sheets: string): string {
  return TIME_INTERVALS.map((interval) =>
    `SELECT '${interval}' AS interval, ${
      bucketPostgresSql(interval, "s.ts_ms")
    } AS bucket, COALESCE(s.game_mode, '') AS game_mode, COUNT(*) AS sheets,
       SUM(s.units)::bigint AS units
     FROM (${sheets}) s GROUP BY 2, 3`
  ).join(" UNION ALL ");
}

function timeItemsSql(sheets: string): string {
  return TIME_INTERVALS.map((interval) =>
    `SELECT '${interval}' AS interval, i.item, ${
      bucketPostgresSql(interval, "s.ts_ms")
    } AS bucket, COALESCE(s.game_mode, '') AS game_mode,
       COUNT(*) FILTER (WHERE i.count > 0) AS sheets, SUM(i.count)::bigint AS units
     FROM (${sheets}) s JOIN sheet_items i ON i.sheet_id = s.id GROUP BY 2, 3, 4`
  ).join(" UNION ALL ");
}

/** Per (mode or '*', player): matches, units, and the level and time of the latest by (ts_ms, id). */
function playersSql(sheets: string): string {
  return `SELECT p.mode AS game_mode, p.player_id, COUNT(*) AS matches, SUM(p.units)::bigint AS units,
      (array_agg(p.player_level ORDER BY p.ts_ms DESC, p.id DESC))[1] AS last_level,
      MAX(p.ts_ms) AS last_seen_ms, (array_agg(p.id ORDER BY p.ts_ms DESC, p.id DESC))[1] AS last_id
    FROM (SELECT '*' AS mode, s.* FROM (${sheets}) s
      UNION ALL SELECT s.game_mode, s.* FROM (${sheets}) s WHERE s.game_mode IS NOT NULL) p
    GROUP BY 1, 2`;
}

const EXPERIMENT_SHEETS = "s.experiment IS NOT NULL AND s.variant IS NOT NULL";

function experimentPlayersSql(sheets: string): string {
  return `SELECT s.experiment, s.variant, s.player_id, COUNT(*) AS sheets, SUM(s.units)::bigint AS units
    FROM (${sheets}) s WHERE ${EXPERIMENT_SHEETS} GROUP BY 1, 2, 3`;
}

function experimentItemsSql(sheets: string): string {
  return `SELECT s.experiment, i.item, s.variant, s.player_id, SUM(i.count)::bigint AS units
    FROM (${sheets}) s JOIN sheet_items i ON i.sheet_id = s.id WHERE ${EXPERIMENT_SHEETS}
    GROUP BY 1, 2, 3, 4`;
}

/** `SET column = table.column + excluded.column` for each summed column. */
function addExcluded(table: string, columns: readonly string[]): string {
  return columns.map((column) => `${column} = ${table}.${column} + excluded.${column}`).join(", ");
}

/**
 * Upserts a grouping `select` (key columns then summed ones) into shard `$2` of `table`, in key
 * order: two transactions meeting on a shard lock its rows in the same order, so they queue
 * rather than deadlock.
 */
function shardedUpsert(
  table: string,
  keys: readonly string[],
  sums: readonly string[],
  select: string,
): string {
  const order = keys.map((_, index) => index + 1).join(", ");
  return `INSERT INTO ${table} (${keys.join(", ")}, shard, ${sums.join(", ")})
    SELECT ${keys.map((key) => `g.${key}`).join(", ")}, $2::smallint, ${
    sums.map((sum) => `g.${sum}`).join(", ")
  }
    FROM (${select}) g ORDER BY ${order}
    ON CONFLICT (${keys.join(", ")}, shard) DO UPDATE SET ${addExcluded(table, sums)}`;
}

/**
 * The statements that add one transaction's new sheets (ids `$1`, and shard `$2` in those that
 * mention it: the unsharded tables' statements take only `$1`) to every rollup, in
 * the order they must run (sheet_items first written by the caller). Every transaction takes row
 * locks in this one order, table by table and by key within a table, so concurrent writers never
 * deadlock. Member rows come first: `INSERT … ON CONFLICT DO NOTHING RETURNING` returns only
 * members new to their group, and a second writer inserting the same member waits for the first
 * to commit (then counts nothing) or roll back (then counts it), so distinct counts stay exact.
 */
export const ROLLUP_STATEMENTS: readonly string[] = [
  `WITH keyed AS (${keyedSql(NEW_SHEETS)}),
   fresh AS (
     INSERT INTO rollup_group_members (dimension, key, kind, member)
     SELECT * FROM (${membersSql(NEW_SHEETS)}) m ORDER BY 1, 2, 3, 4
     ON CONFLICT DO NOTHING RETURNING dimension, key, kind
   ),
   counts AS (SELECT dimension, key, COUNT(*) AS sheets FROM keyed GROUP BY 1, 2),
   news AS (
     SELECT dimension, key, COUNT(*) FILTER (WHERE kind = 'm') AS matches,
       COUNT(*) FILTER (WHERE kind = 'p') AS players
     FROM fresh GROUP BY 1, 2
   )
   INSERT INTO rollup_groups (dimension, key, shard, sheets, matches, players)
   SELECT c.dimension, c.key, $2::smallint, c.sheets, COALESCE(n.matches, 0), COALESCE(n.players, 0)
   FROM counts c LEFT JOIN news n ON n.dimension = c.dimension AND n.key = c.key
   ORDER BY 1, 2
   ON CONFLICT (dimension, key, shard) DO UPDATE SET
     ${addExcluded("rollup_groups", ["sheets", "matches", "players"])}`,
  shardedUpsert(
    "rollup_group_items",
    ["dimension", "key", "item"],
    ["units"],
    groupItemsSql(NEW_SHEETS),
  ),
  shardedUpsert("rollup_cells", ["item", "bins", "col", "row"], ["units"], cellsSql(NEW_SHEETS)),
  shardedUpsert(
    "rollup_time",
    ["interval", "bucket", "game_mode"],
    ["sheets", "units"],
    timeSql(NEW_SHEETS),
  ),
  shardedUpsert(
    "rollup_time_items",
    ["interval", "item", "bucket", "game_mode"],
    ["sheets", "units"],
    timeItemsSql(NEW_SHEETS),
  ),
  // Not sharded (a player is not a hot row); the newest match by (ts_ms, id) wins the level, so
  // the order in which concurrent writers commit does not matter.
  `INSERT INTO rollup_players (game_mode, player_id, matches, units, last_level, last_seen_ms, last_id)
   SELECT * FROM (${playersSql(NEW_SHEETS)}) p ORDER BY 1, 2
   ON CONFLICT (game_mode, player_id) DO UPDATE SET
     ${addExcluded("rollup_players", ["matches", "units"])},
     last_level = CASE WHEN (excluded.last_seen_ms, excluded.last_id)
       > (rollup_players.last_seen_ms, rollup_players.last_id)
       THEN excluded.last_level ELSE rollup_players.last_level END,
     last_id = CASE WHEN (excluded.last_seen_ms, excluded.last_id)
       > (rollup_players.last_seen_ms, rollup_players.last_id)
       THEN excluded.last_id ELSE rollup_players.last_id END,
     last_seen_ms = GREATEST(rollup_players.last_seen_ms, excluded.last_seen_ms)`,
  `INSERT INTO rollup_experiment_players (experiment, variant, player_id, sheets, units)
   SELECT * FROM (${experimentPlayersSql(NEW_SHEETS)}) p ORDER BY 1, 2, 3
   ON CONFLICT (experiment, variant, player_id) DO UPDATE SET
     ${addExcluded("rollup_experiment_players", ["sheets", "units"])}`,
  `INSERT INTO rollup_experiment_items (experiment, item, variant, player_id, units)
   SELECT * FROM (${experimentItemsSql(NEW_SHEETS)}) p ORDER BY 1, 2, 3, 4
   ON CONFLICT (experiment, item, variant, player_id) DO UPDATE SET
     ${addExcluded("rollup_experiment_items", ["units"])}`,
];

/**
 * Each rollup table as stored (shards summed) beside a recount of it from every sheet, with the
 * same columns: `checkPostgresRollups` lists the rows where they differ.
 */
export const ROLLUP_RECOUNTS: readonly { table: string; stored: string; recount: string }[] = [
  {
    table: "rollup_group_members",
    stored: "SELECT dimension, key, kind, member FROM rollup_group_members",
    recount: membersSql(ALL_SHEETS),
  },
  {
    table: "rollup_groups",
    stored: `SELECT dimension, key, SUM(sheets)::bigint, SUM(matches)::bigint, SUM(players)::bigint
      FROM rollup_groups GROUP BY 1, 2`,
    recount: `SELECT dimension, key, COUNT(*), COUNT(DISTINCT match_id), COUNT(DISTINCT player_id)
      FROM (${keyedSql(ALL_SHEETS)}) k GROUP BY 1, 2`,
  },
  {
    table: "rollup_group_items",
    stored:
      "SELECT dimension, key, item, SUM(units)::bigint FROM rollup_group_items GROUP BY 1, 2, 3",
    recount: groupItemsSql(ALL_SHEETS),
  },
  {
    table: "rollup_cells",
    stored: `SELECT item, bins, col, row, SUM(units)::bigint FROM rollup_cells
      GROUP BY 1, 2, 3, 4 HAVING SUM(units) <> 0`,
    recount: cellsSql(ALL_SHEETS),
  },
  {
    table: "rollup_time",
    stored: `SELECT interval, bucket, game_mode, SUM(sheets)::bigint, SUM(units)::bigint
      FROM rollup_time GROUP BY 1, 2, 3`,
    recount: timeSql(ALL_SHEETS),
  },
  {
    table: "rollup_time_items",
    stored: `SELECT interval, item, bucket, game_mode, SUM(sheets)::bigint, SUM(units)::bigint
      FROM rollup_time_items GROUP BY 1, 2, 3, 4`,
    recount: timeItemsSql(ALL_SHEETS),
  },
  {
    table: "rollup_players",
    stored: `SELECT game_mode, player_id, matches, units, last_level, last_seen_ms, last_id
      FROM rollup_players`,
    recount: playersSql(ALL_SHEETS),
  },
  {
    table: "rollup_experiment_players",
    stored: "SELECT experiment, variant, player_id, sheets, units FROM rollup_experiment_players",
    recount: experimentPlayersSql(ALL_SHEETS),
  },
  {
    table: "rollup_experiment_items",
    stored: "SELECT experiment, item, variant, player_id, units FROM rollup_experiment_items",
    recount: experimentItemsSql(ALL_SHEETS),
  },
  {
    table: "stat_sheets (units)",
    stored: "SELECT id, units FROM stat_sheets",
    recount: `SELECT s.id, COALESCE(SUM(i.count), 0)::bigint FROM stat_sheets s
      LEFT JOIN sheet_items i ON i.sheet_id = s.id GROUP BY 1`,
  },
];
