/**
 * The rollups kept in the insert transaction, so totals and heatmaps never scan the sheets: counters
 * (sheets, matches, players), units per item, and heatmap cells at each of lib's
 * `ROLLUP_RESOLUTIONS`, and the group, time, player and experiment rollups. Written set-based
 * from the rows a group commit just inserted, read back as an aggregate.
 * @module
 */
import type { StatementSync } from "node:sqlite";
import {
  type Aggregate,
  binIndexSql,
  GROUP_BY_DIMENSIONS,
  ROLLUP_RESOLUTIONS,
  TIME_INTERVALS,
} from "../../lib/mod.ts";
import { allRows } from "./sqlite_rows.ts";
import { bucketSqlOf, groupKeySql } from "./sqlite_schema.ts";

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

/**
 * Adds the item rollups (units per item, heatmap cells, per-group, per-bucket and per-experiment
 * items) of the sheets stored after `lastId`, set-based: one `INSERT … SELECT … GROUP BY` upsert per
 * table over the rows just written, in the insert transaction. Summing a sheet's items in
 * JavaScript instead, one map entry per item and rollup, took a fifth of the writer's time.
 * The SELECTs are the recounts of `checkRollups` restricted to the new sheets.
 */
export function applyItemRollups(prepare: (sql: string) => StatementSync, lastId: number): void {
  for (const sql of ITEM_ROLLUP_UPSERTS) prepare(sql).run(lastId);
}

/**
 * Adds the per-sheet rollups (counters, groups with their members, time buckets, players,
 * experiment players) of the sheets stored after `lastId`, set-based like
 * {@link applyItemRollups}. A match or player counts as new to a counter or a group when no sheet
 * before the group has it (an index seek) and no member row records it; the members are recorded
 * after they are counted.
 */
export function applySheetRollups(prepare: (sql: string) => StatementSync, lastId: number): void {
  for (const sql of SHEET_ROLLUP_UPSERTS) prepare(sql).run(lastId);
}

/** Units a sheet `s` looted. */
const UNITS = "(SELECT COALESCE(SUM(count), 0) FROM sheet_items WHERE sheet_id = s.id)";

/** A new match or player: its column has no sheet stored before the group. */
function firstSeen(column: "match_id" | "player_id"): string {
  return `SELECT COUNT(DISTINCT ${column}) FROM stat_sheets s WHERE s.id > ?1 AND NOT EXISTS
    (SELECT 1 FROM stat_sheets o WHERE o.${column} = s.${column} AND o.id <= ?1)`;
}

