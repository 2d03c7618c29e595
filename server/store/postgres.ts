/**
 * The PostgreSQL engine behind the {@link Store} interface, for several server processes sharing
 * one database. Its semantics are the SQLite store's; what differs is how they hold when writers
 * run at once, on many connections of many processes:
 *
 * - **Idempotency and conflicts live in the database.** `UNIQUE (match_id, player_id)` decides:
 *   a batch inserts with `ON CONFLICT DO NOTHING RETURNING id`; the sheets it skipped are
 *   compared by fingerprint with the stored ones (a resubmission returns the stored id, a
 *   different sheet throws `ConflictError` and the whole batch rolls back). A writer inserting a
 *   key another holds uncommitted waits for that commit, so two processes can never both store
 *   a key, nor both call the same sheet new.
 * - **Rollups stay exact in the insert transaction, without one hot row.** Every hot rollup row
 *   (the aggregate's counters, item totals, heatmap cells, groups, time buckets) carries a
 *   `shard` in its key: a transaction claims one of `ROLLUP_SHARDS` (16) shards that no
 *   running transaction holds (a non-blocking advisory lock) and adds all its deltas there with
 *   `INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE SET x = x + excluded.x`; reads sum over
 *   shards. Up to that many writers never wait for each other's rollup rows.
 * - **Distinct counts use member tables.** Whether a match or player is new to a group (or to
 *   the database: group `*`) is what `INSERT … ON CONFLICT DO NOTHING RETURNING` on
 *   `rollup_group_members` returns; a concurrent inserter of the same member waits for the first
 *   to commit, so each member is counted exactly once. (The price: the first sheets of a new
 *   match, written at once, queue behind the first one's commit.)
 * - **Per-player rows** (latest level by `(ts_ms, id)`) are not hot: one row per player, updated
 *   with a "newer wins" CASE so the order of commits does not matter.
 * - **No deadlocks.** Every transaction takes its row locks in one global order: sheets by key,
 *   then each rollup table in a fixed order, rows by key (`ORDER BY` before each upsert).
 * - **Set-based.** A batch is one JSON parameter (`json_to_recordset`): three round trips in
 *   the transaction (ids and shard; sheets; items, rollups pipelined) whatever its size. Small
 *   submissions arriving together share one transaction (`postgres_group_commit.ts`).
 *
 * Each resolved insert is committed with `synchronous_commit = on` (durable). `scanSheets` and
 * `anomalies` read on a separate, read-only pool, so a long scan never holds a writer's
 * connection. `onCommit` listeners hear of this store's commits at once, and of other stores'
 * (other server processes) through LISTEN/NOTIFY: after each commit the store notifies its id
 * range and transaction id, and a listening store fetches those sheets.
 * @module
 */
import {
  addToCell,
  type Aggregate,
  type AggregateFilter,
  type AnomaliesRequest,
  type AnomalyRow,
  binIndexSql,
  createEmptyGrid,
  type ExperimentListing,
  type ExperimentMetric,
  findRollupResolution,
  type GroupBy,
  type GroupedAggregate,
  type HeatmapGrid,
  type HeatmapPoints,
  type ItemLocation,
  LimitExceededError,
  MAX_HEATMAP_POINTS,
  type PlayerRow,
  type PlayersRequest,
  type PlayerSummary,
  type PreparedSheet,
  ROLLUP_RESOLUTIONS,
  type SheetFilter,
  type StatSheet,
  type StoredStatSheet,
  type Timeseries,
  type TimeseriesRequest,
  type VariantStats,
} from "../../lib/mod.ts";
import { SHEET_COLUMNS, type SheetRow, toStoredSheet } from "./sheet_rows.ts";
import type { CommitListener, CommitListenerOptions, InsertOutcome, Store } from "./store.ts";
import { connectPostgres, describeUrl, type PostgresSql } from "./postgres_connect.ts";
import { GroupCommitQueue } from "./postgres_group_commit.ts";
import { COMMIT_CHANNEL, type CommitNotice, writeBatch } from "./postgres_insert.ts";
import { migratePostgres, STORE_TABLES } from "./postgres_schema.ts";
import {
  readGroupedAggregate,
  readPlayer,
  readPlayers,
  readTimeseries,
} from "./postgres_analytics.ts";
import { readAnomalies, readExperiments, readExperimentStats } from "./postgres_experiments.ts";

