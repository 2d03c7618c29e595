import type { DatabaseSync, StatementSync } from "node:sqlite";
import { Buffer } from "node:buffer";
import { ConflictError, isFingerprintOf, type PreparedSheet } from "../../lib/mod.ts";
import { firstRow, maybeRow } from "./sqlite_rows.ts";
import {
  FOLD_STEPS,
  type FoldStep,
  foldStep,
  readLastSheetId,
  readStepWatermarks,
} from "./sqlite_rollups.ts";
import type { CommitListener, InsertOutcome } from "./store.ts";

/**
 * Settings of a connection that writes: synchronous=FULL makes every commit survive power loss,
 * which is what "a 2xx means stored" promises.
 */
export function configureWriteConnection(db: DatabaseSync): void {
  db.exec("PRAGMA synchronous = FULL");
  db.exec(`PRAGMA wal_autocheckpoint = ${WAL_CHECKPOINT_PAGES}`);
  // A fold reads its sheets' items from temporary tables: memory, never a file.
  db.exec("PRAGMA temp_store = MEMORY");
}

/**
 * WAL pages past which a commit copies them back into the database (SQLite's default is 1,000).
 * A fold of 100 sheets rewrites some 500 pages of rollups, mostly heatmap cells, and the same
 * pages again a few folds later: a longer WAL copies each page back once for many rewrites. Folds
 * of 100 sheets, cells step, 1,000 pages against 10,000: 173–189 against 136–139 µs per sheet.
 */
export const WAL_CHECKPOINT_PAGES = 10_000;

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
  /**
   * Resolves once every sheet acknowledged before the call is folded into the rollups of `steps`
   * (all by default), so a read of those rollups that follows sees it (reads await this first).
   */
  sync(steps?: readonly FoldStep[]): Promise<void>;
  /** Commits everything queued and folds it into the rollups, then stops taking writes. */
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
 * Unfolded sheets past which the writer folds them into the rollups between two group commits
 * rather than waiting for a quiet moment or a read. Measured with 16 connections each posting
 * single sheets (bench d), folds in steps: 50 gave 2,250–2,300 req/s (p99 18–19 ms), 100
 * 2,450–2,780 (p99 16–22 ms), 200 about 2,290 (p99 22 ms), 300 about 2,320 (p99 25–26 ms): past
 * 100, a step takes longer and writes wait behind it for no more throughput. Measured again once
 * the group members shrank (migration 11): 100, 200 and 300 all gave 3,000–3,900 req/s with p99
 * 11.7–16 ms, the spread between runs of one value as wide as between values; 100 stays.
 */
export const FOLD_AFTER_SHEETS = 100;

/**
 * Unfolded sheets past which the write worker stops committing until its fold catches up. Writes
 * commit between the steps of a fold; without a bound, a sustained stream of batches would outrun
 * the fold, and a read, which waits for the fold of what it follows, would wait ever longer.
 */
export const MAX_UNFOLDED_SHEETS = MAX_GROUP_SHEETS;

