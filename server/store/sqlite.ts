import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  type Aggregate,
  BASE_BINS,
  type BinningOptions,
  createEmptyGrid,
  type HeatmapGrid,
  type HeatmapPoints,
  type ItemLocation,
  type StatSheet,
  type StoredStatSheet,
} from "../../lib/mod.ts";
import type { AggregateFilter, InsertOutcome, SheetFilter, Store } from "./store.ts";
import {
  cellSql,
  MIGRATIONS,
  ROLLUP_BINS,
  ROLLUP_MAP,
  ROLLUP_RESOLUTIONS,
} from "./sqlite_schema.ts";
import { GroupCommitWriter } from "./sqlite_writer.ts";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Open without write access (db-summary); the file must exist. */
  readOnly?: boolean;
}

interface SheetRow {
  id: number;
  match_id: string;
  player_id: string;
  timestamp: string;
  looted_items: string;
  locations: string;
  created_at: string;
  match_duration: number | null;
  player_level: number | null;
  extra: string | null;
  client_timestamp: string | null;
  sent_at: string | null;
}

const SHEET_COLUMNS =
  "id, match_id, player_id, timestamp, looted_items, locations, created_at, match_duration, player_level, extra, client_timestamp, sent_at";

/**
 * Opens (creating it and its folder when missing) a SQLite database through Deno's built-in
 * `node:sqlite`, migrated to the current schema. `":memory:"` gives a private in-memory store.
 * @example
 * using store = openSqliteStore("data/loot_telemetry.db");
 */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): SqliteStore {
  const inMemory = path === ":memory:";
  if (!inMemory && !options.readOnly) mkdirSync(dirname(path), { recursive: true });
  const db = new DatabaseSync(path, { readOnly: options.readOnly ?? false });
  try {
    configure(db, { inMemory, readOnly: options.readOnly ?? false });
  } catch (error) {
    db.close();
    throw error;
  }
  return new SqliteStore(
    db,
    inMemory ? "SQLite in memory" : `SQLite ${path}`,
    options.readOnly ?? false,
  );
}

function configure(
  db: DatabaseSync,
  { inMemory, readOnly }: { inMemory: boolean; readOnly: boolean },
) {
  db.exec("PRAGMA busy_timeout = 5000");
  // 64 MiB of page cache (the default is 2 MiB) keeps index pages hot as the database grows to millions of sheets.
  db.exec("PRAGMA cache_size = -65536");
  if (readOnly) return;
  // WAL lets readers run beside the writer; synchronous=FULL makes every commit survive power loss,
  // which is what "a 2xx means stored" promises.
  if (!inMemory) db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  migrate(db);
}

