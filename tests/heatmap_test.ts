import { deepStrictEqual, equal } from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import fc from "fast-check";
import {
  BASE_BINS,
  binIndex,
  binIndexSql,
  binItemLocations,
  findRollupResolution,
  MAP_SIZE,
  MAX_BINS,
  ROLLUP_RESOLUTIONS,
} from "../lib/mod.ts";
import { SMALL_SHEETS } from "./fixtures.ts";

Deno.test("binItemLocations() weights locations by count and counts off-map units apart", () => {
  const grid = binItemLocations(SMALL_SHEETS, "medkit", { bins: 2 });
  deepStrictEqual(grid.grid, [[0, 0], [2, 0]]);
  equal(grid.count, 2);
  equal(grid.outside, 3);
  deepStrictEqual(
    binItemLocations(SMALL_SHEETS, "shield", { bins: 4 }).grid[0],
    [0, 0, 0, 4],
    "x = width falls in the last cell",
  );
});

Deno.test("binIndex() maps [0, extent] onto 0…bins-1", () => {
  deepStrictEqual([0, 4.99, 5, 99.9, 100].map((x) => binIndex(x, 100, 20)), [0, 0, 1, 19, 19]);
  deepStrictEqual([-0.1, 100.1, NaN].map((x) => binIndex(x, 100, 20)), [-1, -1, -1]);
});

Deno.test("binIndexSql() puts every point in the cell binIndex() does, on and off the map", () => {
  using db = new DatabaseSync(":memory:");
  const statements = new Map<number, ReturnType<DatabaseSync["prepare"]>>();
  const cellOf = (x: number, y: number, bins: number) => {
    let statement = statements.get(bins);
    if (!statement) {
      statement = db.prepare(
        `SELECT ${binIndexSql("x", bins)} AS col, ${
          binIndexSql("y", bins)
        } AS row FROM (SELECT ? AS x, ? AS y)`,
      );
      statements.set(bins, statement);
    }
    const { col, row } = statement.get(x, y)!;
    return { col, row };
  };
  const coordinate = fc.oneof(
    fc.double({ min: -10, max: 110, noNaN: true }),
    fc.integer({ min: 0, max: 1000 }).map((tenths) => tenths / 10),
    fc.constantFrom(0, 100, 99.99999, 0.5, 49.5),
  );
  fc.assert(
    fc.property(coordinate, coordinate, fc.integer({ min: 1, max: MAX_BINS }), (x, y, bins) => {
      const col = binIndex(x, MAP_SIZE.width, bins);
      const row = binIndex(y, MAP_SIZE.height, bins);
      const offMap = col < 0 || row < 0;
      deepStrictEqual(cellOf(x, y, bins), offMap ? { col: -1, row: -1 } : { col, row });
    }),
    { numRuns: 2_000 },
  );
});

Deno.test("findRollupResolution() picks the coarsest kept grid a bins count divides", () => {
  equal(findRollupResolution(20), 20);
  equal(findRollupResolution(10), 20);
  equal(findRollupResolution(25), 50);
  equal(findRollupResolution(40), BASE_BINS);
  equal(findRollupResolution(7), undefined, "7 divides none: computed by SQL from the sheets");
  deepStrictEqual([...ROLLUP_RESOLUTIONS].sort((a, b) => a - b), [...ROLLUP_RESOLUTIONS]);
});
