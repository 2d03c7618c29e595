/**
 * The PostgreSQL schema: versioned migrations recorded in `loot_schema_version`, applied under a
 * transaction-scoped advisory lock so several servers starting at once migrate once, and the SQL
 * twins of lib's key and cell rules that the insert path and the recounts share.
 *
 * Text columns that are compared or ordered use `COLLATE "C"` (byte order, which for UTF-8 is code
 * point order): the same order as SQLite's default, so listings, `ORDER BY item` and the match
 * prefix range (`match_id >= p AND match_id < p || U+10FFFF`) behave as in the SQLite store.
 * @module
 */
import { type GroupBy, INTERVAL_MS, type TimeInterval } from "../../lib/mod.ts";
import type { PostgresSql, PostgresTransaction } from "./postgres_connect.ts";

/** Rollup shards: a transaction adds its deltas to one, readers sum over all (see postgres.ts). */
export const ROLLUP_SHARDS = 16;

/** Key of the advisory lock migrations run under (any constant no other program uses). */
const MIGRATION_LOCK = 0x4c6f6f74; // "Loot"

/**
 * Schema migrations, applied in order; `loot_schema_version` records each one applied. Append new
 * steps, never edit a released one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: sheets, their items, and every rollup, sharded where concurrent writers would meet.
  `
  CREATE TABLE stat_sheets (
    id bigserial PRIMARY KEY,
    match_id text COLLATE "C" NOT NULL,
    player_id text COLLATE "C" NOT NULL,
    timestamp text NOT NULL,
    -- JSON text as sent (jsonb would reorder keys; listings return the sheet as it came).
    looted_items text NOT NULL,
    locations text NOT NULL DEFAULT '{}',
    created_at text NOT NULL,
    ts_ms bigint NOT NULL,
    match_duration bigint,
    player_level bigint,
    game_mode text COLLATE "C",
    experiment text COLLATE "C",
    variant text COLLATE "C",
    extra text,
    fingerprint text NOT NULL,
    client_timestamp text,
    sent_at text,
    -- Units looted (the sum of looted_items), kept so rollups and anomaly rules need no join.
    units bigint NOT NULL,
    UNIQUE (match_id, player_id)
  );
  CREATE INDEX stat_sheets_by_player ON stat_sheets (player_id);
  CREATE INDEX stat_sheets_by_time ON stat_sheets (ts_ms);
  CREATE INDEX stat_sheets_by_mode ON stat_sheets (game_mode);
  CREATE INDEX stat_sheets_by_experiment ON stat_sheets (experiment, variant);
  -- One row per item per sheet (no foreign key: rows are only written beside their sheet, in the
  -- same transaction, and only TRUNCATE removes either).
  CREATE TABLE sheet_items (
    sheet_id bigint NOT NULL,
    item text COLLATE "C" NOT NULL,
    count bigint NOT NULL,
    x double precision,
    y double precision,
    PRIMARY KEY (sheet_id, item)
  );
  CREATE INDEX sheet_items_by_item ON sheet_items (item, sheet_id) INCLUDE (count, x, y);
  -- Totals per group, summed over shards. Dimension '*' (key '') is every sheet: the aggregate's
  -- counters; the others are game_mode, player_level, hour and day, key '' meaning "no value".
  CREATE TABLE rollup_groups (
    dimension text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL, shard smallint NOT NULL,
    sheets bigint NOT NULL, matches bigint NOT NULL, players bigint NOT NULL,
    PRIMARY KEY (dimension, key, shard)
  );
  CREATE TABLE rollup_group_items (
    dimension text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL,
    item text COLLATE "C" NOT NULL, shard smallint NOT NULL, units bigint NOT NULL,
    PRIMARY KEY (dimension, key, item, shard)
  );
  -- Who was counted in a group (kind 'm' a match, 'p' a player): an insert that returns a row is a
  -- new member, which keeps distinct counts exact however many writers run. Never sharded.
  CREATE TABLE rollup_group_members (
    dimension text COLLATE "C" NOT NULL, key text COLLATE "C" NOT NULL,
    kind text COLLATE "C" NOT NULL, member text COLLATE "C" NOT NULL,
    PRIMARY KEY (dimension, key, kind, member)
  );
  -- Heatmap cells per resolution (bins per axis); (-1, -1) holds units off the map.
  CREATE TABLE rollup_cells (
    item text COLLATE "C" NOT NULL, bins integer NOT NULL, col integer NOT NULL,
    row integer NOT NULL, shard smallint NOT NULL, units bigint NOT NULL,
    PRIMARY KEY (item, bins, col, row, shard)
  );
  -- Sheets and units per time bucket (epoch ms of its start) and game mode ('' none).
  CREATE TABLE rollup_time (
    interval text COLLATE "C" NOT NULL, bucket bigint NOT NULL, game_mode text COLLATE "C" NOT NULL,
    shard smallint NOT NULL, sheets bigint NOT NULL, units bigint NOT NULL,
    PRIMARY KEY (interval, bucket, game_mode, shard)
  );
  -- Per item: sheets that looted it (count > 0) and its units.
  CREATE TABLE rollup_time_items (
    interval text COLLATE "C" NOT NULL, item text COLLATE "C" NOT NULL, bucket bigint NOT NULL,
    game_mode text COLLATE "C" NOT NULL, shard smallint NOT NULL,
    sheets bigint NOT NULL, units bigint NOT NULL,
    PRIMARY KEY (interval, bucket, game_mode, item, shard)
  );
  CREATE INDEX rollup_time_items_by_item ON rollup_time_items (interval, item, bucket);
  -- Per player, over every mode ('*') and per mode; the latest match by (ts_ms, id) gives the level.
  -- One row per player, not sharded: a player is not a hot row, and the listing reads its index.
  CREATE TABLE rollup_players (
    game_mode text COLLATE "C" NOT NULL, player_id text COLLATE "C" NOT NULL,
    matches bigint NOT NULL, units bigint NOT NULL, last_level bigint,
    last_seen_ms bigint NOT NULL, last_id bigint NOT NULL,
    PRIMARY KEY (game_mode, player_id)
  );
  CREATE INDEX rollup_players_by_matches ON rollup_players (game_mode, matches DESC, player_id);
  CREATE TABLE rollup_experiment_players (
    experiment text COLLATE "C" NOT NULL, variant text COLLATE "C" NOT NULL,
    player_id text COLLATE "C" NOT NULL, sheets bigint NOT NULL, units bigint NOT NULL,
    PRIMARY KEY (experiment, variant, player_id)
  );
  CREATE TABLE rollup_experiment_items (
    experiment text COLLATE "C" NOT NULL, item text COLLATE "C" NOT NULL,
    variant text COLLATE "C" NOT NULL, player_id text COLLATE "C" NOT NULL, units bigint NOT NULL,
    PRIMARY KEY (experiment, item, variant, player_id)
  );
  `,
  // 2: sheets are fingerprinted with xxHash64 (lib's fingerprintSheet); those stored before keep
  // their SHA-256 text and are compared with one. Its own version, so that a server of the release
  // before, which compares only SHA-256, refuses to start on a database that holds the new ones.
  `
  COMMENT ON COLUMN stat_sheets.fingerprint IS
    'Tells a resubmission from a conflict: 16 hex characters of xxHash64 of the sheet''s canonical JSON, or 32 of SHA-256 for sheets stored before schema 2';
  `,
];

/** Every table the store writes, in the order `clear()` truncates them. */
export const STORE_TABLES: readonly string[] = [
  "stat_sheets",
  "sheet_items",
  "rollup_groups",
  "rollup_group_items",
  "rollup_group_members",
  "rollup_cells",
  "rollup_time",
  "rollup_time_items",
  "rollup_players",
  "rollup_experiment_players",
  "rollup_experiment_items",
];

