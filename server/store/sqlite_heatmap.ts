/**
 * Heatmap reads over SQLite: grids summed from the cell rollups when they cover the request, and
 * otherwise (bins that no rollup resolution divides, a match prefix, a game mode, or the listing of
 * every point) a scan of the sheets' JSON. The store runs the scans on its read worker
 * (`sqlite_read_worker.ts`), so they never hold up the event loop.
 * @module
 */
import type { StatementSync } from "node:sqlite";
import {
  addToCell,
  binIndexSql,
  createEmptyGrid,
  findRollupResolution,
  type HeatmapGrid,
  type HeatmapPoints,
  type ItemLocation,
  LimitExceededError,
  MAX_HEATMAP_POINTS,
  ROLLUP_RESOLUTIONS,
} from "../../lib/mod.ts";
import { allRows, firstRow } from "./sqlite_rows.ts";

/** The sheet filters a heatmap takes. */
export type HeatmapFilter = { matchPrefix?: string; gameMode?: string };

/** True when the cell rollups answer a grid of `bins` over `filter`'s sheets, with no scan. */
export function isGridFromRollups(filter: HeatmapFilter & { bins: number }): boolean {
  return findRollupResolution(filter.bins) !== undefined && coversAllSheets(filter);
}

/** Every located unit of `item` as a point; past {@link MAX_HEATMAP_POINTS}, a LimitExceededError. */
export function readHeatmapPoints(
  prepare: (sql: string) => StatementSync,
  item: string,
  filter: HeatmapFilter,
): HeatmapPoints {
  const located = locatedUnitsSql(item, filter);
  // Counted before anything is built: from the rollup when unfiltered, else by SQL.
  const { units } = coversAllSheets(filter)
    ? firstRow<{ units: number }>(
      prepare(
        "SELECT COALESCE(SUM(units), 0) AS units FROM rollup_cells WHERE item = ? AND bins = ?",
      ),
      [item, ROLLUP_RESOLUTIONS[0]!],
    )
    : firstRow<{ units: number }>(
      prepare(`SELECT COALESCE(SUM(count), 0) AS units FROM (${located.sql})`),
      located.params,
    );
  if (units > MAX_HEATMAP_POINTS) {
    throw new LimitExceededError(
      `${item} has ${units} located units, more than the ${MAX_HEATMAP_POINTS} points this listing returns; ask for a grid instead, e.g. /api/heatmap/${item}?bins=20 (1 to 200 cells per axis)`,
      MAX_HEATMAP_POINTS,
    );
  }
  const rows = allRows<{ x: number; y: number; count: number }>(
    prepare(located.sql),
    located.params,
  );
  const locations: ItemLocation[] = [];
  for (const { x, y, count } of rows) {
    for (let unit = 0; unit < count; unit++) locations.push([x, y]);
  }
  return { item_name: item, locations, count: locations.length };
}

/** `item`'s units binned into a grid of `options.bins` cells per axis. */
export function readHeatmapGrid(
  prepare: (sql: string) => StatementSync,
  item: string,
  options: HeatmapFilter & { bins: number },
): HeatmapGrid {
  const grid = createEmptyGrid(item, { bins: options.bins });
  const resolution = findRollupResolution(options.bins);
  if (resolution !== undefined && coversAllSheets(options)) {
    // Summed from the coarsest rollup the bins divide: no scan of the sheets.
    const factor = resolution / options.bins;
    const cells = allRows<{ col: number; row: number; units: number }>(
      prepare("SELECT col, row, units FROM rollup_cells WHERE item = ? AND bins = ?"),
      [item, resolution],
    );
    for (const { col, row, units } of cells) {
      addToCell(grid, Math.floor(col / factor), Math.floor(row / factor), units);
    }
    return grid;
  }
  const located = locatedUnitsSql(item, options);
  const cells = allRows<{ col: number; row: number; units: number }>(
    prepare(
      `SELECT ${binIndexSql("x", options.bins)} AS col, ${
        binIndexSql("y", options.bins)
      } AS row, SUM(count) AS units FROM (${located.sql}) GROUP BY col, row`,
    ),
    located.params,
  );
  for (const { col, row, units } of cells) addToCell(grid, col, row, units);
  return grid;
}

/** True when a heatmap covers every sheet, so its rollups answer it. */
function coversAllSheets(filter: HeatmapFilter): boolean {
  return filter.matchPrefix === undefined && filter.gameMode === undefined;
}

/**
 * SQL listing one item's located units as rows (x, y, count) over the sheets `filter` selects, read
 * from each sheet's JSON by path: three lookups per sheet.
 */
function locatedUnitsSql(item: string, filter: HeatmapFilter): { sql: string; params: string[] } {
  const clauses: string[] = [];
  // Item names are safe in a JSON path (lib's ITEM_NAME_PATTERN, checked by the query parser).
  const path = `$.${item}`;
  const params: string[] = [`${path}[0]`, `${path}[1]`, path];
  if (filter.matchPrefix !== undefined) {
    // A range on the unique (match_id, player_id) index; U+10FFFF sorts after every character.
    clauses.push("s.match_id >= ? AND s.match_id < ?");
    params.push(filter.matchPrefix, `${filter.matchPrefix}\u{10FFFF}`);
  }
  if (filter.gameMode !== undefined) {
    clauses.push("s.game_mode = ?");
    params.push(filter.gameMode);
  }
  const where = clauses.length ? `WHERE ${clauses.join(" AND ")}` : "";
  // MATERIALIZED: each lookup runs once per sheet (1.1 s at 200k sheets); inlined, the cell rule's
  // repeated mentions of x and y ran them again (1.8 s).
  return {
    sql: `WITH located AS MATERIALIZED (
        SELECT CAST(json_extract(s.locations, ?) AS REAL) AS x,
          CAST(json_extract(s.locations, ?) AS REAL) AS y, json_extract(s.looted_items, ?) AS count
        FROM stat_sheets s ${where})
      SELECT x, y, count FROM located WHERE count > 0 AND x IS NOT NULL`,
    params,
  };
}
