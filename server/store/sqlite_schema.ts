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
];
