import type { DatabaseSync, StatementSync } from "node:sqlite";
import { setImmediate } from "node:timers";
import {
  baseCellIndex,
  ConflictError,
  correctTimestamp,
  fingerprintStatSheet,
  type StatSheet,
} from "../../lib/mod.ts";
import { ROLLUP_BINS, ROLLUP_MAP, ROLLUP_RESOLUTIONS } from "./sqlite_schema.ts";
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
      // After pending I/O callbacks, not before (a microtask would be): requests already on the sockets
      // get parsed and join the group. setTimeout(0) would also do, but it waits about 2 ms here.
      setImmediate(() => this.flush());
    }
    return promise;
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
      const outcomes = unit.sheets.map((sheet, index) =>
        this.#writeSheet(sheet, index, unit.receivedAt, deltas)
      );
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

  #writeSheet(
    sheet: StatSheet,
    index: number,
    receivedAt: Date,
    deltas: RollupDeltas,
  ): InsertOutcome {
    const fingerprint = fingerprintStatSheet(sheet);
    const receivedIso = receivedAt.toISOString();
    const correctedMs = correctTimestamp(sheet, receivedAt);
    // Corrected for the client's clock when it said when it sent the sheet; otherwise as sent.
    const timestamp = sheet.sent_at !== undefined
      ? new Date(correctedMs).toISOString()
      : sheet.timestamp ?? receivedIso;
    // Asked before the insert (afterwards the new row itself would answer), in one statement.
    const seen = this.#prepare(
      `SELECT (SELECT 1 FROM stat_sheets WHERE match_id = ? LIMIT 1) AS match,
              (SELECT 1 FROM stat_sheets WHERE player_id = ? LIMIT 1) AS player`,
    ).get(sheet.match_id, sheet.player_id) as { match: number | null; player: number | null };
    const inserted = this.#prepare(
      `INSERT INTO stat_sheets (match_id, player_id, timestamp, looted_items, locations, created_at, ts_ms,
         match_duration, player_level, extra, fingerprint, client_timestamp, sent_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (match_id, player_id) DO NOTHING`,
    ).run(
      sheet.match_id,
      sheet.player_id,
      timestamp,
      JSON.stringify(sheet.looted_items),
      JSON.stringify(sheet.locations),
      receivedIso,
      correctedMs,
      sheet.match_duration ?? null,
      sheet.player_level ?? null,
      sheet.extra === undefined ? null : JSON.stringify(sheet.extra),
      fingerprint,
      sheet.sent_at === undefined ? null : sheet.timestamp ?? null,
      sheet.sent_at ?? null,
    );
    if (inserted.changes === 0) {
      const existing = this.#prepare(
        "SELECT id, fingerprint FROM stat_sheets WHERE match_id = ? AND player_id = ?",
      )
        .get(sheet.match_id, sheet.player_id) as { id: number; fingerprint: string };
      if (existing.fingerprint !== fingerprint) {
        throw new ConflictError(
          `A different stat sheet for match_id ${sheet.match_id} and player_id ${sheet.player_id} is already stored (id ${existing.id})`,
          { existingId: existing.id, index },
        );
      }
      return { id: existing.id, duplicate: true };
    }
    const id = Number(inserted.lastInsertRowid);
    deltas.countSheet(seen.match === null, seen.player === null);
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
}

/** Rollup changes, summed in memory and written with one upsert per key. */
class RollupDeltas {
  #sheets = 0;
  #matches = 0;
  #players = 0;
  readonly #items = new Map<string, number>();
  readonly #cells = new Map<
    string,
    { item: string; bins: number; col: number; row: number; units: number }
  >();

  countSheet(newMatch: boolean, newPlayer: boolean): void {
    this.#sheets++;
    if (newMatch) this.#matches++;
    if (newPlayer) this.#players++;
  }

  addItem(item: string, count: number, point: readonly [number, number] | undefined): void {
    this.#items.set(item, (this.#items.get(item) ?? 0) + count);
    if (!point || count <= 0) return;
    const baseCol = baseCellIndex(point[0], ROLLUP_MAP.width);
    const baseRow = baseCellIndex(point[1], ROLLUP_MAP.height);
    const offMap = baseCol < 0 || baseRow < 0;
    for (const bins of ROLLUP_RESOLUTIONS) {
      const factor = ROLLUP_BINS / bins;
      const col = offMap ? -1 : Math.floor(baseCol / factor);
      const row = offMap ? -1 : Math.floor(baseRow / factor);
      this.#addCell(item, bins, col, row, count);
    }
  }

  merge(other: RollupDeltas): void {
    this.#sheets += other.#sheets;
    this.#matches += other.#matches;
    this.#players += other.#players;
    for (const [item, units] of other.#items) {
      this.#items.set(item, (this.#items.get(item) ?? 0) + units);
    }
    for (const cell of other.#cells.values()) {
      this.#addCell(cell.item, cell.bins, cell.col, cell.row, cell.units);
    }
  }

  #addCell(item: string, bins: number, col: number, row: number, units: number): void {
    const key = `${item}\u0000${bins}\u0000${col}\u0000${row}`;
    const cell = this.#cells.get(key);
    if (cell) cell.units += units;
    else this.#cells.set(key, { item, bins, col, row, units });
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
      `INSERT INTO rollup_cells (item, bins, col, row, units) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (item, bins, col, row) DO UPDATE SET units = units + excluded.units`,
    );
    for (const { item: name, bins, col, row, units } of this.#cells.values()) {
      cell.run(name, bins, col, row, units);
    }
  }
}
