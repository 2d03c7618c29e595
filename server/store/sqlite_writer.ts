import type { DatabaseSync, StatementSync } from "node:sqlite";
import { ConflictError, type PreparedSheet } from "../../lib/mod.ts";
import { firstRow, maybeRow } from "./sqlite_rows.ts";
import { applyItemRollups, applySheetRollups } from "./sqlite_rollups.ts";
import type { CommitListener, InsertOutcome } from "./store.ts";

/**
 * Settings of a connection that writes: synchronous=FULL makes every commit survive power loss,
 * which is what "a 2xx means stored" promises.
 */
export function configureWriteConnection(db: DatabaseSync): void {
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  // The rollups read each commit's new items from a temporary table: memory, never a file.
  db.exec("PRAGMA temp_store = MEMORY");
}

/** How one submission (a single sheet or a batch) of a group fared: stored, or refused on its own. */
export type UnitResult = { outcomes: InsertOutcome[] } | { error: unknown };

/** What the store asks of its writer, whether it runs on this thread or on a worker. */
export interface SheetWriter {
  /** Commits counted for benchmarks and tests: commits made and submissions they carried. */
  readonly stats: { commits: number; units: number };
  /** Stores the sheets in the next group commit; resolves once they are durable. */
  write(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]>;
  /** Adds a listener told of each commit's newly stored sheets; returns its removal. */
  onCommit(listener: CommitListener): () => void;
  /** Commits everything queued, then stops taking writes. */
  close(): void;
}

