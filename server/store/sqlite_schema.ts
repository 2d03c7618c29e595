import { BASE_BINS, binIndexSql, MAP_SIZE, ROLLUP_RESOLUTIONS } from "../../lib/mod.ts";

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
];
