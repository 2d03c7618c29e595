import { deepStrictEqual, equal } from "node:assert/strict";
import {
  aggregateLoot,
  binIndex,
  binItemLocations,
  parseIsoTimestamp,
  type StatSheet,
} from "../lib/mod.ts";

const sheets: StatSheet[] = [
  {
    match_id: "m1",
    player_id: "p1",
    looted_items: { medkit: 2, grenade: 0 },
    locations: { medkit: [10, 90] },
  },
  {
    match_id: "m1",
    player_id: "p2",
    looted_items: { medkit: 1, shield: 4 },
    locations: { shield: [100, 0] },
  },
  {
    match_id: "m2",
    player_id: "p1",
    looted_items: { medkit: 3 },
    locations: { medkit: [150, 10] },
  },
];

Deno.test("aggregateLoot() sums counts per item and counts distinct matches and players", () => {
  deepStrictEqual(aggregateLoot(sheets), {
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

Deno.test("binItemLocations() weights locations by count and counts off-map units apart", () => {
  const grid = binItemLocations(sheets, "medkit", { bins: 2 });
  deepStrictEqual(grid.grid, [[0, 0], [2, 0]]);
  equal(grid.count, 2);
  equal(grid.outside, 3);
  deepStrictEqual(
    binItemLocations(sheets, "shield", { bins: 4 }).grid[0],
    [0, 0, 0, 4],
    "x = width falls in the last cell",
  );
});

Deno.test("binIndex() maps [0, extent] onto 0…bins-1", () => {
  deepStrictEqual([0, 4.99, 5, 99.9, 100].map((x) => binIndex(x, 100, 20)), [0, 0, 1, 19, 19]);
  deepStrictEqual([-0.1, 100.1, NaN].map((x) => binIndex(x, 100, 20)), [-1, -1, -1]);
});

Deno.test("parseIsoTimestamp() reads the date-times clients send", () => {
  equal(parseIsoTimestamp("2025-10-23T10:30:00"), Date.UTC(2025, 9, 23, 10, 30));
  equal(parseIsoTimestamp("2025-10-23T10:30:00.123456"), Date.UTC(2025, 9, 23, 10, 30, 0, 123));
  equal(parseIsoTimestamp("2025-10-23T12:30:00+02:00"), Date.UTC(2025, 9, 23, 10, 30));
  equal(parseIsoTimestamp("2025-10-23"), Date.UTC(2025, 9, 23));
  for (
    const bad of [
      "2025-13-01",
      "2025-02-29T00:00:00Z",
      "10/23/2025",
      "2025-10-23T25:00",
      "",
      "2025-10-23T10:30:00Zjunk",
    ]
  ) {
    equal(parseIsoTimestamp(bad), undefined, bad);
  }
});