/** Quiet time after the last write before the write worker folds what is left. */
export const FOLD_IDLE_MS = 20;

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
  readonly #readOnly: boolean;
  readonly stats = { commits: 0, units: 0 };

  /** `readOnly`: the connection cannot write, so nothing is ever folded (nor written). */
  constructor(prepare: (sql: string) => StatementSync, { readOnly = false } = {}) {
    this.#committer = new GroupCommitter(prepare, { readOnly });
    this.#readOnly = readOnly;
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
    if (!this.#readOnly && this.#committer.unfolded >= FOLD_AFTER_SHEETS) {
      try {
        this.#committer.foldAll();
      } catch (error) {
        // The sheets are stored; the next sync or close folds them again.
        console.error("Folding the rollups failed:", error);
      }
    }
  }

  sync(steps: readonly FoldStep[] = FOLD_STEPS): Promise<void> {
    try {
      this.flush();
      if (!this.#readOnly) this.#committer.foldAll(steps);
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): void {
    this.flush();
    const wasClosed = this.#closed;
    this.#closed = true;
    if (this.#readOnly || wasClosed) return;
    try {
      this.#committer.foldAll();
    } catch (error) {
      // The sheets are stored; the next writer to open the database folds them.
      console.error("Folding the rollups at close failed:", error);
    }
  }
}

/**
 * Writes groups of submissions in one transaction each, with one fsync, and folds the stored sheets
 * into the rollups afterwards, many groups at a time, in steps that each commit on their own
 * (`foldStep`). A group's commit rewrites only the sheet rows' pages; its rollup rows, spread over
 * every rollup table, are rewritten once per fold for all the sheets it takes. A crash between the
 * two loses nothing: the sheets are stored, and the next writer folds them when it opens.
 */
export class GroupCommitter {
  readonly #prepare: (sql: string) => StatementSync;
  /** Per fold step, the sheets stored after its watermark. */
  readonly #unfolded: Record<FoldStep, number>;
  /** The fold under way: the sheet id it folds through and the steps it has left; undefined between folds. */
  #round: { to: number; steps: FoldStep[] } | undefined;
  /** The range of sheets whose items the temporary table `new_items` holds, as "from:to". */
  #itemsRange: string | undefined;

  /**
   * `prepare` returns a cached statement of the write connection; `readOnly` (a connection that
   * only reads, perhaps of an older schema) skips reading the fold state, as it never folds.
   */
  constructor(prepare: (sql: string) => StatementSync, { readOnly = false } = {}) {
    this.#prepare = prepare;
    const marks = readOnly ? undefined : readStepWatermarks(prepare);
    this.#unfolded = Object.fromEntries(
      FOLD_STEPS.map((step) => [step, marks ? this.#countAfter(marks[step]) : 0]),
    ) as Record<FoldStep, number>;
  }

  /** Sheets stored and not yet folded into every rollup. */
  get unfolded(): number {
    return this.backlog(FOLD_STEPS);
  }

  /** Sheets stored and not yet folded by some step of `steps`. */
  backlog(steps: readonly FoldStep[]): number {
    let most = 0;
    for (const step of steps) most = Math.max(most, this.#unfolded[step]);
    return most;
  }

  /** Whether a fold has steps left to run (`foldStep` continues it). */
  get folding(): boolean {
    return this.#round !== undefined;
  }

  /**
   * Commits a group and returns each unit's result; throws (after a rollback: nothing of the group
   * is kept) on anything other than a conflict, such as a full disk or an I/O error.
   */
  commit(units: readonly (readonly PreparedSheet[])[]): UnitResult[] {
    const results = this.#inTransaction(() => units.map((unit) => this.#writeUnit(unit)));
    const stored = newlyStored(units, results).length;
    for (const step of FOLD_STEPS) this.#unfolded[step] += stored;
    return results;
  }

  /**
   * Runs the next step of the fold under way, in a transaction of its own, first starting a fold
   * of `steps` when none is: through up to `limit` sheets past the least of their watermarks, each
   * step from its own. Returns how many sheets some step has left unfolded. Throws (after a
   * rollback: that step's rollups stay as they were) on an I/O error; the fold then starts again
   * from the watermarks.
   */
  foldStep(limit: number = MAX_GROUP_SHEETS, steps: readonly FoldStep[] = FOLD_STEPS): number {
    let counted: Partial<Record<FoldStep, number>>;
    try {
      counted = this.#inTransaction(() => this.#runStep(limit, steps));
    } catch (error) {
      this.#round = undefined;
      this.#itemsRange = undefined;
      throw error;
    }
    // Taken only once the step has committed: a failed COMMIT leaves its watermark, and so its
    // backlog, where they were, and a read still waits for it.
    Object.assign(this.#unfolded, counted);
    return this.unfolded;
  }

  /** Runs every step of a fold of `steps` through up to `limit` sheets; returns how many are left. */
  fold(limit: number = MAX_GROUP_SHEETS, steps: readonly FoldStep[] = FOLD_STEPS): number {
    let left = this.foldStep(limit, steps);
    while (this.#round !== undefined) left = this.foldStep(limit, steps);
    return left;
  }

  /** Folds every unfolded sheet into the rollups of `steps`, {@link MAX_GROUP_SHEETS} per fold. */
  foldAll(steps: readonly FoldStep[] = FOLD_STEPS): void {
    while (this.#round !== undefined || this.backlog(steps) > 0) {
      this.fold(MAX_GROUP_SHEETS, steps);
    }
  }

  /** Runs the next step of the round (starting one of `steps`); returns the backlogs it counted. */
  #runStep(limit: number, steps: readonly FoldStep[]): Partial<Record<FoldStep, number>> {
    const marks = readStepWatermarks(this.#prepare);
    if (this.#round === undefined) {
      // Ids can skip (a resubmission uses one up), so a range of `limit` ids holds at most
      // `limit` sheets; what is left is counted, not inferred.
      const last = readLastSheetId(this.#prepare);
      const to = Math.min(last, Math.min(...steps.map((step) => marks[step])) + limit);
      this.#round = { to, steps: steps.filter((step) => marks[step] < to) };
      if (this.#round.steps.length === 0) {
        // Nothing to fold, though the counts said otherwise: the sheets went (`clear` deleted
        // them on another connection). Counted again, so a fold loop ends.
        this.#round = undefined;
        return Object.fromEntries(steps.map((step) => [step, this.#countAfter(marks[step])]));
      }
    }
    const { to } = this.#round;
    // A step already past the round's end (`clear` moved every watermark meanwhile) is skipped,
    // so that no watermark moves back.
    let step = this.#round.steps.shift();
    while (step !== undefined && marks[step] >= to) step = this.#round.steps.shift();
    const counted: Partial<Record<FoldStep, number>> = {};
    if (step !== undefined) {
      const from = marks[step];
      const range = `${from}:${to}`;
      const usesItems = step === "items" || step === "cells";
      foldStep(this.#prepare, step, { from, to }, {
        itemsReady: usesItems && this.#itemsRange === range,
      });
      if (usesItems) this.#itemsRange = range;
      counted[step] = this.#countAfter(to);
    }
    if (this.#round.steps.length === 0) this.#round = undefined;
    return counted;
  }

  /** Sheets stored after sheet id `id`. */
  #countAfter(id: number): number {
    return firstRow<{ left: number }>(
      this.#prepare("SELECT COUNT(*) AS left FROM stat_sheets WHERE id > ?"),
      [id],
    ).left;
  }

  #inTransaction<T>(work: () => T): T {
    try {
      this.#prepare("BEGIN IMMEDIATE").run();
      const result = work();
      this.#prepare("COMMIT").run();
      return result;
    } catch (error) {
      try {
        this.#prepare("ROLLBACK").run();
      } catch {
        // The failed statement may already have ended the transaction.
      }
      throw error;
    }
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

  /** Writes one sheet's row (its items are in its JSON); a later fold adds it to the rollups. */
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
      fingerprintBytes(fingerprint),
      prepared.clientTimestamp,
      sheet.sent_at ?? null,
      sheet.experiment ?? null,
      sheet.variant ?? null,
      unitsOf(sheet.looted_items),
    );
    if (inserted.changes === 0) {
      const existing = maybeRow<{ id: number; fingerprint: string | Uint8Array }>(
        this.#prepare(
          "SELECT id, fingerprint FROM stat_sheets WHERE match_id = ? AND player_id = ?",
        ),
        [sheet.match_id, sheet.player_id],
      )!;
      const stored = typeof existing.fingerprint === "string"
        ? existing.fingerprint
        : Buffer.from(existing.fingerprint).toString("hex");
      if (!isFingerprintOf(stored, sheet, fingerprint)) {
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
function newlyStored(
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

/**
 * A fingerprint (`fingerprintSheet`'s 16 hex characters) as the 8 bytes stored: a BLOB, as the
 * column's TEXT affinity would turn an integer into 20 characters of text. 9 bytes of the row
 * instead of 33 for SHA-256's hex, which sheets stored before keep.
 */
function fingerprintBytes(fingerprint: string): Uint8Array {
  return Buffer.from(fingerprint, "hex");
}

/** Units a sheet looted. */
function unitsOf(items: Readonly<Record<string, number>>): number {
  let units = 0;
  for (const count of Object.values(items)) units += count;
  return units;
}

/**
 * How the main thread reaches the write worker. `open` and `poke` arrive as the worker's messages;
 * every other request is posted on `requests`, a channel the worker drains synchronously
 * (`receiveMessageOnPort`), so that all the writes sent while it committed form its next group at
 * once. Waiting for them with a timer instead cost each write a timer tick (1–2 ms here). `awake`
 * is a flag the main thread sets when it sends and the worker clears before it drains: the main
 * thread pokes only when it finds the flag clear, so a busy worker is not woken once per write.
 */
export type WriteWorkerStart =
  | { type: "open"; path: string; requests: MessagePort; awake: SharedArrayBuffer }
  | { type: "poke" };

/** A request to the write worker, posted on its requests channel. */
export type WriteWorkerRequest =
  | { type: "write"; id: number; sheets: readonly PreparedSheet[] }
  | { type: "sync"; id: number; steps: readonly FoldStep[] }
  | { type: "close"; done: SharedArrayBuffer };

/** A unit's result as it crosses from the worker: errors lose their class, so a conflict is spelled out. */
export type WireResult =
  | { id: number; outcomes: InsertOutcome[] }
  | { id: number; conflict: { message: string; existingId: number; index: number } }
  | { id: number; failure: string };

/** A message from the write worker: one per group, committed or not, and fold progress. */
export type WriteWorkerReply =
  | { kind: "group"; committed: boolean; results: WireResult[] }
  /** Every sheet of the messages before `before` is folded by `steps`. */
  | { kind: "folded"; before: number; steps: readonly FoldStep[] }
  /** The answer to sync `id`: folded, or the fold's failure. */
  | { kind: "synced"; id: number; failure?: string };

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
  readonly #syncs = new Map<
    number,
    { steps: readonly FoldStep[]; resolve: () => void; reject: (error: Error) => void }
  >();
  #next = 0;
  /** The last write message whose group stored new sheets. */
  #lastStoringWrite = -1;
  /**
   * Per fold step, every sheet of the messages before this one is folded by it. It starts below
   * the first write, so the first read waits for the worker's start-up fold of anything a crash
   * left unfolded.
   */
  readonly #foldedBefore = Object.fromEntries(FOLD_STEPS.map((step) => [step, -1])) as Record<
    FoldStep,
    number
  >;
  #closed = false;
  /** Set when the worker died: nothing pending will be answered. */
  #failure: Error | undefined;
  readonly stats = { commits: 0, units: 0 };

  readonly #requests: MessagePort;
  /** Set here when a request is sent, cleared by the worker before it drains (see {@link WriteWorkerStart}). */
  readonly #awake = new Int32Array(new SharedArrayBuffer(4));

  constructor(path: string) {
    this.#worker = new Worker(new URL("./sqlite_write_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<WriteWorkerReply>) => this.#settle(event.data);
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`The write worker failed: ${event.message}`));
    };
    const { port1, port2 } = new MessageChannel();
    this.#requests = port1;
    const start: WriteWorkerStart = {
      type: "open",
      path,
      requests: port2,
      awake: this.#awake.buffer as SharedArrayBuffer,
    };
    this.#worker.postMessage(start, [port2]);
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

  sync(steps: readonly FoldStep[] = FOLD_STEPS): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("The store is closed"));
    // Nothing acknowledged since the worker last reported these steps folded: no round trip.
    if (steps.every((step) => this.#lastStoringWrite < this.#foldedBefore[step])) {
      return Promise.resolve();
    }
    if (this.#failure) return Promise.reject(this.#failure);
    const { promise, resolve, reject } = Promise.withResolvers<void>();
    const id = this.#next++;
    this.#syncs.set(id, { steps, resolve, reject });
    this.#post({ type: "sync", id, steps });
    return promise;
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
    this.#requests.close();
  }

  #post(request: WriteWorkerRequest): void {
    this.#requests.postMessage(request);
    if (Atomics.exchange(this.#awake, 0, 1) === 0) {
      const poke: WriteWorkerStart = { type: "poke" };
      this.#worker.postMessage(poke);
    }
  }

  #settle(reply: WriteWorkerReply): void {
    if (reply.kind === "folded") {
      this.#markFolded(reply.steps, reply.before);
      return;
    }
    if (reply.kind === "synced") {
      const waiting = this.#syncs.get(reply.id);
      this.#syncs.delete(reply.id);
      if (reply.failure === undefined) {
        if (waiting) this.#markFolded(waiting.steps, reply.id);
        waiting?.resolve();
      } else waiting?.reject(new Error(reply.failure));
      return;
    }
    const { committed, results } = reply;
    const units: PendingUnit[] = [];
    for (const wire of results) {
      const unit = this.#pending.get(wire.id);
      if (!unit) continue;
      this.#pending.delete(wire.id);
      units.push(unit);
      const stored = "outcomes" in wire && wire.outcomes.some((outcome) => !outcome.duplicate);
      if (committed && stored) this.#lastStoringWrite = Math.max(this.#lastStoringWrite, wire.id);
    }
    if (committed) {
      this.stats.commits++;
      this.stats.units += units.length;
    }
    settleGroup(units, results.map(fromWireResult), committed ? this.#listeners : new Set());
  }

  #markFolded(steps: readonly FoldStep[], before: number): void {
    for (const step of steps) {
      this.#foldedBefore[step] = Math.max(this.#foldedBefore[step], before);
    }
  }

  #fail(error: Error): void {
    this.#failure = error;
    for (const unit of this.#pending.values()) unit.reject(error);
    this.#pending.clear();
    for (const waiting of this.#syncs.values()) waiting.reject(error);
    this.#syncs.clear();
    this.#requests.close();
    this.#worker.terminate();
  }
}

/** Longest a close waits for the worker's last commit: a group takes well under a second. */
const CLOSE_TIMEOUT_MS = 30_000;
