/**
 * The rollups, so totals and heatmaps never scan the sheets: counters (sheets, matches, players),
 * units per item, heatmap cells at each of lib's `ROLLUP_RESOLUTIONS`, and the group, time, player
 * and experiment rollups. Folded set-based over a range of sheet ids after the commits that stored
 * them, in steps that each commit on their own with a watermark of their own (`foldStep`, driven by
 * `GroupCommitter.foldStep`); read back as an aggregate.
 * @module
 */
import type { StatementSync } from "node:sqlite";
import {
  type Aggregate,
  BASE_BINS,
  binIndexSql,
  GROUP_BY_DIMENSIONS,
  type GroupBy,
  INTERVAL_MS,
  ROLLUP_RESOLUTIONS,
  TIME_INTERVALS,
} from "../../lib/mod.ts";
import { allRows, firstRow } from "./sqlite_rows.ts";
import { bucketSqlOf, groupKeySql, LOCATION_X_SQL, LOCATION_Y_SQL } from "./sqlite_schema.ts";

/** The aggregate of every stored sheet, read from the rollups. */
export function readRollupAggregate(prepare: (sql: string) => StatementSync): Aggregate {
  const counters = Object.fromEntries(
    allRows<{ name: string; value: number }>(prepare("SELECT name, value FROM rollup_counters"))
      .map(({ name, value }) => [name, value]),
  );
  const items = allRows<{ item: string; units: number }>(
    prepare("SELECT item, units FROM rollup_items ORDER BY item"),
  );
  return {
    total_items: Object.fromEntries(items.map(({ item, units }) => [item, units])),
    total_matches: counters.matches ?? 0,
    total_players: counters.players ?? 0,
    total_stat_sheets: counters.sheets ?? 0,
  };
}

/** A range of sheet ids, `from` excluded and `to` included: the sheets one fold counts. */
export interface SheetRange {
  from: number;
  to: number;
}

/**
 * How far the rollups are folded: `folded` is the last sheet id every fold step counts (the least
 * of their watermarks), `last` the last id handed out (AUTOINCREMENT ids only grow; a resubmission
 * skipped by ON CONFLICT still uses one up), and `unfolded` the sheets stored after `folded`.
 */
export function readFoldState(
  prepare: (sql: string) => StatementSync,
): { folded: number; last: number; unfolded: number } {
  return firstRow<{ folded: number; last: number; unfolded: number }>(prepare(
    `SELECT folded, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stat_sheets'), 0) AS last,
       (SELECT COUNT(*) FROM stat_sheets WHERE id > folded) AS unfolded
     FROM (SELECT COALESCE(MIN(value), 0) AS folded FROM rollup_state
           WHERE name LIKE '${WATERMARK_PREFIX}%')`,
  ));
}

/** The last sheet id handed out (AUTOINCREMENT: ids only grow), 0 before the first sheet. */
export function readLastSheetId(prepare: (sql: string) => StatementSync): number {
  return firstRow<{ last: number }>(prepare(
    "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stat_sheets'), 0) AS last",
  )).last;
}

/** Each fold step's watermark: the last sheet id its rollups count (`rollup_state`). */
export function readStepWatermarks(
  prepare: (sql: string) => StatementSync,
): Record<FoldStep, number> {
  const rows = allRows<{ name: string; value: number }>(
    prepare(`SELECT name, value FROM rollup_state WHERE name LIKE '${WATERMARK_PREFIX}%'`),
  );
  const byName = new Map(rows.map(({ name, value }) => [name, value]));
  return Object.fromEntries(
    FOLD_STEPS.map((step) => [step, byName.get(`${WATERMARK_PREFIX}${step}`) ?? 0]),
  ) as Record<FoldStep, number>;
}

/**
 * The fold, in steps that each commit on their own with a watermark of their own, so that the
 * writes queued meanwhile are committed between two steps rather than after the whole fold: a
 * fold's cost is mostly the rollup pages it rewrites, and splitting it by rollup splits that cost
 * without adding to it. No step reads another's rollups, so each can be a range behind the others
 * (after a crash between two steps, say) and catch up alone: the players step writes one column of
 * the groups' rows, a named mode's players, which the groups step neither reads nor writes. A read
 * of a group waits for both, but may also see one of them a fold ahead of the other (a fold step
 * can commit between a read's wait and its transaction), as it may for two rollup tables.
 */
