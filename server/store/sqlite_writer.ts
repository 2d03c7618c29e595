import type { DatabaseSync, StatementSync } from "node:sqlite";
import { setImmediate } from "node:timers";
import { ConflictError, GROUP_BY_DIMENSIONS, type PreparedSheet } from "../../lib/mod.ts";
import { allRows, maybeRow, type SqlParam } from "./sqlite_rows.ts";
import { RollupDeltas, storedGroupKeys } from "./sqlite_rollups.ts";
import type { CommitListener, InsertOutcome } from "./store.ts";

interface PendingUnit {
  sheets: readonly PreparedSheet[];
  resolve: (outcomes: InsertOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** Most sheets one commit takes; more wait for the next one, so one group cannot stall the others long. */
const MAX_GROUP_SHEETS = 20_000;

/**
 * Group commit: every `write()` (a single sheet or a batch) joins a shared transaction that is
 * committed, with one fsync, for everything queued while the previous commit ran. Each call still
 * succeeds or fails on its own (a batch inside a savepoint), and resolves only once it is durable.
 * Rollup changes are summed over the group and written once per key before the commit.
 */
export class GroupCommitWriter {
  readonly #db: DatabaseSync;
  readonly #prepare: (sql: string) => StatementSync;
  #queue: PendingUnit[] = [];
  #scheduled = false;
  #closed = false;
  readonly #listeners = new Set<CommitListener>();
  /** Commits made and units they carried, for benchmarks. */
  readonly stats = { commits: 0, units: 0 };

  constructor(db: DatabaseSync, prepare: (sql: string) => StatementSync) {
    this.#db = db;
    this.#prepare = prepare;
  }

  write(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    if (this.#closed) return Promise.reject(new Error("The store is closed"));
    const { promise, resolve, reject } = Promise.withResolvers<InsertOutcome[]>();
    this.#queue.push({ sheets, resolve, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After pending I/O callbacks, not before (a microtask would be): requests already on the sockets
      // get parsed and join the group. setTimeout(0) would also do, but it waits about 2 ms here.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  /** Adds a listener told of each commit's newly stored sheets; returns its removal. */
  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Commits everything queued now (also called on close, so nothing acknowledged is left behind). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) this.#commitGroup(this.#takeGroup());
  }

  close(): void {
    this.flush();
    this.#closed = true;
  }

  #takeGroup(): PendingUnit[] {
    let sheets = 0;
    let count = 0;
    while (
      count < this.#queue.length &&
      (count === 0 || sheets + this.#queue[count]!.sheets.length <= MAX_GROUP_SHEETS)
    ) {
      sheets += this.#queue[count]!.sheets.length;
      count++;
    }
    return this.#queue.splice(0, count);
  }

  #commitGroup(units: PendingUnit[]): void {
    const results: ({ outcomes: InsertOutcome[] } | { error: unknown })[] = [];
    const deltas = new RollupDeltas();
    try {
      this.#prepare("BEGIN IMMEDIATE").run();
      for (const unit of units) results.push(this.#writeUnit(unit, deltas));
      deltas.apply(this.#prepare);
      this.#prepare("COMMIT").run();
    } catch (error) {
      // Something other than a conflict (disk full, I/O error): nothing of the group is kept.
      try {
        this.#prepare("ROLLBACK").run();
      } catch {
        // The failed statement may already have ended the transaction.
      }
      for (const unit of units) unit.reject(error);
      return;
    }
    this.stats.commits++;
    this.stats.units += units.length;
    units.forEach((unit, index) => {
      const result = results[index]!;
      if ("outcomes" in result) unit.resolve(result.outcomes);
      else unit.reject(result.error);
    });
    if (this.#listeners.size > 0) this.#notify(units, results);
  }

  /** Tells listeners what the commit newly stored: units that succeeded, duplicates left out. */
  #notify(
    units: readonly PendingUnit[],
    results: readonly ({ outcomes: InsertOutcome[] } | { error: unknown })[],
  ): void {
    const stored: PreparedSheet[] = [];
    units.forEach((unit, index) => {
      const result = results[index]!;
      if (!("outcomes" in result)) return;
      result.outcomes.forEach((outcome, at) => {
        if (!outcome.duplicate) stored.push(unit.sheets[at]!);
      });
    });
    if (stored.length === 0) return;
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
   * Writes one unit. A conflict fails only this unit: a batch is undone through its savepoint; a
   * single sheet needs none, as its conflict is found before it writes anything.
   */
  #writeUnit(
    unit: PendingUnit,
    groupDeltas: RollupDeltas,
  ): { outcomes: InsertOutcome[] } | { error: unknown } {
    const batch = unit.sheets.length > 1;
    const deltas = batch ? new RollupDeltas() : groupDeltas;
    if (batch) this.#prepare("SAVEPOINT unit").run();
    try {
      const stored: PreparedSheet[] = [];
      const outcomes = unit.sheets.map((sheet, index) =>
        this.#writeSheet(sheet, index, deltas, stored)
      );
      this.#countInGroups(stored, deltas);
      if (batch) {
        this.#prepare("RELEASE unit").run();
        groupDeltas.merge(deltas);
      }
      return { outcomes };
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      if (batch) {
        this.#prepare("ROLLBACK TO unit").run();
        this.#prepare("RELEASE unit").run();
      }
      return { error };
    }
  }

  /** Writes one sheet, adding it to `stored` when it is new (not a duplicate). */
  #writeSheet(
    prepared: PreparedSheet,
    index: number,
    deltas: RollupDeltas,
    stored: PreparedSheet[],
  ): InsertOutcome {
    const { sheet, fingerprint } = prepared;
    // Asked before the insert (afterwards the new row itself would answer), in one statement.
    const seen = maybeRow<{ match: number | null; player: number | null }>(
      this.#prepare(
        `SELECT (SELECT 1 FROM stat_sheets WHERE match_id = ? LIMIT 1) AS match,
                (SELECT 1 FROM stat_sheets WHERE player_id = ? LIMIT 1) AS player`,
      ),
      [sheet.match_id, sheet.player_id],
    );
    const inserted = this.#prepare(
      `INSERT INTO stat_sheets (match_id, player_id, timestamp, looted_items, locations, created_at, ts_ms,
         match_duration, player_level, game_mode, extra, fingerprint, client_timestamp, sent_at,
         experiment, variant)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (match_id, player_id) DO NOTHING`,
    ).run(
      sheet.match_id,
      sheet.player_id,
      prepared.timestamp,
      JSON.stringify(sheet.looted_items),
      JSON.stringify(sheet.locations),
      prepared.receivedAt,
      prepared.timestampMs,
      sheet.match_duration ?? null,
      sheet.player_level ?? null,
      sheet.game_mode ?? null,
      sheet.extra === undefined ? null : JSON.stringify(sheet.extra),
      fingerprint,
      prepared.clientTimestamp,
      sheet.sent_at ?? null,
      sheet.experiment ?? null,
      sheet.variant ?? null,
    );
    if (inserted.changes === 0) {
      const existing = maybeRow<{ id: number; fingerprint: string }>(
        this.#prepare(
          "SELECT id, fingerprint FROM stat_sheets WHERE match_id = ? AND player_id = ?",
        ),
        [sheet.match_id, sheet.player_id],
      )!;
      if (existing.fingerprint !== fingerprint) {
        throw new ConflictError(
          `A different stat sheet for match_id ${sheet.match_id} and player_id ${sheet.player_id} is already stored (id ${existing.id})`,
          { existingId: existing.id, index },
        );
      }
      return { id: existing.id, duplicate: true };
    }
    const id = Number(inserted.lastInsertRowid);
    deltas.countSheet(seen?.match == null, seen?.player == null);
    stored.push(prepared);
    const entries = Object.entries(sheet.looted_items);
    if (entries.length > 0) {
      const values: (string | number | null)[] = [];
      for (const [item, count] of entries) {
        const point = Object.hasOwn(sheet.locations, item) ? sheet.locations[item] : undefined;
        values.push(id, item, count, point?.[0] ?? null, point?.[1] ?? null);
        deltas.addItem(item, count, point);
      }
      // One multi-row statement per sheet instead of one per item.
      this.#prepare(
        `INSERT INTO sheet_items (sheet_id, item, count, x, y) VALUES ${
          "(?, ?, ?, ?, ?), ".repeat(entries.length - 1)
        }(?, ?, ?, ?, ?)`,
      ).run(...values);
    }
    return { id, duplicate: false };
  }

  /**
   * Records each stored sheet's match and player as members of its groups (the only rollup writes
   * that cannot wait for summed deltas: whether a member is new depends on the table), set-based:
   * one statement per chunk of sheets, whose RETURNING rows are the members that were new. Chunk
   * sizes come from a fixed set, so the statement cache holds four shapes, not one per batch size.
   */
  #countInGroups(stored: readonly PreparedSheet[], deltas: RollupDeltas): void {
    const keys = stored.map(storedGroupKeys);
    const fresh = new Set<string>();
    for (let start = 0; start < stored.length;) {
      const size = MEMBER_CHUNKS.find((chunk) => chunk <= stored.length - start)!;
      const params: SqlParam[] = [];
      for (let index = start; index < start + size; index++) {
        const { match_id, player_id } = stored[index]!.sheet;
        for (const dimension of GROUP_BY_DIMENSIONS) {
          const key = keys[index]![dimension];
          params.push(dimension, key, "m", match_id, dimension, key, "p", player_id);
        }
      }
      const rows = allRows<{ dimension: string; key: string; kind: string; member: string }>(
        this.#prepare(
          `INSERT OR IGNORE INTO rollup_group_members (dimension, key, kind, member) VALUES ${
            Array.from({ length: params.length / 4 }, () => "(?, ?, ?, ?)").join(", ")
          } RETURNING dimension, key, kind, member`,
        ),
        params,
      );
      for (const row of rows) fresh.add(memberId(row.dimension, row.key, row.kind, row.member));
      start += size;
    }
    stored.forEach((prepared, index) => {
      const { match_id, player_id } = prepared.sheet;
      // A member new to the table counts once: for the first of the batch's sheets that has it.
      deltas.addAnalytics(prepared, keys[index]!, (dimension, kind) =>
        fresh.delete(
          memberId(dimension, keys[index]![dimension], kind, kind === "m" ? match_id : player_id),
        ));
    });
  }
}

/** Sheets per member statement, largest first: 512 sheets bind 16,384 values, under SQLite's limit. */
const MEMBER_CHUNKS = [512, 64, 8, 1] as const;

function memberId(dimension: string, key: string, kind: string, member: string): string {
  return `${dimension}\u0000${key}\u0000${kind}\u0000${member}`;
}
