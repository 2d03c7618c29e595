import { DatabaseSync, type StatementSync } from "node:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import {
  type Aggregate,
  type AggregateFilter,
  type AnomaliesRequest,
  type AnomalyRow,
  type ExperimentListing,
  type ExperimentMetric,
  type GroupBy,
  type GroupedAggregate,
  type HeatmapGrid,
  type HeatmapPoints,
  LimitExceededError,
  type PlayerRow,
  type PlayersRequest,
  type PlayerSummary,
  type PreparedSheet,
  type SheetFilter,
  type StoredStatSheet,
  type Timeseries,
  type TimeseriesRequest,
  type VariantStats,
} from "../../lib/mod.ts";
import { SHEET_COLUMNS, type SheetRow, toStoredSheet } from "./sheet_rows.ts";
import type { CommitListener, InsertOutcome, Store } from "./store.ts";
import { type FoldStep, foldStepsOf, readRollupAggregate } from "./sqlite_rollups.ts";
import {
  readGroupedAggregate,
  readPlayer,
  readPlayers,
  readTimeseries,
} from "./sqlite_analytics.ts";
import { MIGRATIONS } from "./sqlite_schema.ts";
import {
  type HeatmapFilter,
  isGridFromRollups,
  readHeatmapGrid,
  readHeatmapPoints,
} from "./sqlite_heatmap.ts";
import type { ReadAnswer, ReadError, ReadReply, ReadRequest } from "./sqlite_read_worker_body.ts";
import { readAnomalies, readExperiments, readExperimentStats } from "./sqlite_experiments.ts";
import { allRows, firstRow, type SqlParam } from "./sqlite_rows.ts";
import {
  configureWriteConnection,
  GroupCommitWriter,
  type SheetWriter,
  WorkerWriter,
} from "./sqlite_writer.ts";

/** Options of {@link openSqliteStore}. */
export interface SqliteStoreOptions {
  /** Open without write access (db-summary); the file must exist. */
  readOnly?: boolean;
}

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
    inMemory ? undefined : path,
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
  // WAL lets readers (this connection) run beside the writer (the write worker's connection).
  if (!inMemory) db.exec("PRAGMA journal_mode = WAL");
  configureWriteConnection(db);
  migrate(db);
}

