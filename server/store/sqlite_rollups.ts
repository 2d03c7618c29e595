/**
 * The rollups kept in the insert transaction, so totals and heatmaps never scan the sheets: counters
 * (sheets, matches, players), units per item, and heatmap cells at each of lib's
 * `ROLLUP_RESOLUTIONS`. Per-sheet rollups are written as summed deltas, per-item ones set-based
 * from the rows just inserted; read back as an aggregate.
 * @module
 */
import type { StatementSync } from "node:sqlite";
import {
  type Aggregate,
  binIndexSql,
  bucketStartOf,
  formatBucketStart,
  GROUP_BY_DIMENSIONS,
  type GroupBy,
  type PreparedSheet,
  ROLLUP_RESOLUTIONS,
  TIME_INTERVALS,
} from "../../lib/mod.ts";
import { allRows, type SqlParam } from "./sqlite_rows.ts";
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
 * A sheet's keys along every group dimension as the rollup tables store them ('' for "no value"):
 * lib's `groupKeyOf`, and the twin of `groupKeySql` in the schema.
 */
export function storedGroupKeys(prepared: PreparedSheet): Record<GroupBy, string> {
  const { sheet, timestampMs } = prepared;
  return {
    game_mode: sheet.game_mode ?? "",
    player_level: sheet.player_level === undefined ? "" : String(sheet.player_level),
    hour: formatBucketStart(bucketStartOf(timestampMs, "hour")),
    day: formatBucketStart(bucketStartOf(timestampMs, "day")),
  };
}

/** Rollup changes, summed in memory and written with one upsert per key. */
export class RollupDeltas {
  #sheets = 0;
  #matches = 0;
  #newPlayers = 0;
  /** Groups: (dimension, key) → sheets, new matches, new players. */
  readonly #groups = new SummedRows(3);
  /** (interval, bucket, mode) → sheets, units. */
  readonly #time = new SummedRows(2);
  /** (mode or '*', player) → matches, units, and the latest match's time and level. */
  readonly #players = new Map<string, PlayerDelta>();
  /** (experiment, variant, player) → sheets, units. */
  readonly #experimentPlayers = new SummedRows(2);

  countSheet(newMatch: boolean, newPlayer: boolean): void {
    this.#sheets++;
    if (newMatch) this.#matches++;
    if (newPlayer) this.#newPlayers++;
  }

  /**
   * Counts a stored sheet in the group, time and player rollups. `isNewMember` says whether the
   * sheet's match (`m`) or player (`p`) was new to its group along `dimension`.
   */
  addAnalytics(
    prepared: PreparedSheet,
    keys: Readonly<Record<GroupBy, string>>,
    isNewMember: (dimension: GroupBy, kind: "m" | "p") => boolean,
  ): void {
    const { sheet, timestampMs } = prepared;
    const entries = Object.entries(sheet.looted_items);
    const units = entries.reduce((total, [, count]) => total + count, 0);
    for (const dimension of GROUP_BY_DIMENSIONS) {
      const key = keys[dimension];
      const newMatch = isNewMember(dimension, "m");
      const newPlayer = isNewMember(dimension, "p");
      this.#groups.add([dimension, key], [1, newMatch ? 1 : 0, newPlayer ? 1 : 0]);
    }
    const mode = sheet.game_mode ?? "";
    for (const interval of TIME_INTERVALS) {
      this.#time.add([interval, bucketStartOf(timestampMs, interval), mode], [1, units]);
    }
    if (sheet.experiment !== undefined && sheet.variant !== undefined) {
      const { experiment, variant, player_id: player } = sheet;
      this.#experimentPlayers.add([experiment, variant, player], [1, units]);
    }
    const delta = { matches: 1, units, lastMs: timestampMs, lastLevel: sheet.player_level ?? null };
    this.#addPlayer("*", sheet.player_id, delta);
    if (sheet.game_mode !== undefined) this.#addPlayer(sheet.game_mode, sheet.player_id, delta);
  }

