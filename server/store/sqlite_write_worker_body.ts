/**
 * The body of the write worker of a file database (`sqlite_write_worker.ts` loads it): it owns the write connection and commits groups of
 * submissions with `GroupCommitter`, so SQLite and fsync never run on the event loop that parses
 * HTTP, and folds them into the rollups afterwards. Requests are {@link WriteWorkerRequest}s; each
 * group answers with one {@link WriteWorkerReply} posted after its commit, a sync with one after
 * its fold, and a fold that leaves nothing unfolded says so.
 * @module
 */
/// <reference lib="deno.worker" />
import { DatabaseSync, type StatementSync } from "node:sqlite";
import { type MessagePort as NodeMessagePort, receiveMessageOnPort } from "node:worker_threads";
import type { PreparedSheet } from "../../lib/mod.ts";
import { FOLD_STEPS, type FoldStep } from "./sqlite_rollups.ts";
import {
  configureWriteConnection,
  FOLD_AFTER_SHEETS,
  FOLD_IDLE_MS,
  GroupCommitter,
  MAX_UNFOLDED_SHEETS,
  takeGroup,
  toWireResult,
  type UnitResult,
  type WriteWorkerReply,
  type WriteWorkerRequest,
  type WriteWorkerStart,
} from "./sqlite_writer.ts";

let db: DatabaseSync | undefined;
let committer: GroupCommitter | undefined;
/** The requests channel: a web MessagePort, which Deno's `receiveMessageOnPort` takes. */
let requests: NodeMessagePort | undefined;
let awake: Int32Array | undefined;
const statements = new Map<string, StatementSync>();
const queue: { id: number; sheets: readonly PreparedSheet[] }[] = [];
/** The last write a group has taken: once everything stored is folded, all writes up to it are. */
let lastWritten = -1;
let lastWriteAt = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** After a failed fold, background folds wait until then. */
let retryAt = 0;
let retryDelay = 0;
/** Longest wait between two background retries of a failing fold. */
const MAX_RETRY_MS = 5_000;

/** The worker's handler of {@link WriteWorkerStart} messages (`sqlite_write_worker.ts` sets it). */
export function handleStartMessage(event: MessageEvent<WriteWorkerStart>): void {
  const message = event.data;
  if (message.type === "open") {
    requests = message.requests as unknown as NodeMessagePort;
    awake = new Int32Array(message.awake);
    open(message.path);
  }
  drain();
}

/**
 * Takes every request sent so far, in order (the writes queued before a sync or a close are
 * committed first), commits what is queued as one group, and looks again, as more arrive while a
 * group commits. After a commit it runs one step of a fold (each commits on its own) if one is
 * under way or {@link FOLD_AFTER_SHEETS} sheets wait, and looks again: the writes sent during a
 * step are committed before the next. Fewer are folded once writes pause for {@link FOLD_IDLE_MS}.
 *
 * Folding some steps less often (group members, players and heatmap cells every 2,000 sheets,
 * their rows being the most spread out) was measured and left out: under bench d the machine's
 * two cores are busy either way (HTTP, this worker and the load generator), the fold's CPU per
 * sheet stayed the same, throughput moved within noise (2,600–2,730 req/s) and p99 rose from
 * 15–18 ms to 75 ms, as a 2,000-sheet step holds the writes queued behind it.
 */
function drain(): void {
  if (!requests || !awake || !committer) return;
  for (;;) {
    // Cleared before reading, so a request sent from now on pokes again (see WriteWorkerStart).
    Atomics.exchange(awake, 0, 0);
    let received;
    while ((received = receiveMessageOnPort(requests)) !== undefined) {
      if (!handle(received.message as WriteWorkerRequest)) return;
    }
    // Past MAX_UNFOLDED_SHEETS, writes wait for the fold to catch up (unless it is failing: then
    // storing comes first), so a fold behind a sustained stream stays bounded, and so does a
    // read's wait for it.
    const healthy = retryAt <= performance.now();
    const backlogged = healthy && committer.unfolded >= MAX_UNFOLDED_SHEETS;
    const committed = queue.length > 0 && !backlogged;
    if (committed) commitGroup();
    const due = committer.folding || committer.unfolded >= FOLD_AFTER_SHEETS;
    if (due && healthy) runFoldStep();
    else if (!committed) break;
  }
  if (committer.unfolded > 0) idleTimer ??= setTimeout(foldWhenIdle, FOLD_IDLE_MS);
}