function migrate(db: DatabaseSync): void {
  const { user_version: version } = db.prepare("PRAGMA user_version").get() as {
    user_version: number;
  };
  if (version > MIGRATIONS.length) {
    throw new Error(
      `Database schema version ${version} is newer than this server knows (${MIGRATIONS.length}): upgrade Loot Telemetry`,
    );
  }
  if (version === 0 && db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'stat_sheets'").get()) {
    throw new Error(
      "Database has a stat_sheets table but no schema version: it was made by another program (the original Python server?). Use a new --db path",
    );
  }
  for (let step = version; step < MIGRATIONS.length; step++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[step]!);
      db.exec(`PRAGMA user_version = ${step + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}

/** The SQLite engine: the {@link Store} interface plus checks that only a SQL engine can offer. */
export class SqliteStore implements Store {
  readonly description: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #writer: GroupCommitWriter;
  #closed = false;

  constructor(db: DatabaseSync, description: string, readOnly: boolean) {
    this.#db = db;
    this.description = `${description}${readOnly ? " (read-only)" : ""}`;
    this.#writer = new GroupCommitWriter(db, (sql) => this.#prepare(sql));
  }

  /** Group-commit counters: commits made and submissions they carried. */
  get commitStats(): { commits: number; units: number } {
    return { ...this.#writer.stats };
  }

  /** Prepared statements are cached by their SQL: listing filters combine into a handful of shapes. */
  #prepare(sql: string): StatementSync {
    let statement = this.#statements.get(sql);
    if (!statement) {
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  insertSheets(
    sheets: readonly StatSheet[],
    { receivedAt }: { receivedAt: Date },
  ): Promise<InsertOutcome[]> {
    return this.#writer.write(sheets, receivedAt);
  }

  async listSheets(filter: SheetFilter): Promise<StoredStatSheet[]> {
    await Promise.resolve();
    const { where, params } = buildSheetWhere(filter);
    const rows = this.#prepare(
      `SELECT ${SHEET_COLUMNS} FROM stat_sheets s ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
    )
      .all(...params, filter.limit, filter.offset ?? 0) as unknown as SheetRow[];
    return rows.map(toStoredSheet);
  }

  async aggregate(filter: AggregateFilter = {}): Promise<Aggregate> {
    await Promise.resolve();
    const { where, params } = buildSheetWhere(filter);
    if (!where) return this.#aggregateFromRollups();
    const counts = this.#prepare(
      `SELECT COUNT(*) AS sheets, COUNT(DISTINCT match_id) AS matches, COUNT(DISTINCT player_id) AS players
       FROM stat_sheets s ${where}`,
    ).get(...params) as { sheets: number; matches: number; players: number };
    const itemSql = where
      ? `SELECT i.item AS item, SUM(i.count) AS total FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id
         ${where} GROUP BY i.item ORDER BY i.item`
      : "SELECT item, SUM(count) AS total FROM sheet_items GROUP BY item ORDER BY item";
    const items = this.#prepare(itemSql).all(...params) as unknown as {
      item: string;
      total: number;
    }[];
    return {
      total_items: Object.fromEntries(items.map(({ item, total }) => [item, total])),
      total_matches: counts.matches,
      total_players: counts.players,
      total_stat_sheets: counts.sheets,
    };
  }

  #aggregateFromRollups(): Aggregate {
    const counters = Object.fromEntries(
      (this.#prepare("SELECT name, value FROM rollup_counters").all() as unknown as {
        name: string;
        value: number;
      }[])
        .map(({ name, value }) => [name, value]),
    );
    const items = this.#prepare("SELECT item, units FROM rollup_items ORDER BY item")
      .all() as unknown as {
        item: string;
        units: number;
      }[];
    return {
      total_items: Object.fromEntries(items.map(({ item, units }) => [item, units])),
      total_matches: counters.matches ?? 0,
      total_players: counters.players ?? 0,
      total_stat_sheets: counters.sheets ?? 0,
    };
  }

  async heatmapPoints(item: string, filter: { matchPrefix?: string } = {}): Promise<HeatmapPoints> {
    await Promise.resolve();
    const { join, params } = joinSheets(filter);
    const rows = this.#prepare(
      `SELECT x, y, count FROM sheet_items i ${join} WHERE i.item = ? AND count > 0 AND x IS NOT NULL`,
    ).all(...params, item) as unknown as { x: number; y: number; count: number }[];
    const locations: ItemLocation[] = [];
    for (const { x, y, count } of rows) {
      for (let unit = 0; unit < count; unit++) locations.push([x, y]);
    }
    return { item_name: item, locations, count: locations.length };
  }

  async heatmapGrid(
    item: string,
    options: BinningOptions & { matchPrefix?: string },
  ): Promise<HeatmapGrid> {
    await Promise.resolve();
    const grid = createEmptyGrid(item, options);
    const map = options.mapSize ?? { width: 100, height: 100 };
    const onRollupMap = map.width === ROLLUP_MAP.width && map.height === ROLLUP_MAP.height;
    const divides = ROLLUP_BINS === BASE_BINS && BASE_BINS % options.bins === 0;
    if (onRollupMap && divides && options.matchPrefix === undefined) {
      const resolution = ROLLUP_RESOLUTIONS.find((bins) => bins % options.bins === 0);
      if (resolution !== undefined) return this.#heatmapFromRollup(grid, resolution);
    }
    const { join, params } = joinSheets(options);
    // The same arithmetic as lib's binIndex, so the server's grid equals a local one exactly: bins
    // that divide the base grid come from the base cell, other bins directly.
    const cell = (axis: "x" | "y") => {
      if (divides) return cellSql(axis, options.bins, map);
      const extent = axis === "x" ? map.width : map.height;
      return `CASE WHEN x >= 0 AND x <= ${map.width} AND y >= 0 AND y <= ${map.height}
        THEN MIN(${options.bins - 1}, CAST(${axis} / ${
        extent / options.bins
      } AS INTEGER)) ELSE -1 END`;
    };
    const rows = this.#prepare(
      `SELECT ${cell("x")} AS col, ${cell("y")} AS row, SUM(count) AS units
       FROM sheet_items i ${join} WHERE i.item = ? AND count > 0 AND x IS NOT NULL
       GROUP BY col, row`,
    ).all(...params, item) as unknown as { col: number; row: number; units: number }[];
    for (const { col, row, units } of rows) {
      if (col < 0) grid.outside += units;
      else {
        grid.grid[row]![col]! += units;
        grid.count += units;
      }
    }
    return grid;
  }

  /** Derives the grid from the coarsest rollup resolution its bins divide: no scan of the sheets. */
  #heatmapFromRollup(grid: HeatmapGrid, resolution: number): HeatmapGrid {
    const factor = resolution / grid.bins;
    const cells = this.#prepare(
      "SELECT col, row, units FROM rollup_cells WHERE item = ? AND bins = ?",
    )
      .all(grid.item_name, resolution) as unknown as { col: number; row: number; units: number }[];
    for (const { col, row, units } of cells) {
      if (col < 0) grid.outside += units;
      else {
        grid.grid[Math.floor(row / factor)]![Math.floor(col / factor)]! += units;
        grid.count += units;
      }
    }
    return grid;
  }

  async clear(): Promise<number> {
    await Promise.resolve();
    this.#db.exec("BEGIN IMMEDIATE");
    try {
      const { count } = this.#prepare("SELECT COUNT(*) AS count FROM stat_sheets").get() as {
        count: number;
      };
      this.#db.exec(`DELETE FROM sheet_items; DELETE FROM stat_sheets; DELETE FROM rollup_items;
        DELETE FROM rollup_cells; UPDATE rollup_counters SET value = 0;`);
      this.#db.exec("COMMIT");
      return count;
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  async ping(): Promise<void> {
    await Promise.resolve();
    this.#prepare("SELECT 1").get();
  }

  /**
   * Recounts every rollup from the sheets and lists each disagreement (none when consistent).
   * Tests and the crash test use it; it scans everything, so it is not for request paths.
   */
  checkRollups(): string[] {
    const problems: string[] = [];
    const recount = this.#prepare(
      `SELECT COUNT(*) AS sheets, COUNT(DISTINCT match_id) AS matches, COUNT(DISTINCT player_id) AS players FROM stat_sheets`,
    ).get() as Record<string, number>;
    const stored = this.#aggregateFromRollups();
    for (
      const [name, value] of [["sheets", stored.total_stat_sheets], [
        "matches",
        stored.total_matches,
      ], ["players", stored.total_players]] as const
    ) {
      if (recount[name] !== value) {
        problems.push(`rollup ${name} is ${value}, recount ${recount[name]}`);
      }
    }
    const items = this.#prepare("SELECT item, SUM(count) AS units FROM sheet_items GROUP BY item")
      .all() as unknown as {
        item: string;
        units: number;
      }[];
    const recountItems = Object.fromEntries(items.map(({ item, units }) => [item, units]));
    for (
      const item of new Set([...Object.keys(recountItems), ...Object.keys(stored.total_items)])
    ) {
      if (recountItems[item] !== stored.total_items[item]) {
        problems.push(
          `rollup units of ${item} is ${stored.total_items[item]}, recount ${recountItems[item]}`,
        );
      }
    }
    for (const bins of ROLLUP_RESOLUTIONS) {
      const recountCells = `SELECT item, ${cellSql("x", bins)} AS col, ${
        cellSql("y", bins)
      } AS row, SUM(count) AS units
        FROM sheet_items WHERE count > 0 AND x IS NOT NULL GROUP BY 1, 2, 3`;
      const stored =
        `SELECT item, col, row, units FROM rollup_cells WHERE bins = ${bins} AND units != 0`;
      const { differing } = this.#db.prepare(
        `SELECT (SELECT COUNT(*) FROM (${stored} EXCEPT ${recountCells})) +
                (SELECT COUNT(*) FROM (${recountCells} EXCEPT ${stored})) AS differing`,
      ).get() as { differing: number };
      if (differing > 0) {
        problems.push(
          `heatmap rollup at ${bins} bins differs from a recount in ${differing} cells`,
        );
      }
    }
    return problems;
  }

  /** SQLite's plan for a listing, for tests that every filter is served by an index. */
  explainListSheets(filter: SheetFilter): string[] {
    const { sql, params } = buildListSql(filter);
    return (this.#db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as unknown as {
      detail: string;
    }[])
      .map((row) => row.detail);
  }

  close(): void {
    if (this.#closed) return;
    this.#writer.close();
    this.#closed = true;
    // Fold the WAL back into the main file so the database is one self-contained file at rest.
    try {
      this.#db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    } catch {
      // A read-only or in-memory database has no WAL to fold.
    }
    this.#db.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

function buildListSql(filter: SheetFilter): { sql: string; params: (string | number)[] } {
  const { where, params } = buildSheetWhere(filter);
  return {
    sql: `SELECT ${SHEET_COLUMNS} FROM stat_sheets s ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
    params: [...params, filter.limit, filter.offset ?? 0],
  };
}