  #addPlayer(mode: string, playerId: string, delta: PlayerDelta): void {
    const key = `${mode}\u0000${playerId}`;
    const row = this.#players.get(key);
    if (!row) {
      this.#players.set(key, { ...delta, mode, playerId });
      return;
    }
    row.matches += delta.matches;
    row.units += delta.units;
    // The later of equal times wins, as in the table (a later insert replaces the level).
    if (delta.lastMs >= row.lastMs) {
      row.lastMs = delta.lastMs;
      row.lastLevel = delta.lastLevel;
    }
  }

  merge(other: RollupDeltas): void {
    this.#sheets += other.#sheets;
    this.#matches += other.#matches;
    this.#newPlayers += other.#newPlayers;
    this.#groups.merge(other.#groups);
    this.#time.merge(other.#time);
    this.#experimentPlayers.merge(other.#experimentPlayers);
    for (const row of other.#players.values()) this.#addPlayer(row.mode!, row.playerId!, row);
  }

  apply(prepare: (sql: string) => StatementSync): void {
    if (this.#sheets === 0) return;
    const counter = prepare("UPDATE rollup_counters SET value = value + ? WHERE name = ?");
    counter.run(this.#sheets, "sheets");
    if (this.#matches) counter.run(this.#matches, "matches");
    if (this.#newPlayers) counter.run(this.#newPlayers, "players");
    this.#groups.apply(prepare(
      `INSERT INTO rollup_groups (dimension, key, sheets, matches, players) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (dimension, key) DO UPDATE SET sheets = sheets + excluded.sheets,
         matches = matches + excluded.matches, players = players + excluded.players`,
    ));
    this.#time.apply(prepare(
      `INSERT INTO rollup_time (interval, bucket, game_mode, sheets, units) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (interval, bucket, game_mode) DO UPDATE SET sheets = sheets + excluded.sheets,
         units = units + excluded.units`,
    ));
    this.#experimentPlayers.apply(prepare(
      `INSERT INTO rollup_experiment_players (experiment, variant, player_id, sheets, units)
       VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (experiment, variant, player_id) DO UPDATE SET
         sheets = sheets + excluded.sheets, units = units + excluded.units`,
    ));
    const player = prepare(
      `INSERT INTO rollup_players (game_mode, player_id, matches, units, last_level, last_seen_ms)
       VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (game_mode, player_id) DO UPDATE SET
         matches = matches + excluded.matches, units = units + excluded.units,
         last_level = CASE WHEN excluded.last_seen_ms >= last_seen_ms
           THEN excluded.last_level ELSE last_level END,
         last_seen_ms = MAX(last_seen_ms, excluded.last_seen_ms)`,
    );
    for (const row of this.#players.values()) {
      player.run(row.mode!, row.playerId!, row.matches, row.units, row.lastLevel, row.lastMs);
    }
  }
}

interface PlayerDelta {
  matches: number;
  units: number;
  lastMs: number;
  lastLevel: number | null;
  mode?: string;
  playerId?: string;
}

/** Rows keyed by their key columns whose value columns are summed, then upserted once each. */
class SummedRows {
  readonly #width: number;
  readonly #rows = new Map<string, { key: SqlParam[]; values: number[] }>();

  constructor(width: number) {
    this.#width = width;
  }

  add(key: SqlParam[], values: readonly number[]): void {
    const id = key.join("\u0000");
    const row = this.#rows.get(id);
    if (!row) {
      this.#rows.set(id, { key, values: [...values] });
      return;
    }
    for (let index = 0; index < this.#width; index++) row.values[index]! += values[index]!;
  }

  merge(other: SummedRows): void {
    for (const row of other.#rows.values()) this.add(row.key, row.values);
  }

  /** Runs `upsert` once per row, with the key columns then the summed values. */
  apply(upsert: StatementSync): void {
    for (const { key, values } of this.#rows.values()) upsert.run(...key, ...values);
  }
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