/** Options of {@link openPostgresStore}. */
export interface PostgresStoreOptions {
  /** Check the schema but never migrate or write (db-summary). */
  readOnly?: boolean;
  /** Connections of the main pool (writes and reads); default 4. */
  poolSize?: number;
}

/**
 * Opens the PostgreSQL database at `url` (it must exist), migrated to the current schema.
 * @example
 * await using store = await openPostgresStore("postgres://loot@127.0.0.1:5432/loot");
 */
export async function openPostgresStore(
  url: string,
  options: PostgresStoreOptions = {},
): Promise<PostgresStore> {
  const readOnly = options.readOnly ?? false;
  const sql = connectPostgres(url, { max: options.poolSize ?? 4, readOnly });
  try {
    await migratePostgres(sql, { readOnly });
  } catch (error) {
    await sql.end({ timeout: 0 });
    throw error;
  }
  return new PostgresStore(sql, url, readOnly);
}

/** The PostgreSQL engine behind the {@link Store} interface (see the module notes). */
export class PostgresStore implements Store, AsyncDisposable {
  readonly description: string;
  readonly #sql: PostgresSql;
  readonly #url: string;
  readonly #listeners = new Set<CommitListener>();
  readonly #missedListeners = new Set<() => void>();
  /** Whether the LISTEN session connected once already (a later connection is a reconnection). */
  #listenedBefore = false;
  readonly #listening = Promise.withResolvers<void>();
  /** Tells this store's commit notifications from other stores'. */
  readonly #origin = crypto.randomUUID();
  #subscription: Promise<{ unlisten(): Promise<void> } | undefined> | undefined;
  readonly #groups = new GroupCommitQueue((sheets) => this.#commit(sheets));
  #reader: PostgresSql | undefined;
  #closing: Promise<void> | undefined;

  constructor(sql: PostgresSql, url: string, readOnly: boolean) {
    this.#sql = sql;
    this.#url = url;
    this.description = `PostgreSQL ${describeUrl(url)}${readOnly ? " (read-only)" : ""}`;
  }

