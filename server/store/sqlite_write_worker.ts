/**
 * The write worker of a file database: it owns the write connection and commits groups of
 * submissions with `GroupCommitter`, so SQLite and fsync never run on the event loop that parses
 * HTTP, and folds them into the rollups afterwards. Requests are {@link WriteWorkerRequest}s; each
 * group answers with one {@link WriteWorkerReply} posted after its commit, a sync with one after
 * its fold, and a fold that leaves nothing unfolded says so.
 * @module
 */
/// <reference lib="deno.worker" />
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { PreparedSheet } from "../../lib/mod.ts";
import {
  configureWriteConnection,
  FOLD_AFTER_SHEETS,
  FOLD_IDLE_MS,
  GroupCommitter,
  takeGroup,
  toWireResult,
  type UnitResult,
  type WriteWorkerReply,
  type WriteWorkerRequest,
} from "./sqlite_writer.ts";

let db: DatabaseSync | undefined;
let committer: GroupCommitter | undefined;
const statements = new Map<string, StatementSync>();
const queue: { id: number; sheets: readonly PreparedSheet[] }[] = [];
let scheduled = false;
/** The last write a group has taken: once everything stored is folded, all writes up to it are. */
let lastWritten = -1;
let lastWriteAt = 0;
let idleTimer: ReturnType<typeof setTimeout> | undefined;
/** After a failed fold, background folds wait until then. */
let retryAt = 0;
let retryDelay = 0;
/** Longest wait between two background retries of a failing fold. */
const MAX_RETRY_MS = 5_000;

self.onmessage = (event: MessageEvent<WriteWorkerRequest>) => {
  const request = event.data;
  switch (request.type) {
    case "open":
      open(request.path);
      return;
    case "write":
      lastWriteAt = performance.now();
      queue.push(request);
      if (!scheduled) {
        scheduled = true;
        // A timer lets the messages already sent arrive first, so they join this group.
        setTimeout(flush, 0);
      }
      return;
    case "sync":
      // Messages arrive in order: every write acknowledged before this sync was sent is committed
      // by the flush, then folded.
      flush();
      try {
        foldAll();
        reply({ kind: "synced", id: request.id });
      } catch (error) {
        reply({ kind: "synced", id: request.id, failure: (error as Error).message });
      }
      return;
    case "close": {
      flush();
      try {
        foldAll();
      } catch (error) {
        // The sheets are stored; the next writer to open the database folds them.
        console.error("Folding the rollups at close failed:", error);
      }
      db?.close();
      const done = new Int32Array(request.done);
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
      self.close();
    }
  }
};

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
  foldSlice();
  afterCommits();
}

function flush(): void {
  scheduled = false;
  while (queue.length > 0) {
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
  afterCommits();
}

/**
 * Folds between groups once enough sheets wait (one slice, then the queued writes go first), and
 * otherwise once writes pause for {@link FOLD_IDLE_MS}.
 */
function afterCommits(): void {
  if (!committer || committer.unfolded === 0) return;
  if (committer.unfolded >= FOLD_AFTER_SHEETS && retryAt <= performance.now()) {
    foldSlice();
    if (committer.unfolded > 0) setTimeout(afterCommits, 0);
    return;
  }
  idleTimer ??= setTimeout(foldWhenIdle, FOLD_IDLE_MS);
}

function foldWhenIdle(): void {
  idleTimer = undefined;
  const now = performance.now();
  const wait = Math.max(FOLD_IDLE_MS - (now - lastWriteAt), retryAt - now);
  if (wait > 0) {
    idleTimer = setTimeout(foldWhenIdle, wait);
    return;
  }
  foldSlice();
  if (committer && committer.unfolded > 0) idleTimer = setTimeout(foldWhenIdle, 0);
}

/**
 * Folds one slice. A failure (a full disk, a lock held too long) is logged and retried after a
 * delay that doubles up to {@link MAX_RETRY_MS}, rather than at once in a loop; a sync retries it
 * at once, as a read waits on it.
 */
function foldSlice(): void {
  try {
    committer!.fold();
    retryDelay = 0;
    if (committer!.unfolded === 0) reply({ kind: "folded", before: lastWritten + 1 });
  } catch (error) {
    retryDelay = Math.min(MAX_RETRY_MS, Math.max(FOLD_IDLE_MS, retryDelay * 2));
    retryAt = performance.now() + retryDelay;
    console.error(`Folding the rollups failed (retrying in ${retryDelay} ms):`, error);
  }
}

function foldAll(): void {
  if (!committer) return;
  committer.foldAll();
  reply({ kind: "folded", before: lastWritten + 1 });
}

function reply(message: WriteWorkerReply): void {
  self.postMessage(message);
}
