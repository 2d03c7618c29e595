import { aggregateLoot } from "./aggregate.ts";
import type { Aggregate, LootCounts, StatSheet } from "./types.ts";

/** What a set of sheets holds, beyond totals: the input of the performance dashboard. */
export interface DatasetProfile {
  /** Totals, as {@link aggregateLoot} computes them (the shape of `GET /api/aggregate` data). */
  aggregate: Aggregate;
  /** Item → number of sheets that looted at least one unit of it. */
  sheetsWithItem: LootCounts;
  /** Looted item entries (count > 0) that came with a location. */
  locatedEntries: number;
  /** All looted item entries (count > 0), located or not: what `locatedEntries` is a share of. */
  lootedEntries: number;
}

/** Profiles sheets in one pass: totals plus how much of the data each item and the locations cover. */
export function profileSheets(sheets: Iterable<StatSheet>): DatasetProfile {
  const list = Array.isArray(sheets) ? sheets as StatSheet[] : [...sheets];
  const sheetsWithItem: LootCounts = {};
  let locatedEntries = 0;
  let lootedEntries = 0;
  for (const sheet of list) {
    for (const [item, count] of Object.entries(sheet.looted_items)) {
      sheetsWithItem[item] ??= 0;
      if (count <= 0) continue;
      sheetsWithItem[item]++;
      lootedEntries++;
      if (Object.hasOwn(sheet.locations, item)) locatedEntries++;
    }
  }
  return { aggregate: aggregateLoot(list), sheetsWithItem, locatedEntries, lootedEntries };
}
