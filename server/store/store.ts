import type {
  Aggregate,
  AggregateFilter,
  AnomaliesRequest,
  AnomalyRow,
  ExperimentListing,
  ExperimentMetric,
  GroupBy,
  GroupedAggregate,
  HeatmapGrid,
  HeatmapPoints,
  PlayerRow,
  PlayersRequest,
  PlayerSummary,
  PreparedSheet,
  SheetFilter,
  StoredStatSheet,
  Timeseries,
  TimeseriesRequest,
  VariantStats,
} from "../../lib/mod.ts";

/** What happened to one submitted sheet. */
export interface InsertOutcome {
  id: number;
  /** True when an identical sheet was already stored under the same (match_id, player_id). */
  duplicate: boolean;
}

/**
 * Called after a commit made durable, with the sheets it newly stored (duplicates left out), in
 * insertion order. Listeners run on the writer's path: they must be cheap and must not throw.
 */
export type CommitListener = (sheets: readonly PreparedSheet[]) => void;

/** What else a commit listener wants to hear. */
export interface CommitListenerOptions {
  /**
   * Called when commits may have been missed: an engine that hears other processes' commits over
   * the network lost that connection and got it back. A listener keeping running totals should
   * read them afresh. SQLite, the only writer of its file, never calls it.
   */
  onMissed?: () => void;
}

/**
 * Where stat sheets live. Engines implement it; the HTTP layer and the CLI only speak these words.
 * Methods are async so an engine behind a network fits the same shape.
 */
export interface Store extends Disposable {
  /**
   * Stores prepared sheets (`prepareSheets` in lib decides what is stored) in one transaction, all
   * or nothing. An identical resubmission is a duplicate (same id back); a different sheet under a
   * stored key throws `ConflictError` and stores nothing.
   */
  insertSheets(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]>;
  /** Newest first. */
  listSheets(filter: SheetFilter): Promise<StoredStatSheet[]>;
  /**
   * Every sheet `filter` selects, newest first, in pages of at most `pageSize` (keyset paging),
   * for exports: only one page is held at a time, and an engine may read it so that a full scan
   * does not evict what other queries keep hot.
   */
  scanSheets(
    filter: Omit<SheetFilter, "limit" | "offset" | "beforeId">,
    options?: { pageSize?: number },
  ): AsyncIterable<StoredStatSheet[]>;
  aggregate(filter?: AggregateFilter): Promise<Aggregate>;
  /** Every looted unit's location, a location repeated once per unit. */
  heatmapPoints(
    item: string,
    filter?: { matchPrefix?: string; gameMode?: string },
  ): Promise<HeatmapPoints>;
  /** Units of `item` binned `bins` × `bins` over the map (`MAP_SIZE`), by lib's `binIndex` rule. */
  heatmapGrid(
    item: string,
    options: { bins: number; matchPrefix?: string; gameMode?: string },
  ): Promise<HeatmapGrid>;
  /** Totals per group along `groupBy`, over the sheets `filter` selects. */
  groupAggregate(groupBy: GroupBy, filter?: AggregateFilter): Promise<GroupedAggregate>;
  /** Sheets and units per time bucket; a `ValidationError` past `MAX_TIME_BUCKETS` buckets. */
  timeseries(request: TimeseriesRequest): Promise<Timeseries>;
  /** One player's matches and totals, or undefined for a player never seen. */
  player(playerId: string): Promise<PlayerSummary | undefined>;
  /** A page of players, most matches first. */
  listPlayers(request: PlayersRequest): Promise<PlayerRow[]>;
  /** Every experiment with its variants' sheets and players. */
  listExperiments(): Promise<ExperimentListing[]>;
  /** One experiment's variants summarised over players (lib's `summarizeVariants`; empty when unknown). */
  experimentStats(experiment: string, metric: ExperimentMetric): Promise<VariantStats[]>;
  /** A page of sheets the anomaly rules flag (lib/anomalies.ts), newest first. */
  anomalies(request: AnomaliesRequest): Promise<AnomalyRow[]>;
  /**
   * Calls `listener` after every durable commit that stored at least one new sheet; returns the
   * function that removes it. The live feed builds on this.
   */
  onCommit(listener: CommitListener, options?: CommitListenerOptions): () => void;
  /** Deletes every sheet, returning how many there were. */
  clear(): Promise<number>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  /**
   * Resolves once every write acknowledged so far (its `onCommit` listeners told) shows in reads of
   * the rollups. SQLite folds rollups after the commit, so it waits for that fold; PostgreSQL keeps
   * them in the commit, so it resolves at once. The live feed resets its deltas after this, right
   * before it reads a snapshot, so no commit is both in a snapshot and in the deltas after it.
   */
  readsCaughtUp(): Promise<void>;
  close(): void;
  /** Engine and location, for start-up lines and summaries. */
  readonly description: string;
}

/**
 * Connection-level failures of a database server (PostgreSQL down, restarting, unreachable, out of
 * connections): error codes of node sockets and postgres.js, and SQLSTATE classes 08 (connection
 * exception) and 57P (operator intervention). The request may succeed later, so it is a 503.
 */
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ENOTFOUND",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
  "53300", // too_many_connections
  "40001", // serialization_failure: a retry succeeds
  "40P01", // deadlock_detected: a retry succeeds
]);

/** True when `error` says the database cannot be reached now, rather than that the request is wrong. */
export function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return false;
  return UNAVAILABLE_CODES.has(code) || code.startsWith("08") || code.startsWith("57P");
}
