/**
 * The rollups kept in the insert transaction, so totals and heatmaps never scan the sheets: counters
 * (sheets, matches, players), units per item, and heatmap cells at each of lib's
 * `ROLLUP_RESOLUTIONS`. Written as summed deltas, read back as an aggregate.
 * @module
 */
import type { StatementSync } from "node:sqlite";
import { type Aggregate, binIndex, MAP_SIZE, ROLLUP_RESOLUTIONS } from "../../lib/mod.ts";
import { allRows } from "./sqlite_rows.ts";

/** The aggregate of every stored sheet, read from the rollups. */
export function readRollupAggregate(prepare: (sql: string) => StatementSync): Aggregate {
  const counters = Object.fromEntries(
    allRows<{ name: string; value: number }>(prepare("SELECT name, value FROM rollup_counters"))
      .map(({ name, value }) => [name, value]),
  );
  const items = allRows<{ item: string; units: number }>(
    prepare("SELECT item, units FROM rollup_items ORDER BY item"),
  );
  return {
    total_items: Object.fromEntries(items.map(({ item, units }) => [item, units])),
    total_matches: counters.matches ?? 0,
    total_players: counters.players ?? 0,
    total_stat_sheets: counters.sheets ?? 0,
  };
}

/** Rollup changes, summed in memory and written with one upsert per key. */
export class RollupDeltas {
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
    for (const bins of ROLLUP_RESOLUTIONS) {
      const col = binIndex(point[0], MAP_SIZE.width, bins);
      const row = binIndex(point[1], MAP_SIZE.height, bins);
      // Off the map on either axis is off the map: one (-1, -1) cell, as lib's addToGrid counts it.
      const offMap = col < 0 || row < 0;
      this.#addCell(item, bins, offMap ? -1 : col, offMap ? -1 : row, count);
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