export const FOLD_STEPS = ["counters", "groups", "time", "players", "items", "cells"] as const;

/** A step of {@link FOLD_STEPS}. */
export type FoldStep = typeof FOLD_STEPS[number];

/** Names of the watermark rows in `rollup_state`: this prefix and the step. */
export const WATERMARK_PREFIX = "folded_through:";

/**
 * The fold step that keeps each rollup table: what a read of the table waits for, and what a check
 * that recounts it recounts through.
 */
export const STEP_OF_TABLE = {
  rollup_counters: "counters",
  // Its players of a game mode are counted by the players step (GAME_MODE_PLAYERS_SQL), every other
  // column by the groups step: see {@link STEPS_OF_TABLE}.
  rollup_groups: "groups",
  rollup_group_members: "groups",
  rollup_time: "time",
  rollup_players: "players",
  rollup_experiment_players: "players",
  rollup_items: "items",
  rollup_group_items: "items",
  rollup_time_items: "items",
  rollup_experiment_items: "items",
  rollup_cells: "cells",
} as const satisfies Record<string, FoldStep>;

/** A rollup table's name. */
export type RollupTable = keyof typeof STEP_OF_TABLE;

/**
 * Every fold step that writes a rollup table: its {@link STEP_OF_TABLE}, and for `rollup_groups`
 * the players step too, which counts the players new to a game mode against the player rollup.
 */
export const STEPS_OF_TABLE: Readonly<Record<RollupTable, readonly FoldStep[]>> = {
  ...Object.fromEntries(
    Object.entries(STEP_OF_TABLE).map(([table, step]) => [table, [step]]),
  ) as Record<RollupTable, FoldStep[]>,
  rollup_groups: ["groups", "players"],
};

/** The fold steps that keep `tables` (rollup tables of {@link STEPS_OF_TABLE}), each once. */
export function foldStepsOf(...tables: RollupTable[]): FoldStep[] {
  return [...new Set(tables.flatMap((table) => STEPS_OF_TABLE[table]))];
}

/**
 * Folds the sheets of `range` into the rollups of `step` and moves its watermark to `range.to`,
 * inside the caller's transaction. Each rollup is one `INSERT … SELECT … GROUP BY … ON CONFLICT DO
 * UPDATE` over the range, whose SELECT is the recount of `checkRollups` restricted to it. A match
 * or player counts as new to a counter or a group when no sheet before the range has it (an index
 * seek), or, for a level or the sheets without a mode, no member row records it (the members are
 * recorded after they are counted); a player is new to a named mode when the player rollup has no
 * row of that mode yet (the players step counts them before it adds the range's rows). The item
 * steps read the range's items from a temporary table unpacked from the JSON once (`itemsReady`
 * says it already holds this range's). Summing in JavaScript maps instead was slower: a map lookup
 * per item and rollup, and one upsert per heatmap cell in no useful order.
 */
export function foldStep(
  prepare: (sql: string) => StatementSync,
  step: FoldStep,
  range: SheetRange,
  { itemsReady = false } = {},
): void {
  const statements = [
    ...((step === "items" || step === "cells") && !itemsReady ? NEW_ITEMS_SQL : []),
    ...STEP_STATEMENTS[step],
  ];
  for (const sql of statements) {
    if (sql.includes("?1")) prepare(sql).run(range.from, range.to);
    else prepare(sql).run();
  }
  prepare("UPDATE rollup_state SET value = ? WHERE name = ?").run(
    range.to,
    `${WATERMARK_PREFIX}${step}`,
  );
}

/** Units a sheet `s` looted, kept beside it at insert. */
const UNITS = "s.units";

/** A new match or player: its column has no sheet stored before the range. */
function firstSeen(column: "match_id" | "player_id"): string {
  return `SELECT COUNT(DISTINCT ${column}) FROM stat_sheets s WHERE s.id > ?1 AND s.id <= ?2 AND NOT EXISTS
    (SELECT 1 FROM stat_sheets o WHERE o.${column} = s.${column} AND o.id <= ?1)`;
}

/**
 * The column a group dimension's key is made of, as a SELECT term: hour and day as the start of
 * their bucket, named `ts_ms`, so that {@link groupKeySql} can make the key of each distinct
 * bucket rather than of every row (`strftime` per row was a third of a group rollup's time).
 */
