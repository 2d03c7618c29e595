import type {
  Aggregate,
  BinningOptions,
  HeatmapGrid,
  HeatmapPoints,
  StatSheet,
  StoredStatSheet,
} from "../../lib/mod.ts";

/** What happened to one submitted sheet. */
export interface InsertOutcome {
  id: number;
  /** True when an identical sheet was already stored under the same (match_id, player_id). */
  duplicate: boolean;
}

/** Filters of a listing; every field optional but the page. */
export interface SheetFilter {
  match_id?: string;
  /** Only matches whose id starts with this. */
  matchPrefix?: string;
  player_id?: string;
  /** Only sheets that looted at least one unit of this item. */
  item?: string;
  /** Inclusive lower bound on the sheet's timestamp, epoch ms. */
  sinceMs?: number;
  /** Exclusive upper bound on the sheet's timestamp, epoch ms. */
  untilMs?: number;
  /** Keyset cursor: only sheets with a smaller id (the `next` of the previous page). */
  beforeId?: number;
  limit: number;
  offset?: number;
}

/** Filters of an aggregate. */
export interface AggregateFilter {
  match_id?: string;
  matchPrefix?: string;
  sinceMs?: number;
  untilMs?: number;
}

/**
 * Where stat sheets live. Engines implement it; the HTTP layer and the CLI only speak these words.
 * Methods are async so an engine behind a network fits the same shape.
 */
export interface Store extends Disposable {
  /**
   * Stores sheets in one transaction, all or nothing. An identical resubmission is a duplicate
   * (same id back); a different sheet under a stored key throws `ConflictError` and stores nothing.
   */
  insertSheets(
    sheets: readonly StatSheet[],
    options: { receivedAt: Date },
  ): Promise<InsertOutcome[]>;
  /** Newest first. */
  listSheets(filter: SheetFilter): Promise<StoredStatSheet[]>;
  aggregate(filter?: AggregateFilter): Promise<Aggregate>;
  /** Every looted unit's location, a location repeated once per unit. */
  heatmapPoints(item: string, filter?: { matchPrefix?: string }): Promise<HeatmapPoints>;
  heatmapGrid(
    item: string,
    options: BinningOptions & { matchPrefix?: string },
  ): Promise<HeatmapGrid>;
  /** Deletes every sheet, returning how many there were. */
  clear(): Promise<number>;
  /** Resolves when the database answers. */
  ping(): Promise<void>;
  close(): void;
  /** Engine and location, for start-up lines and summaries. */
  readonly description: string;
}
