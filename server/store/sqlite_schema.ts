import {
  BASE_BINS,
  binIndexSql,
  GROUP_BY_DIMENSIONS,
  type GroupBy,
  INTERVAL_MS,
  MAP_SIZE,
  ROLLUP_RESOLUTIONS,
  TIME_INTERVALS,
  type TimeInterval,
} from "../../lib/mod.ts";

/**
 * Where a sheet `s` found item `j.key` of `json_each(s.looted_items) j`, as SQL: its location's x and
 * y, NULL when unlocated. Item names match lib's `ITEM_NAME_PATTERN`, so they are safe in a JSON path.
 * REAL, as the table these replaced stored them: JSON keeps 1e17 as an integer, which JavaScript
 * numbers cannot hold exactly and `node:sqlite` refuses to return.
 */
export const LOCATION_X_SQL = "CAST(json_extract(s.locations, '$.' || j.key || '[0]') AS REAL)";
/** The y of {@link LOCATION_X_SQL}. */
export const LOCATION_Y_SQL = "CAST(json_extract(s.locations, '$.' || j.key || '[1]') AS REAL)";

/**
 * Units a sheet looted, as SQL over its id `s.id`, from its items: migration 5's backfill, and the
 * recounts, which so check the `units` each sheet keeps (the writer's rollups add `s.units`).
 */
const SHEET_UNITS_SQL = "(SELECT COALESCE(SUM(count), 0) FROM sheet_items WHERE sheet_id = s.id)";

/**
 * Each analytics rollup table with the query that recounts it from the sheets: migration 5 fills
 * the tables with them, and `checkRollups` compares the tables with them.
 */
export const ANALYTICS_RECOUNTS: readonly { table: string; recount: string }[] = [
  {
    table: "rollup_group_members",
    recount: GROUP_BY_DIMENSIONS.flatMap((dimension) =>
      (["m", "p"] as const).map((kind) =>
        `SELECT DISTINCT '${dimension}', ${groupKeySql(dimension)}, '${kind}', ${
          kind === "m" ? "match_id" : "player_id"
        } FROM stat_sheets`
      )
    ).join(" UNION ALL "),
  },
  {
    table: "rollup_groups",
    recount: GROUP_BY_DIMENSIONS.map((dimension) =>
      `SELECT '${dimension}', ${
        groupKeySql(dimension)
      }, COUNT(*), COUNT(DISTINCT match_id), COUNT(DISTINCT player_id) FROM stat_sheets GROUP BY 2`
    ).join(" UNION ALL "),
  },
  {
    table: "rollup_group_items",
    recount: GROUP_BY_DIMENSIONS.map((dimension) =>
      `SELECT '${dimension}', ${groupKeySql(dimension)}, i.item, SUM(i.count)
       FROM stat_sheets JOIN sheet_items i ON i.sheet_id = stat_sheets.id GROUP BY 2, 3`
    ).join(" UNION ALL "),
  },
  {
    table: "rollup_time",
    recount: TIME_INTERVALS.map((interval) =>
      `SELECT '${interval}', ${bucketSqlOf(interval)}, COALESCE(game_mode, ''), COUNT(*),
         SUM(${SHEET_UNITS_SQL}) FROM stat_sheets s GROUP BY 2, 3`
    ).join(" UNION ALL "),
  },
  {
    table: "rollup_time_items",
    recount: TIME_INTERVALS.map((interval) =>
      `SELECT '${interval}', i.item, ${bucketSqlOf(interval)}, COALESCE(game_mode, ''),
         SUM(i.count > 0), SUM(i.count)
       FROM stat_sheets JOIN sheet_items i ON i.sheet_id = stat_sheets.id GROUP BY 2, 3, 4`
    ).join(" UNION ALL "),
  },
  {
    table: "rollup_players",
    recount: ["'*'", "game_mode"].map((mode) =>
      `SELECT ${mode}, player_id, COUNT(*), SUM(${SHEET_UNITS_SQL}),
         (SELECT player_level FROM stat_sheets l WHERE l.player_id = s.player_id
            AND ${mode === "'*'" ? "1" : "l.game_mode = s.game_mode"}
          ORDER BY l.ts_ms DESC, l.id DESC LIMIT 1),
         MAX(ts_ms)
       FROM stat_sheets s ${mode === "'*'" ? "" : "WHERE game_mode IS NOT NULL"} GROUP BY 1, 2`
    ).join(" UNION ALL "),
  },
];

/**
 * The experiment rollups of migration 6 with their recounts, for `checkRollups` (kept apart from
 * {@link ANALYTICS_RECOUNTS}, which migration 5 backfills before these tables exist).
 */