function groupColumnSql(dimension: GroupBy): string {
  switch (dimension) {
    case "game_mode":
    case "player_level":
      return dimension;
    case "hour":
    case "day":
      return `${bucketSqlOf(dimension)} AS ts_ms`;
  }
}

/**
 * Sums `terms` (SQL aggregates over `source`'s rows) per key of `dimension`, grouped first by
 * {@link groupColumnSql} and then by key; `terms` name their results, and `outer` sums those.
 */
function sumByGroupKey(
  dimension: GroupBy,
  source: string,
  { extraKey = "", inner, outer }: { extraKey?: string; inner: string; outer: string },
): string {
  const extra = extraKey ? `, ${extraKey}` : "";
  const extraGroup = extraKey ? ", 3" : "";
  return `SELECT '${dimension}', ${groupKeySql(dimension)}${extra}, ${outer}
    FROM (SELECT ${groupColumnSql(dimension)}${extra}, ${inner} FROM ${source} GROUP BY 1${
    extraKey ? ", 2" : ""
  })
    GROUP BY 2${extraGroup}`;
}

/**
 * The group dimensions whose distinct players are counted with the help of member rows
 * (`rollup_group_members`, kind 'p'): a mode or a level spans a player's whole history, which no
 * index of the sheets narrows. Of a game mode, only the sheets sent without one (key '') keep
 * member rows: a player new to a named mode is one without a row of that mode in the player
 * rollup ({@link GAME_MODE_PLAYERS_SQL}), and member rows of it would repeat that rollup's keys.
 * Every other new member is found by {@link probeFirstsSql}.
 */
export const MEMBER_DIMENSIONS: readonly GroupBy[] = ["game_mode", "player_level"];

/** SQL keeping, of {@link MEMBER_DIMENSIONS}' member rows, those the fold writes ('p' kind implied). */
export const KEPT_MEMBERS_SQL = `dimension IN (${
  MEMBER_DIMENSIONS.map((dimension) => `'${dimension}'`).join(", ")
}) AND NOT (dimension = 'game_mode' AND key != '')`;

/**
 * A fold's members of `dimension`'s groups of `kind` ('m' matches, 'p' players) that no sheet
 * before the range has in the same group, each once, as rows (group column, kind): the group
 * column is `ts_ms`, the start of the bucket, for hour and day (see {@link groupColumnSql}), else
 * `key`. Found by probing the sheets, through the index on (match_id, player_id) for a match (a
 * match has a bounded number of sheets) and on (player_id, ts_ms) for a player's hour or day (the
 * probe reads only that bucket's sheets), instead of keeping member rows: those were 4 of the 5.8
 * rows per sheet of `rollup_group_members`, the largest rollup (migration 11).
 */
function probeFirstsSql(dimension: GroupBy, kind: "m" | "p"): string {
  const column = kind === "m" ? "match_id" : "player_id";
  const bucketed = dimension === "hour" || dimension === "day";
  const group = bucketed ? "ts_ms" : "key";
  const sameGroup = bucketed
    ? `o.ts_ms >= n.ts_ms AND o.ts_ms < n.ts_ms + ${INTERVAL_MS[dimension]}`
    // Unqualified, the key's columns are the probed sheet's (o): n has none of them.
    : `${groupKeySql(dimension)} = n.key`;
  return `SELECT ${group}, '${kind}' AS kind
    FROM (SELECT DISTINCT ${
    bucketed ? groupColumnSql(dimension) : `${groupKeySql(dimension)} AS key`
  },
            ${column} FROM stat_sheets WHERE id > ?1 AND id <= ?2) n
    WHERE NOT EXISTS (SELECT 1 FROM stat_sheets o
      WHERE o.${column} = n.${column} AND ${sameGroup} AND o.id <= ?1)`;
}

/** Per dimension, the group upsert of its new members found by {@link probeFirstsSql}. */
const PROBED_MEMBER_UPSERTS: readonly string[] = GROUP_BY_DIMENSIONS.map((dimension) => {
  const kinds = MEMBER_DIMENSIONS.includes(dimension) ? ["m"] as const : ["m", "p"] as const;
  const bucketed = dimension === "hour" || dimension === "day";
  return `INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
    SELECT '${dimension}', ${bucketed ? groupKeySql(dimension) : "key"}, 0,
      SUM(kind = 'm'), SUM(kind = 'p')
    FROM (${kinds.map((kind) => probeFirstsSql(dimension, kind)).join(" UNION ALL ")})
    GROUP BY 2
    ON CONFLICT (dimension, key) DO UPDATE SET matches = matches + excluded.matches,
      players = players + excluded.players`;
});