/** Handles one request; false once the worker has closed. */
function handle(request: WriteWorkerRequest): boolean {
  switch (request.type) {
    case "write":
      lastWriteAt = performance.now();
      queue.push(request);
      return true;
    case "sync":
      // Requests arrive in order: every write acknowledged before this sync was sent is committed
      // by the flush, then folded.
      flush();
      try {
        foldAll(request.steps);
        reply({ kind: "synced", id: request.id });
      } catch (error) {
        reply({ kind: "synced", id: request.id, failure: (error as Error).message });
      }
      return true;
    case "close": {
      flush();
      try {
        foldAll();
      } catch (error) {
        // The sheets are stored; the next writer to open the database folds them.
        console.error("Folding the rollups at close failed:", error);
      }
      db?.close();
      requests?.close();
      const done = new Int32Array(request.done);
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
      self.close();
      return false;
    }
  }
}

function open(path: string): void {
  const connection = new DatabaseSync(path);
  connection.exec("PRAGMA busy_timeout = 5000");
  // The writer's pages are the indexes' right edges and the rollups: 32 MiB holds them at 1M sheets.
  connection.exec("PRAGMA cache_size = -32768");
  configureWriteConnection(connection);
  db = connection;
  committer = new GroupCommitter((sql) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, statement = connection.prepare(sql));
    return statement;
  });
  // Sheets a crash left unfolded (stored, acknowledged, not yet in the rollups) are folded first;
  // if that fails, writes still work and the next fold or sync retries.
  runFoldStep();
}

/** Commits everything queued, a group at a time. */
function flush(): void {
  while (queue.length > 0) commitGroup();
}

/** Commits the next group of the queue and answers its writes. */
function commitGroup(): void {
  const units = takeGroup(queue);
  lastWritten = units.at(-1)!.id;
  let results: UnitResult[];
  let committed = true;
  try {
    results = committer!.commit(units.map((unit) => unit.sheets));
  } catch (error) {
    committed = false;
    results = units.map(() => ({ error }));
  }
  reply({
    kind: "group",
    committed,
    results: units.map((unit, index) => toWireResult(unit.id, results[index]!)),
  });
}

function foldWhenIdle(): void {
  idleTimer = undefined;
  const now = performance.now();
  const wait = Math.max(FOLD_IDLE_MS - (now - lastWriteAt), retryAt - now);
  if (wait > 0) {
    idleTimer = setTimeout(foldWhenIdle, wait);
    return;
  }
  runFoldStep();
  drain();
}

/**
 * Runs one fold step. A failure (a full disk, a lock held too long) is logged and retried after a
 * delay that doubles up to {@link MAX_RETRY_MS}, rather than at once in a loop; a sync retries it
 * at once, as a read waits on it.
 */
function runFoldStep(): void {
  try {
    committer!.foldStep();
    retryDelay = 0;
    reportFolded();
  } catch (error) {
    retryDelay = Math.min(MAX_RETRY_MS, Math.max(FOLD_IDLE_MS, retryDelay * 2));
    retryAt = performance.now() + retryDelay;
    console.error(`Folding the rollups failed (retrying in ${retryDelay} ms):`, error);
  }
}

function foldAll(steps: readonly FoldStep[] = FOLD_STEPS): void {
  if (!committer) return;
  committer.foldAll(steps);
  reportFolded();
}

/** Tells the main thread which steps have folded every write it has taken, so reads of them need not ask. */
function reportFolded(): void {
  const steps = FOLD_STEPS.filter((step) => committer!.backlog([step]) === 0);
  if (steps.length > 0) reply({ kind: "folded", before: lastWritten + 1, steps });
}

function reply(message: WriteWorkerReply): void {
  self.postMessage(message);
}