/** A submission waiting for its group's commit. */
export interface PendingUnit {
  sheets: readonly PreparedSheet[];
  resolve: (outcomes: InsertOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** Most sheets one commit takes; more wait for the next one, so one group cannot stall the others long. */
export const MAX_GROUP_SHEETS = 20_000;

/**
 * Takes the next group off the front of `queue`: at least one unit, then more while the group stays
 * within {@link MAX_GROUP_SHEETS}.
 */
export function takeGroup<Unit extends { sheets: readonly unknown[] }>(queue: Unit[]): Unit[] {
  let sheets = 0;
  let count = 0;
  while (
    count < queue.length &&
    (count === 0 || sheets + queue[count]!.sheets.length <= MAX_GROUP_SHEETS)
  ) {
    sheets += queue[count]!.sheets.length;
    count++;
  }
  return queue.splice(0, count);
}

/**
 * Settles each unit of a committed group and tells listeners what it newly stored: units that
 * succeeded, duplicates left out. A failing listener must neither undo an acknowledged commit nor
 * silence the others.
 */
export function settleGroup(
  units: readonly PendingUnit[],
  results: readonly UnitResult[],
  listeners: ReadonlySet<CommitListener>,
): void {
  units.forEach((unit, index) => {
    const result = results[index]!;
    if ("outcomes" in result) unit.resolve(result.outcomes);
    else unit.reject(result.error);
  });
  if (listeners.size === 0) return;
  const stored = newlyStored(units.map((unit) => unit.sheets), results);
  if (stored.length === 0) return;
  for (const listener of listeners) {
    try {
      listener(stored);
    } catch (error) {
      console.error("Commit listener failed:", error);
    }
  }
}

/**
 * Group commit on this thread: every `write()` (a single sheet or a batch) joins a shared
 * transaction that is committed, with one fsync, for everything queued while the previous commit
 * ran. Each call still succeeds or fails on its own (a batch inside a savepoint), and resolves only
 * once it is durable. Used for in-memory databases, which no other thread can open; a file
 * database's writer runs on a worker thread (`sqlite_write_worker.ts`), with the same committer.
 */
export class GroupCommitWriter implements SheetWriter {
  readonly #committer: GroupCommitter;
  #queue: PendingUnit[] = [];
  #scheduled = false;
  #closed = false;
  readonly #listeners = new Set<CommitListener>();
  readonly stats = { commits: 0, units: 0 };

  constructor(prepare: (sql: string) => StatementSync) {
    this.#committer = new GroupCommitter(prepare);
  }

  write(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    if (this.#closed) return Promise.reject(new Error("The store is closed"));
    const { promise, resolve, reject } = Promise.withResolvers<InsertOutcome[]>();
    this.#queue.push({ sheets, resolve, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      // A timer, not setImmediate nor a microtask: only a timer lets Deno poll the sockets first,
      // so requests already on them get parsed and join the group (Deno's setImmediate runs its
      // callbacks without polling the network in between).
      setTimeout(() => this.flush(), 0);
    }
    return promise;
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /** Commits everything queued now (also called on close, so nothing acknowledged is left behind). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const units = takeGroup(this.#queue);
      let results: UnitResult[];
      try {
        results = this.#committer.commit(units.map((unit) => unit.sheets));
      } catch (error) {
        for (const unit of units) unit.reject(error);
        continue;
      }
      this.stats.commits++;
      this.stats.units += units.length;
      settleGroup(units, results, this.#listeners);
    }
  }

  close(): void {
    this.flush();
    this.#closed = true;
  }
}

/**
 * Writes groups of submissions in one transaction each, with one fsync. Rollup changes are summed
 * over the group and written once per key before the commit.
 */
export class GroupCommitter {
  readonly #prepare: (sql: string) => StatementSync;

  /** `prepare` returns a cached statement of the write connection. */
  constructor(prepare: (sql: string) => StatementSync) {
    this.#prepare = prepare;
  }

  /**
   * Commits a group and returns each unit's result; throws (after a rollback: nothing of the group
   * is kept) on anything other than a conflict, such as a full disk or an I/O error.
   */
  commit(units: readonly (readonly PreparedSheet[])[]): UnitResult[] {
    const results: UnitResult[] = [];
    try {
      this.#prepare("BEGIN IMMEDIATE").run();
      // Ids only grow (AUTOINCREMENT), so the group's sheets are those above the last id before it.
      const { lastId } = firstRow<{ lastId: number }>(
        this.#prepare(
          "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'stat_sheets'), 0) AS lastId",
        ),
      );
      for (const unit of units) results.push(this.#writeUnit(unit));
      applySheetRollups(this.#prepare, lastId);
      applyItemRollups(this.#prepare, lastId);
      this.#prepare("COMMIT").run();
    } catch (error) {
      try {
        this.#prepare("ROLLBACK").run();
      } catch {
        // The failed statement may already have ended the transaction.
      }
      throw error;
    }
    return results;
  }

  /**
   * Writes one unit. A conflict fails only this unit: a batch is undone through its savepoint; a
   * single sheet needs none, as its conflict is found before it writes anything.
   */
  #writeUnit(sheets: readonly PreparedSheet[]): UnitResult {
    const batch = sheets.length > 1;
    if (batch) this.#prepare("SAVEPOINT unit").run();
    try {
      const outcomes = sheets.map((sheet, index) => this.#writeSheet(sheet, index));
      if (batch) this.#prepare("RELEASE unit").run();
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

  /** Writes one sheet's row (its items are in its JSON); the rollups follow set-based, once per group. */
  #writeSheet(prepared: PreparedSheet, index: number): InsertOutcome {
    const { sheet, fingerprint } = prepared;
    const inserted = this.#prepare(
      `INSERT INTO stat_sheets (match_id, player_id, timestamp, looted_items, locations, created_at, ts_ms,
         match_duration, player_level, game_mode, extra, fingerprint, client_timestamp, sent_at,
         experiment, variant, units)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
      unitsOf(sheet.looted_items),
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
    return { id: Number(inserted.lastInsertRowid), duplicate: false };
  }
}

/** The sheets a group stored: those of the units that succeeded, duplicates left out. */
export function newlyStored(
  units: readonly (readonly PreparedSheet[])[],
  results: readonly UnitResult[],
): PreparedSheet[] {
  const stored: PreparedSheet[] = [];
  units.forEach((sheets, index) => {
    const result = results[index]!;
    if (!("outcomes" in result)) return;
    result.outcomes.forEach((outcome, at) => {
      if (!outcome.duplicate) stored.push(sheets[at]!);
    });
  });
  return stored;
}

/** Units a sheet looted. */
function unitsOf(items: Readonly<Record<string, number>>): number {
  let units = 0;
  for (const count of Object.values(items)) units += count;
  return units;
}

/** A message to the write worker. */
export type WriteWorkerRequest =
  | { type: "open"; path: string }
  | { type: "write"; id: number; sheets: readonly PreparedSheet[] }
  | { type: "close"; done: SharedArrayBuffer };

/** A unit's result as it crosses from the worker: errors lose their class, so a conflict is spelled out. */
export type WireResult =
  | { id: number; outcomes: InsertOutcome[] }
  | { id: number; conflict: { message: string; existingId: number; index: number } }
  | { id: number; failure: string };

/** A message from the write worker: one per group, committed or not. */
export interface WriteWorkerReply {
  committed: boolean;
  results: WireResult[];
}

/** Turns a unit's result into what crosses to the main thread. */
export function toWireResult(id: number, result: UnitResult): WireResult {
  if ("outcomes" in result) return { id, outcomes: result.outcomes };
  const { error } = result;
  if (error instanceof ConflictError) {
    return {
      id,
      conflict: { message: error.message, existingId: error.existingId, index: error.index },
    };
  }
  return { id, failure: error instanceof Error ? error.message : String(error) };
}

function fromWireResult(wire: WireResult): UnitResult {
  if ("outcomes" in wire) return { outcomes: wire.outcomes };
  if ("conflict" in wire) {
    const { message, existingId, index } = wire.conflict;
    return { error: new ConflictError(message, { existingId, index }) };
  }
  return { error: new Error(wire.failure) };
}

/**
 * The writer of a file database: a worker thread owns the write connection and commits groups
 * there (`sqlite_write_worker.ts`), so the event loop that parses HTTP never waits on SQLite or on
 * fsync, and requests that arrive during a commit form the next group. Reads stay on the main
 * connection: in WAL mode they see every commit, and a write resolves only after its commit.
 */
export class WorkerWriter implements SheetWriter {
  readonly #worker: Worker;
  readonly #pending = new Map<number, PendingUnit>();
  readonly #listeners = new Set<CommitListener>();
  #next = 0;
  #closed = false;
  /** Set when the worker died: nothing pending will be answered. */
  #failure: Error | undefined;
  readonly stats = { commits: 0, units: 0 };

  constructor(path: string) {
    this.#worker = new Worker(new URL("./sqlite_write_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<WriteWorkerReply>) => this.#settle(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`The write worker failed: ${event.message}`));
    };
    this.#post({ type: "open", path });
  }

  write(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    if (this.#closed) return Promise.reject(new Error("The store is closed"));
    if (this.#failure) return Promise.reject(this.#failure);
    const { promise, resolve, reject } = Promise.withResolvers<InsertOutcome[]>();
    const id = this.#next++;
    this.#pending.set(id, { sheets, resolve, reject });
    this.#post({ type: "write", id, sheets });
    return promise;
  }

  onCommit(listener: CommitListener): () => void {
    this.#listeners.add(listener);
    return () => void this.#listeners.delete(listener);
  }

  /**
   * Waits (blocking, as `Store.close` is synchronous) until the worker has committed everything
   * sent and closed its connection; the answers to those writes arrive afterwards as messages.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#failure) return;
    const done = new SharedArrayBuffer(4);
    this.#post({ type: "close", done });
    Atomics.wait(new Int32Array(done), 0, 0, CLOSE_TIMEOUT_MS);
  }

  #post(request: WriteWorkerRequest): void {
    this.#worker.postMessage(request);
  }

  #settle({ committed, results }: WriteWorkerReply): void {
    const units: PendingUnit[] = [];
    for (const wire of results) {
      const unit = this.#pending.get(wire.id);
      if (!unit) continue;
      this.#pending.delete(wire.id);
      units.push(unit);
    }
    if (committed) {
      this.stats.commits++;
      this.stats.units += units.length;
    }
    settleGroup(units, results.map(fromWireResult), committed ? this.#listeners : new Set());
  }

  #fail(error: Error): void {
    this.#failure = error;
    for (const unit of this.#pending.values()) unit.reject(error);
    this.#pending.clear();
    this.#worker.terminate();
  }
}

/** Longest a close waits for the worker's last commit: a group takes well under a second. */
const CLOSE_TIMEOUT_MS = 30_000;