export const EXPERIMENT_RECOUNTS: readonly { table: string; recount: string }[] = [
  {
    table: "rollup_experiment_players",
    recount: `SELECT experiment, variant, player_id, COUNT(*), SUM(${SHEET_UNITS_SQL})
      FROM stat_sheets s WHERE experiment IS NOT NULL GROUP BY 1, 2, 3`,
  },
  {
    table: "rollup_experiment_items",
    recount: `SELECT s.experiment, i.item, s.variant, s.player_id, SUM(i.count)
      FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id
      WHERE s.experiment IS NOT NULL GROUP BY 1, 2, 3, 4`,
  },
];

/** Fills migration 5's rollups from the sheets already stored. */
const ANALYTICS_BACKFILL = ANALYTICS_RECOUNTS.map(({ table, recount }) =>
  `INSERT INTO ${table} ${recount};`
).join("\n  ");

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
 * Append new steps, never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: the original's stat_sheets columns, plus what strict ingest and fast SQL need.
  `
  CREATE TABLE stat_sheets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    match_id TEXT NOT NULL,
    player_id TEXT NOT NULL,
    timestamp TEXT NOT NULL,
    looted_items TEXT NOT NULL,
    locations TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    ts_ms INTEGER NOT NULL,
    match_duration INTEGER,
    player_level INTEGER,
    extra TEXT,
    fingerprint TEXT NOT NULL,
    UNIQUE (match_id, player_id)
  );
  CREATE INDEX stat_sheets_by_player ON stat_sheets (player_id);
  CREATE INDEX stat_sheets_by_time ON stat_sheets (ts_ms);
  -- One row per item per sheet, so totals and heatmaps are SQL over narrow rows, not JSON parsing.
  CREATE TABLE sheet_items (
    sheet_id INTEGER NOT NULL REFERENCES stat_sheets (id) ON DELETE CASCADE,
    item TEXT NOT NULL,
    count INTEGER NOT NULL,
    x REAL,
    y REAL,
    PRIMARY KEY (sheet_id, item)
  ) WITHOUT ROWID;
  -- Covers the per-item heatmap and total scans.
  CREATE INDEX sheet_items_by_item ON sheet_items (item, count, x, y);
  `,
  // 2: rollups maintained in the insert transaction, so totals and heatmaps do not scan; an index
  // that keeps listings by match in id order.
  `
  CREATE INDEX stat_sheets_by_match ON stat_sheets (match_id);
  -- Keyed by (item, sheet_id), new rows append at the end of their item's range instead of landing
  -- at random places: index upkeep at insert drops by half, and the index still covers the scans.
  DROP INDEX sheet_items_by_item;
  CREATE INDEX sheet_items_by_item_sheet ON sheet_items (item, sheet_id, count, x, y);
  CREATE TABLE rollup_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO rollup_counters (name, value) VALUES
    ('sheets', (SELECT COUNT(*) FROM stat_sheets)),
    ('matches', (SELECT COUNT(DISTINCT match_id) FROM stat_sheets)),
    ('players', (SELECT COUNT(DISTINCT player_id) FROM stat_sheets));
  CREATE TABLE rollup_items (item TEXT PRIMARY KEY, units INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO rollup_items (item, units) SELECT item, SUM(count) FROM sheet_items GROUP BY item;
  -- Base heatmap grid: ${BASE_BINS} x ${BASE_BINS} cells over the ${MAP_SIZE.width} x ${MAP_SIZE.height} map; -1, -1 holds units off the map.
  -- Heatmap grids at a few resolutions (cells per axis); a request is served from the coarsest one its
  -- bins divide. Cells (-1, -1) hold units off the map.
  CREATE TABLE rollup_cells (
    item TEXT NOT NULL,
    bins INTEGER NOT NULL,
    col INTEGER NOT NULL,
    row INTEGER NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (item, bins, col, row)
  ) WITHOUT ROWID;
  ${
    ROLLUP_RESOLUTIONS.map((bins) =>
      `INSERT INTO rollup_cells (item, bins, col, row, units)
    SELECT item, ${bins}, ${binIndexSql("x", bins)}, ${binIndexSql("y", bins)}, SUM(count)
    FROM sheet_items WHERE count > 0 AND x IS NOT NULL GROUP BY 1, 3, 4;`
    ).join("\n  ")
  }
  `,
  // 3: clock-skew correction keeps what the client sent beside the corrected timestamp.
  `
  ALTER TABLE stat_sheets ADD COLUMN client_timestamp TEXT;
  ALTER TABLE stat_sheets ADD COLUMN sent_at TEXT;
  `,
  // 4: game modes, a first-class column (filtered and grouped on).
  `
  ALTER TABLE stat_sheets ADD COLUMN game_mode TEXT;
  CREATE INDEX stat_sheets_by_mode ON stat_sheets (game_mode);
  `,
  // 5: rollups for groups, time series and players, kept in the insert transaction like the others.
  `
  -- Totals per group: dimension is game_mode, player_level, hour or day; key '' is "no value".
  CREATE TABLE rollup_groups (
    dimension TEXT NOT NULL, key TEXT NOT NULL,
    sheets INTEGER NOT NULL, matches INTEGER NOT NULL, players INTEGER NOT NULL,
    PRIMARY KEY (dimension, key)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_group_items (
    dimension TEXT NOT NULL, key TEXT NOT NULL, item TEXT NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (dimension, key, item)
  ) WITHOUT ROWID;
  -- Who was counted in a group (kind 'm' a match, 'p' a player), so distinct counts stay exact.
  CREATE TABLE rollup_group_members (
    dimension TEXT NOT NULL, key TEXT NOT NULL, kind TEXT NOT NULL, member TEXT NOT NULL,
    PRIMARY KEY (dimension, key, kind, member)
  ) WITHOUT ROWID;
  -- Sheets and units per time bucket (epoch ms of its start) and game mode ('' none).
  CREATE TABLE rollup_time (
    interval TEXT NOT NULL, bucket INTEGER NOT NULL, game_mode TEXT NOT NULL,
    sheets INTEGER NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (interval, bucket, game_mode)
  ) WITHOUT ROWID;
  -- Per item: sheets that looted it (count > 0) and its units.
  CREATE TABLE rollup_time_items (
    interval TEXT NOT NULL, item TEXT NOT NULL, bucket INTEGER NOT NULL, game_mode TEXT NOT NULL,
    sheets INTEGER NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (interval, bucket, game_mode, item)
  ) WITHOUT ROWID;
  -- One item's series reads this index; the key above serves every-item series by bucket range.
  CREATE INDEX rollup_time_items_by_item ON rollup_time_items (interval, item, bucket);
  -- Per player, over every mode ('*') and per mode: matches, units, the latest match's level and time.
  CREATE TABLE rollup_players (
    game_mode TEXT NOT NULL, player_id TEXT NOT NULL,
    matches INTEGER NOT NULL, units INTEGER NOT NULL, last_level INTEGER, last_seen_ms INTEGER NOT NULL,
    PRIMARY KEY (game_mode, player_id)
  ) WITHOUT ROWID;
  CREATE INDEX rollup_players_by_matches ON rollup_players (game_mode, matches DESC, player_id);
  ${ANALYTICS_BACKFILL}
  `,
  // 6: A/B experiments: first-class columns, and per (experiment, variant, player) sums of sheets
  // and units (per item too) kept in the insert transaction, so an analysis reads players, not sheets.
  `
  ALTER TABLE stat_sheets ADD COLUMN experiment TEXT;
  ALTER TABLE stat_sheets ADD COLUMN variant TEXT;
  CREATE INDEX stat_sheets_by_experiment ON stat_sheets (experiment, variant);
  CREATE TABLE rollup_experiment_players (
    experiment TEXT NOT NULL, variant TEXT NOT NULL, player_id TEXT NOT NULL,
    sheets INTEGER NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (experiment, variant, player_id)
  ) WITHOUT ROWID;
  CREATE TABLE rollup_experiment_items (
    experiment TEXT NOT NULL, item TEXT NOT NULL, variant TEXT NOT NULL, player_id TEXT NOT NULL,
    units INTEGER NOT NULL,
    PRIMARY KEY (experiment, item, variant, player_id)
  ) WITHOUT ROWID;
  `,
  // 7: the unique (match_id, player_id) index already serves every lookup by match (its prefix);
  // a second index on match_id alone only cost every insert (about 22 bytes and one b-tree per sheet).
  `
  DROP INDEX stat_sheets_by_match;
  `,
  // 8: one row per sheet. A sheet's items live only in its JSON columns, as in the original's row:
  // the rollups are computed from the new rows at insert, and the scans that need items (filtered
  // aggregates, heatmaps and experiment rules) read them through the sheet_items view. The table
  // with its two indexes cost about 365 bytes and a fifth of the writer's time per sheet. Each
  // sheet's units are kept beside it, as most per-sheet queries want them.
  `
  ALTER TABLE stat_sheets ADD COLUMN units INTEGER NOT NULL DEFAULT 0;
  UPDATE stat_sheets SET units =
    (SELECT COALESCE(SUM(count), 0) FROM sheet_items WHERE sheet_id = stat_sheets.id);
  DROP TABLE sheet_items;
  CREATE VIEW sheet_items (sheet_id, item, count, x, y) AS
    SELECT s.id, j.key, j.value, ${LOCATION_X_SQL}, ${LOCATION_Y_SQL}
    FROM stat_sheets s, json_each(s.looted_items) j;
  `,
  // 9: the rollups are folded in their own transactions, after the sheets they count have committed
  // and been acknowledged, many commits at a time: a small commit no longer rewrites a page of every
  // rollup. This records the last sheet id they count; reads wait for the fold of what they follow.
  `
  CREATE TABLE rollup_state (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO rollup_state (name, value) VALUES ('folded_through',
    COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stat_sheets'), 0));
  `,
  // 10: the fold runs in steps, each committed on its own with its own watermark, so that writes
  // are committed between two steps instead of waiting for the whole fold (the fold steps of
  // sqlite_rollups.ts); each starts where the single watermark was.
  `
  INSERT INTO rollup_state (name, value)
    SELECT 'folded_through:' || step.name, value
    FROM rollup_state, (SELECT 'counters' AS name UNION ALL SELECT 'groups' UNION ALL SELECT 'time'
      UNION ALL SELECT 'players' UNION ALL SELECT 'items' UNION ALL SELECT 'cells') AS step
    WHERE rollup_state.name = 'folded_through';
  DELETE FROM rollup_state WHERE name = 'folded_through';
  `,
  // 11: groups find their new matches, and hour and day groups their new players, by probing
  // the sheets (sqlite_rollups.ts, probeFirstsSql) instead of keeping member rows: the player
  // index gains the time, so a probe reads only the player's sheets of that hour or day (and a
  // player's history reads in time order).
  `
  CREATE INDEX stat_sheets_by_player_time ON stat_sheets (player_id, ts_ms);
  DROP INDEX stat_sheets_by_player;
  DELETE FROM rollup_group_members WHERE kind = 'm' OR dimension IN ('hour', 'day');
  `,
  // 12: the time rollup per item is keyed by item before bucket, which serves one item's series
  // as a range of the key and every item's as one range per item (sqlite_analytics.ts), so the
  // index by item goes: it was 100 of the 915 bytes per sheet at 100k, nearly all minute rows,
  // and a second b-tree write per folded row. The experiment index keeps only the sheets that
  // belong to one (every query of it names an experiment).
  `
  CREATE TABLE rollup_time_items_by_item_key (
    interval TEXT NOT NULL, item TEXT NOT NULL, bucket INTEGER NOT NULL, game_mode TEXT NOT NULL,
    sheets INTEGER NOT NULL, units INTEGER NOT NULL,
    PRIMARY KEY (interval, item, bucket, game_mode)
  ) WITHOUT ROWID;
  INSERT INTO rollup_time_items_by_item_key
    SELECT interval, item, bucket, game_mode, sheets, units FROM rollup_time_items
    ORDER BY interval, item, bucket, game_mode;
  DROP TABLE rollup_time_items;
  ALTER TABLE rollup_time_items_by_item_key RENAME TO rollup_time_items;
  DROP INDEX stat_sheets_by_experiment;
  CREATE INDEX stat_sheets_by_experiment ON stat_sheets (experiment, variant)
    WHERE experiment IS NOT NULL;
  `,
  // 13: a player new to a named game mode is one without a row of that mode in the player rollup,
  // so the players step counts them (sqlite_rollups.ts, GAME_MODE_PLAYERS_SQL) and their member
  // rows go: they repeated that rollup's keys, 40 bytes per new (mode, player). Each mode's
  // players are recounted from the player rollup, which holds exactly the sheets its step has
  // folded, as the players step adds the sheets after them. Sheets sent without a mode keep theirs.
  `
  DELETE FROM rollup_group_members WHERE dimension = 'game_mode' AND key != '';
  UPDATE rollup_groups SET players = 0 WHERE dimension = 'game_mode' AND key != '';
  INSERT INTO rollup_groups (dimension, key, sheets, matches, players)
    SELECT 'game_mode', game_mode, 0, 0, COUNT(*) FROM rollup_players WHERE game_mode != '*'
    GROUP BY game_mode
    ON CONFLICT (dimension, key) DO UPDATE SET players = excluded.players;
  `,
];

/**
 * SQL giving a sheet's key along a group dimension over `stat_sheets` columns, '' when absent: the
 * twin of lib's `groupKeyOf` (hour and day keys are the bucket's ISO start).
 */
export function groupKeySql(dimension: GroupBy): string {
  switch (dimension) {
    case "game_mode":
      return "COALESCE(game_mode, '')";
    case "player_level":
      return "COALESCE(CAST(player_level AS TEXT), '')";
    case "hour":
      return "strftime('%Y-%m-%dT%H:00:00Z', ts_ms / 1000, 'unixepoch')";
    case "day":
      return "strftime('%Y-%m-%dT00:00:00Z', ts_ms / 1000, 'unixepoch')";
  }
}

/** SQL giving the start (epoch ms) of a sheet's `interval` bucket: lib's `bucketStartOf`. */
export function bucketSqlOf(interval: TimeInterval): string {
  const width = INTERVAL_MS[interval];
  return `(ts_ms / ${width}) * ${width}`;
}