const SHEET_ROLLUP_UPSERTS: readonly string[] = [
  `UPDATE rollup_counters SET value = value + CASE name
     WHEN 'sheets' THEN (SELECT COUNT(*) FROM stat_sheets WHERE id > ?1)
     WHEN 'matches' THEN (${firstSeen("match_id")})
     WHEN 'players' THEN (${firstSeen("player_id")})
     ELSE 0 END`,
  ...GROUP_BY_DIMENSIONS.flatMap((dimension) => [
    `INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
     SELECT '${dimension}', ${groupKeySql(dimension)}, COUNT(*), 0, 0
     FROM stat_sheets WHERE id > ?1 GROUP BY 2
     ON CONFLICT (dimension, key) DO UPDATE SET sheets = sheets + excluded.sheets`,
    ...(["m", "p"] as const).flatMap((kind) => {
      const column = kind === "m" ? "match_id" : "player_id";
      const members = `SELECT DISTINCT ${groupKeySql(dimension)} AS key, ${column} AS member
        FROM stat_sheets WHERE id > ?1`;
      return [
        `INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
         SELECT '${dimension}', key, 0, ${kind === "m" ? "COUNT(*), 0" : "0, COUNT(*)"}
         FROM (${members}) f WHERE NOT EXISTS (SELECT 1 FROM rollup_group_members g
           WHERE g.dimension = '${dimension}' AND g.key = f.key AND g.kind = '${kind}'
             AND g.member = f.member)
         GROUP BY key
         ON CONFLICT (dimension, key) DO UPDATE SET
           ${
          kind === "m"
            ? "matches = matches + excluded.matches"
            : "players = players + excluded.players"
        }`,
        `INSERT OR IGNORE INTO rollup_group_members (dimension, key, kind, member)
         SELECT '${dimension}', key, '${kind}', member FROM (${members}) WHERE true`,
      ];
    }),
  ]),
  ...TIME_INTERVALS.map((interval) =>
    `INSERT INTO rollup_time (interval, bucket, game_mode, sheets, units)
     SELECT '${interval}', ${
      bucketSqlOf(interval)
    }, COALESCE(game_mode, ''), COUNT(*), SUM(${UNITS})
     FROM stat_sheets s WHERE s.id > ?1 GROUP BY 2, 3
     ON CONFLICT (interval, bucket, game_mode) DO UPDATE SET sheets = sheets + excluded.sheets,
       units = units + excluded.units`
  ),
  // The latest sheet's level by a window over the new sheets (a correlated lookup per player
  // made SQLite walk every new sheet for each player: measured 8 of 12 s at 20,000 sheets).
  ...["'*'", "game_mode"].map((mode) => {
    const partition = mode === "'*'" ? "player_id" : "game_mode, player_id";
    return `INSERT INTO rollup_players (game_mode, player_id, matches, units, last_level, last_seen_ms)
     SELECT ${mode}, player_id, COUNT(*), SUM(units), MAX(CASE WHEN latest = 1 THEN player_level END),
       MAX(ts_ms)
     FROM (SELECT game_mode, player_id, player_level, ts_ms, ${UNITS} AS units,
             ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ts_ms DESC, id DESC) AS latest
           FROM stat_sheets s WHERE s.id > ?1 ${mode === "'*'" ? "" : "AND game_mode IS NOT NULL"})
     GROUP BY 1, 2
     ON CONFLICT (game_mode, player_id) DO UPDATE SET
       matches = matches + excluded.matches, units = units + excluded.units,
       last_level = CASE WHEN excluded.last_seen_ms >= last_seen_ms
         THEN excluded.last_level ELSE last_level END,
       last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`;
  }),
  `INSERT INTO rollup_experiment_players (experiment, variant, player_id, sheets, units)
   SELECT experiment, variant, player_id, COUNT(*), SUM(${UNITS})
   FROM stat_sheets s WHERE s.id > ?1 AND experiment IS NOT NULL AND variant IS NOT NULL
   GROUP BY 1, 2, 3
   ON CONFLICT (experiment, variant, player_id) DO UPDATE SET
     sheets = sheets + excluded.sheets, units = units + excluded.units`,
];

/** The new sheets' items with their sheet's columns (`lastId` bound to `?`). */
const NEW_ITEMS = "sheet_items i JOIN stat_sheets s ON s.id = i.sheet_id WHERE i.sheet_id > ?";

const ITEM_ROLLUP_UPSERTS: readonly string[] = [
  `INSERT INTO rollup_items (item, units)
   SELECT item, SUM(count) FROM sheet_items WHERE sheet_id > ? GROUP BY item
   ON CONFLICT (item) DO UPDATE SET units = units + excluded.units`,
  ...ROLLUP_RESOLUTIONS.map((bins) =>
    `INSERT INTO rollup_cells (item, bins, col, row, units)
     SELECT item, ${bins}, ${binIndexSql("x", bins)}, ${binIndexSql("y", bins)}, SUM(count)
     FROM sheet_items WHERE sheet_id > ? AND count > 0 AND x IS NOT NULL GROUP BY 1, 3, 4
     ON CONFLICT (item, bins, col, row) DO UPDATE SET units = units + excluded.units`
  ),
  ...GROUP_BY_DIMENSIONS.map((dimension) =>
    `INSERT INTO rollup_group_items (dimension, key, item, units)
     SELECT '${dimension}', ${groupKeySql(dimension)}, i.item, SUM(i.count) FROM ${NEW_ITEMS}
     GROUP BY 2, 3
     ON CONFLICT (dimension, key, item) DO UPDATE SET units = units + excluded.units`
  ),
  ...TIME_INTERVALS.map((interval) =>
    `INSERT INTO rollup_time_items (interval, item, bucket, game_mode, sheets, units)
     SELECT '${interval}', i.item, ${bucketSqlOf(interval)}, COALESCE(game_mode, ''),
       SUM(i.count > 0), SUM(i.count) FROM ${NEW_ITEMS} GROUP BY 2, 3, 4
     ON CONFLICT (interval, bucket, game_mode, item) DO UPDATE SET
       sheets = sheets + excluded.sheets, units = units + excluded.units`
  ),
  `INSERT INTO rollup_experiment_items (experiment, item, variant, player_id, units)
   SELECT s.experiment, i.item, s.variant, s.player_id, SUM(i.count) FROM ${NEW_ITEMS}
     AND s.experiment IS NOT NULL AND s.variant IS NOT NULL GROUP BY 1, 2, 3, 4
   ON CONFLICT (experiment, item, variant, player_id) DO UPDATE SET units = units + excluded.units`,
];