/**
 * Brings the database to the current schema (or, `readOnly`, only checks it). Every step runs in
 * one transaction holding an advisory lock: a second server starting at the same moment waits,
 * then finds the version current. Refuses a database newer than this code and one whose
 * `stat_sheets` another program made.
 */
export async function migratePostgres(
  sql: PostgresSql,
  options: { readOnly?: boolean } = {},
): Promise<void> {
  await sql.begin(async (tx) => {
    if (options.readOnly) {
      const version = await readVersion(tx);
      checkVersion(version, await hasForeignSheets(tx));
      if (version === 0) {
        throw new Error(
          "it holds no Loot Telemetry tables yet: start a server on it once (deno task server --db URL), which creates them",
        );
      }
      if (version < MIGRATIONS.length) {
        throw new Error(
          `Database schema version ${version} is older than this server's (${MIGRATIONS.length}) and a read-only store cannot migrate it: start a server on it once, which migrates it`,
        );
      }
      return;
    }
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK}::bigint)`;
    const version = await readVersion(tx);
    checkVersion(version, await hasForeignSheets(tx));
    await tx`CREATE TABLE IF NOT EXISTS loot_schema_version (
      version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`;
    for (let step = version; step < MIGRATIONS.length; step++) {
      await tx.unsafe(MIGRATIONS[step]!);
      await tx`INSERT INTO loot_schema_version (version) VALUES (${step + 1})`;
    }
  });
}

/** The schema version recorded (0 for a database this code never migrated). */
export async function readVersion(sql: PostgresTransaction): Promise<number> {
  const [table] = await sql<{ exists: boolean }[]>`
    SELECT to_regclass('loot_schema_version') IS NOT NULL AS exists`;
  if (!table?.exists) return 0;
  const [row] = await sql<{ version: number | null }[]>`
    SELECT MAX(version) AS version FROM loot_schema_version`;
  return row?.version ?? 0;
}

async function hasForeignSheets(sql: PostgresTransaction): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`
    SELECT to_regclass('stat_sheets') IS NOT NULL AND to_regclass('loot_schema_version') IS NULL
      AS exists`;
  return row?.exists ?? false;
}

function checkVersion(version: number, foreign: boolean): void {
  if (version > MIGRATIONS.length) {
    throw new Error(
      `Database schema version ${version} is newer than this server knows (${MIGRATIONS.length}): upgrade Loot Telemetry`,
    );
  }
  if (foreign) {
    throw new Error(
      "Database has a stat_sheets table but no schema version: it was made by another program (the original Python server?). Use a new database",
    );
  }
}

/** SQL giving the start (epoch ms) of a sheet's `interval` bucket over `ts_ms`: lib's `bucketStartOf`. */
export function bucketPostgresSql(interval: TimeInterval, column = "ts_ms"): string {
  const width = INTERVAL_MS[interval];
  // ts_ms is never negative (timestamps start at 1970), so integer division is floor.
  return `((${column} / ${width}) * ${width})`;
}

/**
 * SQL giving a sheet's key along a group dimension, '' when absent: lib's `groupKeyOf` as the
 * rollups store it (hour and day keys are the bucket's start as `formatBucketStart` writes it).
 */
export function groupKeyPostgresSql(dimension: GroupBy, prefix = ""): string {
  switch (dimension) {
    case "game_mode":
      return `COALESCE(${prefix}game_mode, '')`;
    case "player_level":
      return `COALESCE(${prefix}player_level::text, '')`;
    case "hour":
    case "day":
      return `to_char(to_timestamp(${
        bucketPostgresSql(dimension, `${prefix}ts_ms`)
      } / 1000) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`;
  }
}