  /** The read-only pool of scans and anomaly rules, opened on first use. */
  #readPool(): PostgresSql {
    this.#reader ??= connectPostgres(this.#url, { max: 2, readOnly: true });
    return this.#reader;
  }

  insertSheets(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    if (this.#closing) {
      // A 503 (the server is shutting down), not a 500: nothing was stored, a retry elsewhere works.
      return Promise.reject(
        Object.assign(new Error("The store is closed"), { code: "CONNECTION_ENDED" }),
      );
    }
    if (sheets.length === 0) return Promise.resolve([]);
    return this.#groups.submit(sheets);
  }

  /** One transaction: writes `sheets`, then tells local listeners and other stores. */
  async #commit(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    const { outcomes, stored, notice } = await this.#sql.begin((tx) => writeBatch(tx, sheets));
    if (stored.length > 0) this.#notify(stored);
    // Awaited (a round trip, no WAL), so a task that exits right after its last insert, like
    // import, has announced it.
    if (notice) await this.#announce({ origin: this.#origin, ...notice });
    return outcomes;
  }

  /**
   * Tells other stores of a commit, after it: NOTIFY inside the insert transaction would hold
   * PostgreSQL's global notification lock through the commit's WAL flush, serialising every
   * writer's commit; a NOTIFY of its own writes no WAL. A crash between the two loses only the
   * notice (other servers' live feeds miss those sheets; the data and rollups are stored).
   */
  async #announce(notice: CommitNotice): Promise<void> {
    try {
      await this.#sql`SELECT pg_notify(${COMMIT_CHANNEL}, ${JSON.stringify(notice)})`;
    } catch (error) {
      // The commit stands: only other servers' live feeds miss it.
      console.error("Cannot announce a commit to other servers:", error);
    }
  }

  #notify(stored: readonly PreparedSheet[]): void {
    for (const listener of this.#listeners) {
      // A failing listener must neither undo an acknowledged commit nor silence the others.
      try {
        listener(stored);
      } catch (error) {
        console.error("Commit listener failed:", error);
      }
    }
  }

  /**
   * Local commits are told at once; other stores' commits (other processes on the database) when
   * their notification arrives, on a LISTEN connection opened with the first listener and closed
   * with the last.
   */
  onCommit(listener: CommitListener, options: CommitListenerOptions = {}): () => void {
    this.#listeners.add(listener);
    const onMissed = options.onMissed;
    if (onMissed) this.#missedListeners.add(onMissed);
    // One LISTEN for the store's life, ended with its pool: postgres.js keeps (and on reconnection
    // re-registers) a channel's handler even when the first LISTEN failed, so listening again on
    // the next subscriber would hear every notice twice. Notices nobody wants are dropped.
    this.#subscription ??= this.#sql.listen(
      COMMIT_CHANNEL,
      (payload) => void this.#hearRemoteCommit(payload),
      // Called on every (re)connection of the LISTEN session: after the first, notices sent while
      // it was down are lost, so listeners are told to read their totals afresh.
      () => {
        if (this.#listenedBefore) { for (const missed of this.#missedListeners) missed(); }
        this.#listenedBefore = true;
        this.#listening.resolve();
      },
    ).catch((error) => {
      console.error("Cannot listen for other servers' commits (retrying):", error);
      return undefined;
    });
    return () => {
      this.#listeners.delete(listener);
      if (onMissed) this.#missedListeners.delete(onMissed);
    };
  }

  /** Resolves once the LISTEN session for other servers' commits is in place (after `onCommit`). */
  get listening(): Promise<void> {
    return this.#listening.promise;
  }

  /** Fetches the sheets another store's commit stored and tells the local listeners. */
  async #hearRemoteCommit(payload: string): Promise<void> {
    try {
      const notice: CommitNotice = JSON.parse(payload);
      if (notice.origin === this.#origin || this.#listeners.size === 0) return;
      const rows = await this.#sql<(SheetRow & StoredExtras)[]>`
        SELECT ${this.#sql.unsafe(SHEET_COLUMNS)}, ts_ms, fingerprint FROM stat_sheets
        WHERE id BETWEEN ${notice.from} AND ${notice.to} AND xmin = ${notice.xid}::xid
        ORDER BY id`;
      if (rows.length > 0) this.#notify(rows.map(toPreparedSheet));
    } catch (error) {
      console.error("Cannot read another server's commit:", error);
    }
  }

  async listSheets(filter: SheetFilter): Promise<StoredStatSheet[]> {
    const { sql, params } = buildListSql(filter);
    return (await this.#sql.unsafe<SheetRow[]>(sql, params, { prepare: true })).map(toStoredSheet);
  }

  async *scanSheets(
    filter: Omit<SheetFilter, "limit" | "offset" | "beforeId">,
    options: { pageSize?: number } = {},
  ): AsyncGenerator<StoredStatSheet[]> {
    const limit = options.pageSize ?? 2_000;
    const reader = this.#readPool();
    let beforeId: number | undefined;
    while (true) {
      const { sql, params } = buildListSql({ ...filter, limit, beforeId });
      const rows = await reader.unsafe<SheetRow[]>(sql, params, { prepare: true });
      const page = rows.map(toStoredSheet);
      if (page.length > 0) yield page;
      if (page.length < limit) return;
      beforeId = page.at(-1)!.id;
    }
  }

  async aggregate(filter: AggregateFilter = {}): Promise<Aggregate> {
    const params = new Params();
    const where = buildSheetWhere(filter, params);
    const [counts, items] = where
      ? await Promise.all([
        this.#sql.unsafe<{ sheets: number; matches: number; players: number }[]>(
          `SELECT COUNT(*) AS sheets, COUNT(DISTINCT match_id) AS matches,
             COUNT(DISTINCT player_id) AS players FROM stat_sheets s ${where}`,
          params.values,
          { prepare: true },
        ),
        this.#sql.unsafe<{ item: string; units: number }[]>(
          `SELECT i.item, SUM(i.count) AS units
           FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id
           ${where} GROUP BY i.item ORDER BY i.item`,
          params.values,
          { prepare: true },
        ),
      ])
      : await Promise.all([
        this.#sql<{ sheets: number; matches: number; players: number }[]>`
          SELECT COALESCE(SUM(sheets), 0) AS sheets, COALESCE(SUM(matches), 0) AS matches,
            COALESCE(SUM(players), 0) AS players FROM rollup_groups WHERE dimension = '*'`,
        this.#sql<{ item: string; units: number }[]>`
          SELECT item, SUM(units) AS units FROM rollup_group_items WHERE dimension = '*'
          GROUP BY item ORDER BY item`,
      ]);
    const total = counts[0]!;
    return {
      total_items: Object.fromEntries(items.map(({ item, units }) => [item, units])),
      total_matches: total.matches,
      total_players: total.players,
      total_stat_sheets: total.sheets,
    };
  }

  async heatmapPoints(item: string, filter: HeatmapFilter = {}): Promise<HeatmapPoints> {
    const params = new Params();
    const join = joinSheets(filter, params);
    const located = `FROM sheet_items i ${join}
      WHERE i.item = ${params.add(item)} AND i.count > 0 AND i.x IS NOT NULL`;
    // Counted before anything is built: from the rollup when unfiltered, else by SQL.
    const [{ units }] = coversAllSheets(filter)
      ? await this.#sql<[{ units: number }]>`
        SELECT COALESCE(SUM(units), 0) AS units FROM rollup_cells
        WHERE item = ${item} AND bins = ${ROLLUP_RESOLUTIONS[0]!}`
      : await this.#sql.unsafe<[{ units: number }]>(
        `SELECT COALESCE(SUM(i.count), 0) AS units ${located}`,
        params.values,
        { prepare: true },
      );
    if (units > MAX_HEATMAP_POINTS) {
      throw new LimitExceededError(
        `${item} has ${units} located units, more than the ${MAX_HEATMAP_POINTS} points this listing returns; ask for a grid instead, e.g. /api/heatmap/${item}?bins=20 (1 to 200 cells per axis)`,
        MAX_HEATMAP_POINTS,
      );
    }
    const rows = await this.#sql.unsafe<{ x: number; y: number; count: number }[]>(
      `SELECT i.x, i.y, i.count ${located} ORDER BY i.item, i.sheet_id`,
      params.values,
      { prepare: true },
    );
    const locations: ItemLocation[] = [];
    for (const { x, y, count } of rows) {
      for (let unit = 0; unit < count; unit++) locations.push([x, y]);
    }
    return { item_name: item, locations, count: locations.length };
  }

  async heatmapGrid(
    item: string,
    options: HeatmapFilter & { bins: number },
  ): Promise<HeatmapGrid> {
    const grid = createEmptyGrid(item, { bins: options.bins });
    const resolution = findRollupResolution(options.bins);
    if (resolution !== undefined && coversAllSheets(options)) {
      // Summed from the coarsest rollup the bins divide (and over its shards): no scan of sheets.
      const factor = resolution / options.bins;
      const cells = await this.#sql<{ col: number; row: number; units: number }[]>`
        SELECT col, row, SUM(units) AS units FROM rollup_cells
        WHERE item = ${item} AND bins = ${resolution} GROUP BY col, row`;
      for (const { col, row, units } of cells) {
        addToCell(grid, Math.floor(col / factor), Math.floor(row / factor), units);
      }
      return grid;
    }
    const params = new Params();
    const join = joinSheets(options, params);
    const cells = await this.#sql.unsafe<{ col: number; row: number; units: number }[]>(
      `SELECT col, row, SUM(count) AS units FROM (
         SELECT ${binIndexSql("x", options.bins, { dialect: "postgres" })} AS col,
           ${binIndexSql("y", options.bins, { dialect: "postgres" })} AS row, i.count
         FROM sheet_items i ${join}
         WHERE i.item = ${params.add(item)} AND i.count > 0 AND i.x IS NOT NULL
       ) c GROUP BY col, row`,
      params.values,
      { prepare: true },
    );
    for (const { col, row, units } of cells) addToCell(grid, col, row, units);
    return grid;
  }

  groupAggregate(groupBy: GroupBy, filter: AggregateFilter = {}): Promise<GroupedAggregate> {
    const params = new Params();
    const where = buildSheetWhere(filter, params);
    return readGroupedAggregate(this.#sql, groupBy, { where, params: params.values });
  }

  timeseries(request: TimeseriesRequest): Promise<Timeseries> {
    return readTimeseries(this.#sql, request, (filter) => {
      const params = new Params();
      const where = buildSheetWhere(filter, params);
      return { where, params: params.values };
    });
  }

  player(playerId: string): Promise<PlayerSummary | undefined> {
    return readPlayer(this.#sql, playerId);
  }

  listPlayers(request: PlayersRequest): Promise<PlayerRow[]> {
    return readPlayers(this.#sql, request);
  }

  listExperiments(): Promise<ExperimentListing[]> {
    return readExperiments(this.#sql);
  }

  experimentStats(experiment: string, metric: ExperimentMetric): Promise<VariantStats[]> {
    return readExperimentStats(this.#sql, experiment, metric);
  }

  /** The anomaly rules scan every sheet: they run on the read pool, never holding a writer's connection. */
  anomalies(request: AnomaliesRequest): Promise<AnomalyRow[]> {
    return readAnomalies(this.#readPool(), request);
  }

  /** Empties every table under an exclusive lock, so the count is of exactly what is deleted. */
  async clear(): Promise<number> {
    return await this.#sql.begin(async (tx) => {
      await tx`LOCK TABLE stat_sheets IN ACCESS EXCLUSIVE MODE`;
      const [{ count }] = await tx<[{ count: number }]>`SELECT COUNT(*) AS count FROM stat_sheets`;
      await tx.unsafe(`TRUNCATE ${STORE_TABLES.join(", ")} RESTART IDENTITY`);
      return count;
    });
  }

  /** Rollups change in the commit that stores their sheets: reads are always caught up. */
  readsCaughtUp(): Promise<void> {
    return Promise.resolve();
  }

  async ping(): Promise<void> {
    // Closing ends the pools only after queued writes: meanwhile the pool still answers, but the
    // store is going away and must not be reported healthy.
    if (this.#closing) throw new Error("The store is closed");
    await this.#sql`SELECT 1`;
  }

  /**
   * Writes what is queued, then ends both pools, letting running queries finish (a few seconds
   * at most).
   */
  end(): Promise<void> {
    this.#closing ??= this.#groups.flush().then(() =>
      Promise.all([this.#sql.end({ timeout: 5 }), this.#reader?.end({ timeout: 5 })])
    ).then(() => {});
    return this.#closing;
  }

  /** Starts {@link end} without waiting for it; `await using` (or `end()`) waits. */
  close(): void {
    void this.end();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.end();
  }
}

/** Bound parameters of one query: `add` returns the `$n` placeholder of its value. */
class Params {
  readonly values: (string | number)[] = [];

  add(value: string | number): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** The one listing query: filters, newest first, one page. */
function buildListSql(filter: SheetFilter): { sql: string; params: (string | number)[] } {
  const params = new Params();
  const where = buildSheetWhere(filter, params);
  return {
    sql: `SELECT ${SHEET_COLUMNS} FROM stat_sheets s ${where} ORDER BY id DESC
      LIMIT ${params.add(filter.limit)} OFFSET ${params.add(filter.offset ?? 0)}`,
    params: params.values,
  };
}

/** The WHERE clause of a sheet filter over `stat_sheets s` ('' when none), binding into `params`. */
function buildSheetWhere(filter: Omit<SheetFilter, "limit">, params: Params): string {
  const clauses: string[] = [];
  // Only present filters enter the SQL, so each shape has its own plan and uses its index.
  const add = (clause: (placeholder: string) => string, value: string | number | undefined) => {
    if (value !== undefined) clauses.push(clause(params.add(value)));
  };
  add((p) => `s.match_id = ${p}`, filter.match_id);
  // A range on the unique (match_id, player_id) index, in byte order ("C"): U+10FFFF sorts last.
  add((p) => `s.match_id >= ${p}`, filter.matchPrefix);
  add(
    (p) => `s.match_id < ${p}`,
    filter.matchPrefix === undefined ? undefined : `${filter.matchPrefix}\u{10FFFF}`,
  );
  add((p) => `s.player_id = ${p}`, filter.player_id);
  add((p) => `s.game_mode = ${p}`, filter.gameMode);
  add((p) => `s.experiment = ${p}`, filter.experiment);
  add((p) => `s.variant = ${p}`, filter.variant);
  add((p) => `s.ts_ms >= ${p}`, filter.sinceMs);
  add((p) => `s.ts_ms < ${p}`, filter.untilMs);
  add((p) => `s.id < ${p}`, filter.beforeId);
  add(
    (p) =>
      `EXISTS (SELECT 1 FROM sheet_items i WHERE i.sheet_id = s.id AND i.item = ${p} AND i.count > 0)`,
    filter.item,
  );
  return clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
}

/** The sheet filters a heatmap takes. */
type HeatmapFilter = { matchPrefix?: string; gameMode?: string };

/** True when a heatmap covers every sheet, so its rollups answer it. */
function coversAllSheets(filter: HeatmapFilter): boolean {
  return filter.matchPrefix === undefined && filter.gameMode === undefined;
}

/** Joins the sheet table when a heatmap is restricted by match prefix or game mode; '' otherwise. */
function joinSheets(filter: HeatmapFilter, params: Params): string {
  const clauses: string[] = [];
  if (filter.matchPrefix !== undefined) {
    clauses.push(
      `s.match_id >= ${params.add(filter.matchPrefix)} AND s.match_id < ${
        params.add(`${filter.matchPrefix}\u{10FFFF}`)
      }`,
    );
  }
  if (filter.gameMode !== undefined) clauses.push(`s.game_mode = ${params.add(filter.gameMode)}`);
  if (clauses.length === 0) return "";
  return `JOIN stat_sheets s ON s.id = i.sheet_id AND ${clauses.join(" AND ")}`;
}

/** What a prepared sheet needs beyond a listing's columns. */
interface StoredExtras {
  ts_ms: number;
  fingerprint: string;
}

/**
 * A stored sheet as the prepared sheet that stored it, for commit listeners: the sheet's fields
 * as sent (the client's own timestamp when it was corrected; the receipt time when it sent none).
 */
function toPreparedSheet(row: SheetRow & StoredExtras): PreparedSheet {
  const stored = toStoredSheet(row);
  const sheet: StatSheet = {
    match_id: stored.match_id,
    player_id: stored.player_id,
    timestamp: stored.client_timestamp ?? stored.timestamp,
    looted_items: stored.looted_items,
    locations: stored.locations,
  };
  if (stored.sent_at !== undefined) sheet.sent_at = stored.sent_at;
  if (stored.match_duration !== null) sheet.match_duration = stored.match_duration;
  if (stored.player_level !== null) sheet.player_level = stored.player_level;
  if (stored.game_mode !== null) sheet.game_mode = stored.game_mode;
  if (stored.experiment !== null) sheet.experiment = stored.experiment;
  if (stored.variant !== null) sheet.variant = stored.variant;
  if (stored.extra !== null) sheet.extra = stored.extra;
  return {
    sheet,
    timestamp: stored.timestamp,
    timestampMs: row.ts_ms,
    receivedAt: stored.created_at,
    clientTimestamp: stored.client_timestamp ?? null,
    fingerprint: row.fingerprint,
  };
}