/**
 * The players of a fold's sheets in the groups of {@link MEMBER_DIMENSIONS}, each once (a
 * temporary table in memory), so that counting the new ones and recording them each read it
 * instead of recomputing keys per sheet.
 */
const NEW_MEMBERS_SQL = [
  `CREATE TEMP TABLE IF NOT EXISTS new_members (
    dimension TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, member TEXT NOT NULL,
    PRIMARY KEY (dimension, key, kind, member)) WITHOUT ROWID`,
  "DELETE FROM temp.new_members",
  ...MEMBER_DIMENSIONS.map((dimension) =>
    `INSERT OR IGNORE INTO temp.new_members (dimension, key, kind, member)
      SELECT '${dimension}', ${groupKeySql(dimension)}, 'p', player_id
      FROM (SELECT DISTINCT ${groupColumnSql(dimension)}, player_id
            FROM stat_sheets WHERE id > ?1 AND id <= ?2${
      dimension === "game_mode" ? " AND game_mode IS NULL" : ""
    }) WHERE true`
  ),
];

const COUNTER_UPSERTS: readonly string[] = [
  `UPDATE rollup_counters SET value = value + CASE name
     WHEN 'sheets' THEN (SELECT COUNT(*) FROM stat_sheets WHERE id > ?1 AND id <= ?2)
     WHEN 'matches' THEN (${firstSeen("match_id")})
     WHEN 'players' THEN (${firstSeen("player_id")})
     ELSE 0 END`,
];

const GROUP_UPSERTS: readonly string[] = [
  ...GROUP_BY_DIMENSIONS.map((dimension) =>
    `INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
     ${
      sumByGroupKey(dimension, "stat_sheets WHERE id > ?1 AND id <= ?2", {
        inner: "COUNT(*) AS sheets",
        outer: "SUM(sheets), 0, 0",
      })
    }
     ON CONFLICT (dimension, key) DO UPDATE SET sheets = sheets + excluded.sheets`
  ),
  ...NEW_MEMBERS_SQL,
  `INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
   SELECT dimension, key, 0, SUM(kind = 'm'), SUM(kind = 'p') FROM temp.new_members n
   WHERE NOT EXISTS (SELECT 1 FROM rollup_group_members g WHERE g.dimension = n.dimension
     AND g.key = n.key AND g.kind = n.kind AND g.member = n.member)
   GROUP BY 1, 2
   ON CONFLICT (dimension, key) DO UPDATE SET matches = matches + excluded.matches,
     players = players + excluded.players`,
  `INSERT OR IGNORE INTO rollup_group_members (dimension, key, kind, member)
   SELECT dimension, key, kind, member FROM temp.new_members`,
  ...PROBED_MEMBER_UPSERTS,
];

const TIME_UPSERTS: readonly string[] = [
  ...TIME_INTERVALS.map((interval) =>
    `INSERT INTO rollup_time (interval, bucket, game_mode, sheets, units)
     SELECT '${interval}', ${
      bucketSqlOf(interval)
    }, COALESCE(game_mode, ''), COUNT(*), SUM(${UNITS})
     FROM stat_sheets s WHERE s.id > ?1 AND s.id <= ?2 GROUP BY 2, 3
     ON CONFLICT (interval, bucket, game_mode) DO UPDATE SET sheets = sheets + excluded.sheets,
       units = units + excluded.units`
  ),
];

/**
 * Counts the fold's players new to a named game mode into its group: those without a row of that
 * mode in `rollup_players`, which holds the sheets before the range, as this runs before the
 * players step adds the range's. Member rows for them cost 40 bytes and a b-tree insert per new
 * (mode, player), the player rollup's own keys again (migration 13). Mode names are item names
 * (lib's `ITEM_NAME_PATTERN`), so none is '*', the player rollup's every mode, nor '', the group
 * key of no mode.
 */
const GAME_MODE_PLAYERS_SQL = `INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
  SELECT 'game_mode', game_mode, 0, 0, COUNT(*)
  FROM (SELECT DISTINCT game_mode, player_id FROM stat_sheets
        WHERE id > ?1 AND id <= ?2 AND game_mode IS NOT NULL) n
  WHERE NOT EXISTS (SELECT 1 FROM rollup_players p
    WHERE p.game_mode = n.game_mode AND p.player_id = n.player_id)
  GROUP BY 2
  ON CONFLICT (dimension, key) DO UPDATE SET players = players + excluded.players`;

