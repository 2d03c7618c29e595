import type { DatabaseSync, StatementSync } from "node:sqlite";
import {
  baseCellIndex,
  ConflictError,
  fingerprintStatSheet,
  parseIsoTimestamp,
  type StatSheet,
} from "../../lib/mod.ts";
import { ROLLUP_MAP } from "./sqlite_schema.ts";
import type { InsertOutcome } from "./store.ts";

interface PendingUnit {
  sheets: readonly StatSheet[];
  receivedAt: Date;
  resolve: (outcomes: InsertOutcome[]) => void;
  reject: (error: unknown) => void;
}

/** Most sheets one commit takes; more wait for the next one, so one group cannot stall the others long. */
const MAX_GROUP_SHEETS = 20_000;

/**
 * Group commit: every `write()` (a single sheet or a batch) becomes a savepoint inside a shared
 * transaction that is committed, with one fsync, for everything queued while the previous commit
 * ran. Each call still succeeds or fails on its own, and resolves only after its data is durable.
 */
export class GroupCommitWriter {
  readonly #db: DatabaseSync;
  readonly #prepare: (sql: string) => StatementSync;
  #queue: PendingUnit[] = [];
  #scheduled = false;
  #closed = false;
  /** Commits made and units they carried, for benchmarks. */
  readonly stats = { commits: 0, units: 0 };

  constructor(db: DatabaseSync, prepare: (sql: string) => StatementSync) {
    this.#db = db;
    this.#prepare = prepare;
  }