function buildSheetWhere(
  filter: Omit<SheetFilter, "limit">,
): { where: string; params: (string | number)[] } {
  const clauses: string[] = [];
  const params: (string | number)[] = [];
  // Only present filters enter the SQL: `(? IS NULL OR col = ?)` would keep SQLite off the indexes.
  const add = (clause: string, param: string | number | undefined) => {
    if (param === undefined) return;
    clauses.push(clause);
    params.push(param);
  };
  add("s.match_id = ?", filter.match_id);
  // A range on the unique (match_id, player_id) index; U+10FFFF sorts after every character.
  add("s.match_id >= ?", filter.matchPrefix);
  add(
    "s.match_id < ?",
    filter.matchPrefix === undefined ? undefined : `${filter.matchPrefix}\u{10FFFF}`,
  );
  add("s.player_id = ?", filter.player_id);
  add("s.ts_ms >= ?", filter.sinceMs);
  add("s.ts_ms < ?", filter.untilMs);
  add("s.id < ?", filter.beforeId);
  add(
    "EXISTS (SELECT 1 FROM sheet_items i WHERE i.sheet_id = s.id AND i.item = ? AND i.count > 0)",
    filter.item,
  );
  return { where: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** Joins the sheet table when a heatmap is restricted to a match prefix; nothing otherwise. */
function joinSheets(filter: { matchPrefix?: string }): { join: string; params: string[] } {
  if (filter.matchPrefix === undefined) return { join: "", params: [] };
  return {
    join: "JOIN stat_sheets s ON s.id = i.sheet_id AND s.match_id >= ? AND s.match_id < ?",
    params: [filter.matchPrefix, `${filter.matchPrefix}\u{10FFFF}`],
  };
}

function toStoredSheet(row: SheetRow): StoredStatSheet {
  const sheet: StoredStatSheet = {
    id: row.id,
    match_id: row.match_id,
    player_id: row.player_id,
    timestamp: row.timestamp,
    looted_items: JSON.parse(row.looted_items),
    locations: JSON.parse(row.locations),
    created_at: row.created_at,
    received_at: row.created_at,
    match_duration: row.match_duration,
    player_level: row.player_level,
    extra: row.extra === null ? null : JSON.parse(row.extra),
  };
  if (row.sent_at !== null) {
    sheet.sent_at = row.sent_at;
    if (row.client_timestamp !== null) sheet.client_timestamp = row.client_timestamp;
  }
  return sheet;
}
