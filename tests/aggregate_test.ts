import { deepStrictEqual } from "node:assert/strict";
import { aggregateLoot } from "../lib/mod.ts";
import { SMALL_SHEETS } from "./fixtures.ts";

Deno.test("aggregateLoot() sums counts per item and counts distinct matches and players", () => {
  deepStrictEqual(aggregateLoot(SMALL_SHEETS), {
    total_items: { grenade: 0, medkit: 6, shield: 4 },
    total_matches: 2,
    total_players: 2,
    total_stat_sheets: 3,
  });
  deepStrictEqual(aggregateLoot([]), {
    total_items: {},
    total_matches: 0,
    total_players: 0,
    total_stat_sheets: 0,
  });
});