const PLAYER_UPSERTS: readonly string[] = [
  GAME_MODE_PLAYERS_SQL,
  // The latest sheet's level by a window over the new sheets (a correlated lookup per player
  // made SQLite walk every new sheet for each player: measured 8 of 12 s at 20,000 sheets).
  ...["'*'", "game_mode"].map((mode) => {
    const partition = mode === "'*'" ? "player_id" : "game_mode, player_id";
    return `INSERT INTO rollup_players (game_mode, player_id, matches, units, last_level, last_seen_ms)
     SELECT ${mode}, player_id, COUNT(*), SUM(units), MAX(CASE WHEN latest = 1 THEN player_level END),
       MAX(ts_ms)
     FROM (SELECT game_mode, player_id, player_level, ts_ms, ${UNITS} AS units,
             ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ts_ms DESC, id DESC) AS latest
           FROM stat_sheets s WHERE s.id > ?1 AND s.id <= ?2 ${
      mode === "'*'" ? "" : "AND game_mode IS NOT NULL"
    })
     GROUP BY 1, 2
     ON CONFLICT (game_mode, player_id) DO UPDATE SET
       matches = matches + excluded.matches, units = units + excluded.units,
       last_level = CASE WHEN excluded.last_seen_ms >= last_seen_ms
         THEN excluded.last_level ELSE last_level END,
       last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`;
  }),
  `INSERT INTO rollup_experiment_players (experiment, variant, player_id, sheets, units)
   SELECT experiment, variant, player_id, COUNT(*), SUM(${UNITS})
   FROM stat_sheets s WHERE s.id > ?1 AND s.id <= ?2 AND experiment IS NOT NULL AND variant IS NOT NULL
   GROUP BY 1, 2, 3
   ON CONFLICT (experiment, variant, player_id) DO UPDATE SET
     sheets = sheets + excluded.sheets, units = units + excluded.units`,
];

/**
 * A fold's items, unpacked once from their sheets' JSON with the sheet columns the rollups
 * group by, and their cells at {@link BASE_BINS}, from which the coarser resolutions are summed
 * (temporary tables, in memory: `temp_store`). Reading the sheets' JSON in each rollup instead
 * would parse it a dozen times.
 */
const NEW_ITEMS_SQL = [
  `CREATE TEMP TABLE IF NOT EXISTS new_items (
    item TEXT NOT NULL, count INTEGER NOT NULL, x REAL, y REAL, ts_ms INTEGER NOT NULL,
    game_mode TEXT, player_level INTEGER, player_id TEXT NOT NULL, experiment TEXT, variant TEXT)`,
  `CREATE TEMP TABLE IF NOT EXISTS new_cells (
    item TEXT NOT NULL, col INTEGER NOT NULL, row INTEGER NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (item, col, row)) WITHOUT ROWID`,
  "DELETE FROM temp.new_items",
  `INSERT INTO temp.new_items
   SELECT j.key, j.value, ${LOCATION_X_SQL}, ${LOCATION_Y_SQL}, s.ts_ms, s.game_mode,
     s.player_level, s.player_id, s.experiment, s.variant
   FROM stat_sheets s, json_each(s.looted_items) j WHERE s.id > ?1 AND s.id <= ?2`,
];

/** The base cells of a fold's items: their units summed per cell at {@link BASE_BINS}. */
const NEW_CELLS_SQL = `INSERT INTO temp.new_cells
   SELECT item, ${binIndexSql("x", BASE_BINS)}, ${binIndexSql("y", BASE_BINS)}, count
   FROM temp.new_items WHERE count > 0 AND x IS NOT NULL
   ON CONFLICT (item, col, row) DO UPDATE SET units = units + excluded.units`;

/** A cell index at `bins` (which divides {@link BASE_BINS}) from one at the base resolution. */
function coarserCellSql(column: "col" | "row", bins: number): string {
  return `CASE WHEN ${column} < 0 THEN -1 ELSE ${column} / ${BASE_BINS / bins} END`;
}

/**
 * Where an item rollup along `dimension` sums from, and how: the game mode and the time buckets of
 * an hour or longer from {@link NEW_ITEM_HOURS_SQL}'s sums, the level and the minute from the
 * fold's items.
 */
