import type { Aggregate, StatSheet } from "./types.ts";

/**
 * Totals loot over stat sheets: the same numbers and shape as the server's `/api/aggregate` data.
 * Matches and players are counted as distinct ids, as the original server does.
 * @example
 * aggregateLoot(sheets).total_items.rubber_duck;
 */
export function aggregateLoot(sheets: Iterable<StatSheet>): Aggregate {
  const totals = new Map<string, number>();
  const matches = new Set<string>();
  const players = new Set<string>();
  let sheetCount = 0;
  for (const sheet of sheets) {
    sheetCount++;
    matches.add(sheet.match_id);
    players.add(sheet.player_id);
    for (const [item, count] of Object.entries(sheet.looted_items)) {
      totals.set(item, (totals.get(item) ?? 0) + count);
    }
  }
  return {
    total_items: Object.fromEntries([...totals].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))),
    total_matches: matches.size,
    total_players: players.size,
    total_stat_sheets: sheetCount,
  };
}
