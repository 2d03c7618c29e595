/**
 * From rows of per-group sums to a {@link GroupedAggregate}: the part of `group_by` both storage
 * engines share, whatever SQL produced the rows (the group rollups or the sheets themselves).
 * @module
 */
import {
  type AggregateGroup,
  compareGroupKeys,
  type GroupBy,
  type GroupedAggregate,
} from "./analytics.ts";
import type { LootCounts } from "./types.ts";

/** One group's counts; `key` is '' for "no value", a level as text for `player_level`. */
export interface GroupCountRow {
  /** The group's key as stored. */
  key: string;
  /** Sheets in the group. */
  sheets: number;
  /** Distinct matches in the group. */
  matches: number;
  /** Distinct players in the group. */
  players: number;
}

/** Units of one item in one group. */
export interface GroupItemRow {
  /** The group's key as stored. */
  key: string;
  /** Item name. */
  item: string;
  /** Units looted. */
  units: number;
}

/**
 * The groups of `counts` with their items from `items` (rows in item order keep items sorted),
 * keys typed (levels as numbers, '' as null) and groups in lib's order (null last).
 */
export function assembleGroupedAggregate(
  groupBy: GroupBy,
  counts: readonly GroupCountRow[],
  items: Iterable<GroupItemRow>,
): GroupedAggregate {
  const totals = new Map<string, LootCounts>();
  for (const { key, item, units } of items) {
    const group = totals.get(key) ?? {};
    group[item] = units;
    totals.set(key, group);
  }
  const groups: AggregateGroup[] = counts.map((row) => ({
    key: row.key === "" ? null : groupBy === "player_level" ? Number(row.key) : row.key,
    total_items: totals.get(row.key) ?? {},
    total_matches: row.matches,
    total_players: row.players,
    total_stat_sheets: row.sheets,
  }));
  groups.sort((a, b) => compareGroupKeys(a.key, b.key));
  return { group_by: groupBy, groups };
}