function migrate(db: DatabaseSync): void {
  const { user_version: version } = firstRow<{ user_version: number }>(
    db.prepare("PRAGMA user_version"),
  );
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

/**
 * The SQLite engine behind the {@link Store} interface; writes go through a group-commit writer, on
 * a worker thread for a file database.
 */
export class SqliteStore implements Store {
  readonly description: string;
  readonly #db: DatabaseSync;
  readonly #statements = new Map<string, StatementSync>();
  readonly #writer: SheetWriter;
  /** The file, for the scan connection; undefined in memory (a second connection would see nothing). */
  readonly #path: string | undefined;
  #scanDb: DatabaseSync | undefined;
  #reader: ReadWorker | undefined;
  #closed = false;

  constructor(db: DatabaseSync, description: string, readOnly: boolean, path?: string) {
    this.#db = db;
    this.#path = path;
    this.description = `${description}${readOnly ? " (read-only)" : ""}`;
    // A file database is written on a worker thread; in memory, no other thread could see the data.
    this.#writer = path === undefined || readOnly
      ? new GroupCommitWriter((sql) => this.#prepare(sql), { readOnly })
      : new WorkerWriter(path);
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

  insertSheets(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    return this.#writer.write(sheets);
  }

  onCommit(listener: CommitListener): () => void {
    return this.#writer.onCommit(listener);
  }

  listSheets(filter: SheetFilter): Promise<StoredStatSheet[]> {
    return settle(() => {
      const { sql, params } = buildListSql(filter);
      return allRows<SheetRow>(this.#prepare(sql), params).map(toStoredSheet);
    });
  }

  /**
   * Pages through a second, read-only connection with a 2 MiB page cache: a scan of a million
   * sheets would otherwise fill the main connection's 64 MiB cache with sheet rows (about 70 MiB of
   * server memory, measured) and evict the index and rollup pages other reads rely on. In WAL mode
   * each page reads the latest commit, as `/api/stats` does.
   */
  async *scanSheets(
    filter: Omit<SheetFilter, "limit" | "offset" | "beforeId">,
    options: { pageSize?: number } = {},
  ): AsyncGenerator<StoredStatSheet[]> {
    const limit = options.pageSize ?? 2_000;
    const statements = new Map<string, StatementSync>();
    const db = this.#openScanConnection();
    const prepare = (sql: string) => {
      if (db === this.#db) return this.#prepare(sql);
      let statement = statements.get(sql);
      if (!statement) statements.set(sql, statement = db.prepare(sql));
      return statement;
    };
    let beforeId: number | undefined;
    while (true) {
      const { sql, params } = buildListSql({ ...filter, limit, beforeId });
      const page = allRows<SheetRow>(prepare(sql), params).map(toStoredSheet);
      if (page.length > 0) yield page;
      if (page.length < limit) return;
      beforeId = page.at(-1)!.id;
    }
  }

  #openScanConnection(): DatabaseSync {
    if (this.#path === undefined) return this.#db;
    if (!this.#scanDb) {
      this.#scanDb = new DatabaseSync(this.#path, { readOnly: true });
      this.#scanDb.exec("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -2048");
    }
    return this.#scanDb;
  }

  aggregate(filter: AggregateFilter = {}): Promise<Aggregate> {
    const { where, params } = buildSheetWhere(filter);
    // Filtered totals are counted from the sheets, which need no fold.
    return this.#afterFold(where ? [] : foldStepsOf("rollup_counters", "rollup_items"), () => {
      if (!where) return readRollupAggregate((sql) => this.#prepare(sql));
      const counts = firstRow<{ sheets: number; matches: number; players: number }>(
        this.#prepare(
          `SELECT COUNT(*) AS sheets, COUNT(DISTINCT match_id) AS matches, COUNT(DISTINCT player_id) AS players
           FROM stat_sheets s ${where}`,
        ),
        params,
      );
      const items = allRows<{ item: string; total: number }>(
        this.#prepare(
          `SELECT i.item AS item, SUM(i.count) AS total
           FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id
           ${where} GROUP BY i.item ORDER BY i.item`,
        ),
        params,
      );
      return {
        total_items: Object.fromEntries(items.map(({ item, total }) => [item, total])),
        total_matches: counts.matches,
        total_players: counts.players,
        total_stat_sheets: counts.sheets,
      };
    });
  }

  heatmapPoints(item: string, filter: HeatmapFilter = {}): Promise<HeatmapPoints> {
    // Unfiltered, the cell rollup counts the points before they are listed.
    return this.#afterFold(foldStepsOf("rollup_cells"), () => {
      if (this.#path === undefined) {
        return readHeatmapPoints((sql) => this.#prepare(sql), item, filter);
      }
      this.#reader ??= new ReadWorker();
      return this.#reader.read(this.#path, { kind: "heatmapPoints", item, filter });
    });
  }

  heatmapGrid(item: string, options: HeatmapFilter & { bins: number }): Promise<HeatmapGrid> {
    const fromRollups = isGridFromRollups(options);
    return this.#afterFold(fromRollups ? foldStepsOf("rollup_cells") : [], () => {
      if (this.#path === undefined || fromRollups) {
        return readHeatmapGrid((sql) => this.#prepare(sql), item, options);
      }
      this.#reader ??= new ReadWorker();
      return this.#reader.read(this.#path, { kind: "heatmapGrid", item, options });
    });
  }

  readsCaughtUp(): Promise<void> {
    return this.#writer.sync();
  }

  /**
   * Runs a read once every sheet acknowledged before it is folded into the rollups of `steps`, the
   * ones that keep the tables it reads (the writer folds in transactions of its own, a step at a
   * time, after the commits it acknowledges; see `GroupCommitter`). A read on this connection runs in
   * one read transaction, so a fold committing meanwhile cannot show in some of its statements and
   * not in others.
   */
  async #afterFold<T>(steps: readonly FoldStep[], read: () => T | Promise<T>): Promise<T> {
    if (steps.length > 0) await this.#writer.sync(steps);
    this.#db.exec("BEGIN");
    try {
      const answer = read();
      if (!(answer instanceof Promise)) return answer;
      // Answered by the read worker, on its own connection: nothing to hold here.
      this.#db.exec("COMMIT");
      return await answer;
    } finally {
      if (this.#db.isTransaction) this.#db.exec("COMMIT");
    }
  }

  groupAggregate(groupBy: GroupBy, filter: AggregateFilter = {}): Promise<GroupedAggregate> {
    return this.#afterFold(
      foldStepsOf("rollup_groups", "rollup_group_items"),
      () => readGroupedAggregate((sql) => this.#prepare(sql), groupBy, buildSheetWhere(filter)),
    );
  }

  timeseries(request: TimeseriesRequest): Promise<Timeseries> {
    return this.#afterFold(
      foldStepsOf("rollup_time", "rollup_time_items"),
      () => readTimeseries((sql) => this.#prepare(sql), request, buildSheetWhere),
    );
  }

  player(playerId: string): Promise<PlayerSummary | undefined> {
    return this.#afterFold([], () => readPlayer((sql) => this.#prepare(sql), playerId));
  }

  listPlayers(request: PlayersRequest): Promise<PlayerRow[]> {
    return this.#afterFold(
      foldStepsOf("rollup_players"),
      () => readPlayers((sql) => this.#prepare(sql), request),
    );
  }

  listExperiments(): Promise<ExperimentListing[]> {
    return this.#afterFold(
      foldStepsOf("rollup_experiment_players"),
      () => readExperiments((sql) => this.#prepare(sql)),
    );
  }

  experimentStats(experiment: string, metric: ExperimentMetric): Promise<VariantStats[]> {
    return this.#afterFold(
      foldStepsOf("rollup_experiment_players", "rollup_experiment_items"),
      () => readExperimentStats((sql) => this.#prepare(sql), experiment, metric),
    );
  }

  /**
   * The anomaly rules scan every sheet, so a file database runs them on a worker thread with its
   * own read-only connection (measured: about 2 s at 100,000 sheets, which on the event loop would
   * stall every other request); an in-memory one, which no other connection can see, runs them here.
   */
  anomalies(request: AnomaliesRequest): Promise<AnomalyRow[]> {
    if (this.#path === undefined) {
      return settle(() => readAnomalies((sql) => this.#prepare(sql), request));
    }
    this.#reader ??= new ReadWorker();
    return this.#reader.read(this.#path, { kind: "anomalies", request });
  }

  clear(): Promise<number> {
    return settle(() => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const { count } = firstRow<{ count: number }>(
          this.#prepare("SELECT COUNT(*) AS count FROM stat_sheets"),
        );
        this.#db.exec(`DELETE FROM stat_sheets; DELETE FROM rollup_items;
          DELETE FROM rollup_cells; UPDATE rollup_counters SET value = 0;
          DELETE FROM rollup_groups; DELETE FROM rollup_group_items; DELETE FROM rollup_group_members;
          DELETE FROM rollup_time; DELETE FROM rollup_time_items; DELETE FROM rollup_players;
          DELETE FROM rollup_experiment_players; DELETE FROM rollup_experiment_items;
          UPDATE rollup_state SET value =
            COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stat_sheets'), 0)
            WHERE name LIKE 'folded_through:%';`);
        this.#db.exec("COMMIT");
        return count;
      } catch (error) {
        this.#db.exec("ROLLBACK");
        throw error;
      }
    });
  }

  ping(): Promise<void> {
    return settle(() => void this.#prepare("SELECT 1").get());
  }

  close(): void {
    if (this.#closed) return;
    this.#reader?.terminate();
    this.#writer.close();
    this.#closed = true;
    this.#scanDb?.close();
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

/** The one listing query: filters, newest first, one page. */
export function buildListSql(filter: SheetFilter): { sql: string; params: SqlParam[] } {
  const { where, params } = buildSheetWhere(filter);
  return {
    sql: `SELECT ${SHEET_COLUMNS} FROM stat_sheets s ${where} ORDER BY id DESC LIMIT ? OFFSET ?`,
    params: [...params, filter.limit, filter.offset ?? 0],
  };
}

function buildSheetWhere(
  filter: Omit<SheetFilter, "limit">,
): { where: string; params: SqlParam[] } {
  const clauses: string[] = [];
  const params: SqlParam[] = [];
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
  add("s.game_mode = ?", filter.gameMode);
  add("s.experiment = ?", filter.experiment);
  add("s.variant = ?", filter.variant);
  add("s.ts_ms >= ?", filter.sinceMs);
  add("s.ts_ms < ?", filter.untilMs);
  add("s.id < ?", filter.beforeId);
  // Read from the sheet's own JSON (item names are safe in a JSON path: lib's ITEM_NAME_PATTERN).
  add("json_extract(s.looted_items, '$.' || ?) > 0", filter.item);
  return { where: clauses.length ? `WHERE ${clauses.join(" AND ")}` : "", params };
}

/** Runs a synchronous store call as a promise, a throw becoming a rejection (the Store is async). */
function settle<T>(read: () => T): Promise<T> {
  try {
    return Promise.resolve(read());
  } catch (error) {
    return Promise.reject(error);
  }
}

/** The read worker (`sqlite_read_worker.ts`), started on first use; requests matched by id. */
class ReadWorker {
  readonly #worker = new Worker(new URL("./sqlite_read_worker.ts", import.meta.url), {
    type: "module",
  });
  readonly #pending = new Map<
    number,
    { resolve: (answer: never) => void; reject: (error: Error) => void }
  >();
  #next = 0;

  constructor() {
    this.#worker.onmessage = (event: MessageEvent<ReadReply>) => {
      const reply = event.data;
      const waiting = this.#pending.get(reply.id);
      if (!waiting) return;
      this.#pending.delete(reply.id);
      if ("error" in reply) waiting.reject(fromReadError(reply.error));
      else waiting.resolve(reply.answer as never);
    };
  }

  /** Runs `request` on the worker's connection to `path`; resolves with its answer. */
  read<Kind extends ReadRequest["kind"]>(
    path: string,
    request: Extract<ReadRequest, { kind: Kind }>,
  ): Promise<ReadAnswer<Kind>> {
    const id = this.#next++;
    const { promise, resolve, reject } = Promise.withResolvers<ReadAnswer<Kind>>();
    this.#pending.set(id, { resolve, reject });
    this.#worker.postMessage({ id, path, request });
    return promise;
  }

  terminate(): void {
    this.#worker.terminate();
    for (const { reject } of this.#pending.values()) reject(new Error("The store is closed"));
    this.#pending.clear();
  }
}

/** Turns an error that crossed from the read worker back into its class where callers tell it apart. */
function fromReadError({ name, message, limit }: ReadError): Error {
  if (name === "LimitExceededError" && limit !== undefined) {
    return new LimitExceededError(message, limit);
  }
  return new Error(message);
}
