/**
 * Group commit for the PostgreSQL store: small submissions (a single sheet from HTTP ingest)
 * that arrive while the event loop is busy share one transaction, so they share its round trips,
 * its rollup statements and its WAL flush, as the SQLite writer's group commit does. Each still
 * succeeds or fails on its own.
 * @module
 */
import { setImmediate } from "node:timers";
import { ConflictError, type PreparedSheet } from "../../lib/mod.ts";
import type { InsertOutcome } from "./store.ts";

/** Submissions of more sheets than this are written alone: they amortise a transaction already. */
const MAX_GROUPED_SUBMISSION = 100;
/** Most sheets one grouped transaction takes; later submissions form the next group. */
const MAX_GROUP_SHEETS = 5_000;

interface Pending {
  sheets: readonly PreparedSheet[];
  resolve: (outcomes: InsertOutcome[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Queues small submissions for one macrotask, then writes them as one batch with `write` (one
 * transaction; `write` also tells commit listeners). Groups run concurrently on the pool. A
 * `ConflictError` names the submission whose sheet conflicts: the others are written again as a
 * group, then that one alone, so it gets the error (with the stored id) it would have had alone.
 */
export class GroupCommitQueue {
  readonly #write: (sheets: readonly PreparedSheet[]) => Promise<InsertOutcome[]>;
  #queue: Pending[] = [];
  #scheduled = false;
  readonly #running = new Set<Promise<void>>();

  constructor(write: (sheets: readonly PreparedSheet[]) => Promise<InsertOutcome[]>) {
    this.#write = write;
  }

  submit(sheets: readonly PreparedSheet[]): Promise<InsertOutcome[]> {
    if (sheets.length > MAX_GROUPED_SUBMISSION) {
      // Written alone, but still waited for by flush(): the store ends its pools only after it.
      const writing = this.#write(sheets);
      const running = writing.then(() => {}, () => {});
      this.#running.add(running);
      void running.finally(() => this.#running.delete(running));
      return writing;
    }
    const { promise, resolve, reject } = Promise.withResolvers<InsertOutcome[]>();
    this.#queue.push({ sheets, resolve, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      // After pending I/O callbacks (a microtask would run before them): requests already on the
      // sockets are parsed and join the group.
      setImmediate(() => this.flush());
    }
    return promise;
  }

  /** Starts writing everything queued; resolves when every group started so far has finished. */
  async flush(): Promise<void> {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      let sheets = 0;
      let count = 0;
      while (
        count < this.#queue.length &&
        (count === 0 || sheets + this.#queue[count]!.sheets.length <= MAX_GROUP_SHEETS)
      ) {
        sheets += this.#queue[count]!.sheets.length;
        count++;
      }
      const running = this.#commit(this.#queue.splice(0, count));
      this.#running.add(running);
      void running.finally(() => this.#running.delete(running));
    }
    await Promise.all(this.#running);
  }

  async #commit(group: readonly Pending[]): Promise<void> {
    if (group.length === 0) return;
    if (group.length === 1) {
      const [unit] = group;
      await this.#write(unit!.sheets).then(unit!.resolve, unit!.reject);
      return;
    }
    try {
      const outcomes = await this.#write(group.flatMap((unit) => unit.sheets));
      let offset = 0;
      for (const unit of group) {
        unit.resolve(outcomes.slice(offset, offset + unit.sheets.length));
        offset += unit.sheets.length;
      }
    } catch (error) {
      if (!(error instanceof ConflictError)) {
        for (const unit of group) unit.reject(error);
        return;
      }
      let offset = 0;
      const failing = group.find((unit) => {
        offset += unit.sheets.length;
        return error.index < offset;
      })!;
      await this.#commit(group.filter((unit) => unit !== failing));
      await this.#write(failing.sheets).then(failing.resolve, failing.reject);
    }
  }
}