  write(sheets: readonly StatSheet[], receivedAt: Date): Promise<InsertOutcome[]> {
    if (this.#closed) return Promise.reject(new Error("The store is closed"));
    const { promise, resolve, reject } = Promise.withResolvers<InsertOutcome[]>();
    this.#queue.push({ sheets, receivedAt, resolve, reject });
    if (!this.#scheduled) {
      this.#scheduled = true;
      // A macrotask, not a microtask: requests already on the sockets get parsed and join the group.
      setTimeout(() => this.flush(), 0);
    }
    return promise;
  }

  /** Commits everything queued now (also called on close, so nothing acknowledged is left behind). */
  flush(): void {
    this.#scheduled = false;
    while (this.#queue.length > 0) {
      const units = this.#takeGroup();
      this.#commitGroup(units);
    }
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
    try {
      this.#db.exec("BEGIN IMMEDIATE");
    } catch (error) {
      for (const unit of units) unit.reject(error);
      return;
    }
    for (const unit of units) {
      this.#db.exec("SAVEPOINT unit");
      try {
        results.push({ outcomes: this.#writeUnit(unit) });
        this.#db.exec("RELEASE unit");
      } catch (error) {
        this.#db.exec("ROLLBACK TO unit");
        this.#db.exec("RELEASE unit");
        results.push({ error });
      }
    }
    try {
      this.#db.exec("COMMIT");
    } catch (error) {
      try {
        this.#db.exec("ROLLBACK");
      } catch {
        // The failed COMMIT may already have rolled back.
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
  }

  /** Inserts one unit's sheets and its rollup deltas; throws (to roll the unit back) on a conflict. */
  #writeUnit({ sheets, receivedAt }: PendingUnit): InsertOutcome[] {
    const receivedIso = receivedAt.toISOString();
    const insertSheet = this.#prepare(
      `INSERT INTO stat_sheets (match_id, player_id, timestamp, looted_items, locations, created_at, ts_ms,
         match_duration, player_level, extra, fingerprint)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (match_id, player_id) DO NOTHING`,
    );
    const findByKey = this.#prepare(
      "SELECT id, fingerprint FROM stat_sheets WHERE match_id = ? AND player_id = ?",
    );
    const matchSeen = this.#prepare("SELECT 1 FROM stat_sheets WHERE match_id = ? LIMIT 1");
    const playerSeen = this.#prepare("SELECT 1 FROM stat_sheets WHERE player_id = ? LIMIT 1");
    const insertItem = this.#prepare(
      "INSERT INTO sheet_items (sheet_id, item, count, x, y) VALUES (?, ?, ?, ?, ?)",
    );
    const deltas = new RollupDeltas();
    const outcomes: InsertOutcome[] = [];
    sheets.forEach((sheet, index) => {
      const fingerprint = fingerprintStatSheet(sheet);
      const timestamp = sheet.timestamp ?? receivedIso;
      // Looked up before the insert: afterwards the new row itself would answer.
      const newMatch = matchSeen.get(sheet.match_id) === undefined;
      const newPlayer = playerSeen.get(sheet.player_id) === undefined;
      const inserted = insertSheet.run(
        sheet.match_id,
        sheet.player_id,
        timestamp,
        JSON.stringify(sheet.looted_items),
        JSON.stringify(sheet.locations),
        receivedIso,
        parseIsoTimestamp(timestamp) ?? receivedAt.getTime(),
        sheet.match_duration ?? null,
        sheet.player_level ?? null,
        sheet.extra === undefined ? null : JSON.stringify(sheet.extra),
        fingerprint,
      );
      if (inserted.changes === 0) {
        const existing = findByKey.get(sheet.match_id, sheet.player_id) as {
          id: number;
          fingerprint: string;
        };
        if (existing.fingerprint !== fingerprint) {
          throw new ConflictError(
            `A different stat sheet for match_id ${sheet.match_id} and player_id ${sheet.player_id} is already stored (id ${existing.id})`,
            { existingId: existing.id, index },
          );
        }
        outcomes.push({ id: existing.id, duplicate: true });
        return;
      }
      const id = Number(inserted.lastInsertRowid);
      deltas.countSheet(newMatch, newPlayer);
      for (const [item, count] of Object.entries(sheet.looted_items)) {
        const point = Object.hasOwn(sheet.locations, item) ? sheet.locations[item] : undefined;
        insertItem.run(id, item, count, point?.[0] ?? null, point?.[1] ?? null);
        deltas.addItem(item, count, point);
      }
      outcomes.push({ id, duplicate: false });
    });
    deltas.apply(this.#prepare);
    return outcomes;
  }
}

/** Rollup changes of one unit, summed in memory and written with one upsert per key. */
class RollupDeltas {
  #sheets = 0;
  #matches = 0;
  #players = 0;
  readonly #items = new Map<string, number>();
  readonly #cells = new Map<string, { item: string; col: number; row: number; units: number }>();

  countSheet(newMatch: boolean, newPlayer: boolean): void {
    this.#sheets++;
    if (newMatch) this.#matches++;
    if (newPlayer) this.#players++;
  }

  addItem(item: string, count: number, point: readonly [number, number] | undefined): void {
    this.#items.set(item, (this.#items.get(item) ?? 0) + count);
    if (!point || count <= 0) return;
    let col = baseCellIndex(point[0], ROLLUP_MAP.width);
    let row = baseCellIndex(point[1], ROLLUP_MAP.height);
    if (col < 0 || row < 0) col = row = -1;
    const key = `${item}\u0000${col}\u0000${row}`;
    const cell = this.#cells.get(key);
    if (cell) cell.units += count;
    else this.#cells.set(key, { item, col, row, units: count });
  }

  apply(prepare: (sql: string) => StatementSync): void {
    if (this.#sheets === 0) return;
    const counter = prepare("UPDATE rollup_counters SET value = value + ? WHERE name = ?");
    counter.run(this.#sheets, "sheets");
    if (this.#matches) counter.run(this.#matches, "matches");
    if (this.#players) counter.run(this.#players, "players");
    const item = prepare(
      "INSERT INTO rollup_items (item, units) VALUES (?, ?) ON CONFLICT (item) DO UPDATE SET units = units + excluded.units",
    );
    for (const [name, units] of this.#items) item.run(name, units);
    const cell = prepare(
      `INSERT INTO rollup_cells (item, col, row, units) VALUES (?, ?, ?, ?)
       ON CONFLICT (item, col, row) DO UPDATE SET units = units + excluded.units`,
    );
    for (const { item: name, col, row, units } of this.#cells.values()) {
      cell.run(name, col, row, units);
    }
  }
}