function itemSumsOf(
  dimension: GroupBy | "minute",
): { source: string; sheets: string; units: string } {
  return dimension === "player_level" || dimension === "minute"
    ? { source: "temp.new_items", sheets: "SUM(count > 0)", units: "SUM(count)" }
    : { source: "temp.new_item_hours", sheets: "SUM(sheets)", units: "SUM(units)" };
}

/**
 * A fold's items summed per item, game mode and hour (its start, named `ts_ms` so that the hour
 * and day keys read it as they read a sheet's): a few hundred rows, from which the rollups per
 * item, mode, hour and day are summed. Each of those six grouping the fold's items itself, one
 * sort of every item row each, was 38 of a fold's 196 µs per sheet; one sort and six small sums
 * are about 8.
 */
const NEW_ITEM_HOURS_SQL = [
  `CREATE TEMP TABLE IF NOT EXISTS new_item_hours (
    item TEXT NOT NULL, game_mode TEXT NOT NULL, ts_ms INTEGER NOT NULL,
    sheets INTEGER NOT NULL, units INTEGER NOT NULL)`,
  "DELETE FROM temp.new_item_hours",
  `INSERT INTO temp.new_item_hours
   SELECT item, COALESCE(game_mode, ''), ${bucketSqlOf("hour")}, SUM(count > 0), SUM(count)
   FROM temp.new_items GROUP BY 1, 2, 3`,
];

const ITEM_UPSERTS: readonly string[] = [
  ...NEW_ITEM_HOURS_SQL,
  `INSERT INTO rollup_items (item, units)
   SELECT item, SUM(units) FROM temp.new_item_hours GROUP BY item
   ON CONFLICT (item) DO UPDATE SET units = units + excluded.units`,
  ...GROUP_BY_DIMENSIONS.map((dimension) =>
    `INSERT INTO rollup_group_items (dimension, key, item, units)
     ${
      sumByGroupKey(dimension, itemSumsOf(dimension).source, {
        extraKey: "item",
        inner: `${itemSumsOf(dimension).units} AS units`,
        outer: "SUM(units)",
      })
    }
     ON CONFLICT (dimension, key, item) DO UPDATE SET units = units + excluded.units`
  ),
  ...TIME_INTERVALS.map((interval) =>
    `INSERT INTO rollup_time_items (interval, item, bucket, game_mode, sheets, units)
     SELECT '${interval}', item, ${bucketSqlOf(interval)}, COALESCE(game_mode, ''),
       ${itemSumsOf(interval).sheets}, ${itemSumsOf(interval).units}
     FROM ${itemSumsOf(interval).source} GROUP BY 2, 3, 4
     ON CONFLICT (interval, item, bucket, game_mode) DO UPDATE SET
       sheets = sheets + excluded.sheets, units = units + excluded.units`
  ),
  `INSERT INTO rollup_experiment_items (experiment, item, variant, player_id, units)
   SELECT experiment, item, variant, player_id, SUM(count) FROM temp.new_items
   WHERE experiment IS NOT NULL AND variant IS NOT NULL GROUP BY 1, 2, 3, 4
   ON CONFLICT (experiment, item, variant, player_id) DO UPDATE SET units = units + excluded.units`,
];

const CELL_UPSERTS: readonly string[] = [
  "DELETE FROM temp.new_cells",
  NEW_CELLS_SQL,
  // The base cells are read in key order, which is the rollup's: each upsert lands beside the last.
  ...ROLLUP_RESOLUTIONS.map((bins) =>
    `INSERT INTO rollup_cells (item, bins, col, row, units)
     ${
      bins === BASE_BINS
        ? `SELECT item, ${bins}, col, row, units FROM temp.new_cells WHERE true`
        : `SELECT item, ${bins}, ${coarserCellSql("col", bins)}, ${coarserCellSql("row", bins)},
             SUM(units) FROM temp.new_cells GROUP BY 1, 3, 4`
    }
     ON CONFLICT (item, bins, col, row) DO UPDATE SET units = units + excluded.units`
  ),
];

const STEP_STATEMENTS: Readonly<Record<FoldStep, readonly string[]>> = {
  counters: COUNTER_UPSERTS,
  groups: GROUP_UPSERTS,
  time: TIME_UPSERTS,
  players: PLAYER_UPSERTS,
  items: ITEM_UPSERTS,
  cells: CELL_UPSERTS,
};
