/**
 * Heatmap geometry, in one place: the map, the base grid the server keeps as a rollup, the rule that
 * puts a point in a cell, and that rule's SQL twin. A local grid equals the server's because both
 * call the functions below.
 * @module
 */
import type { HeatmapGrid, MapSize, StatSheet } from "./types.ts";

/** The map every location lies on, in map units (the original simulator's 100 × 100). */
export const MAP_SIZE: Readonly<MapSize> = Object.freeze({ width: 100, height: 100 });

/** Cells per axis of the base grid; any bins count dividing it is derived from it exactly. */
export const BASE_BINS = 200;

/** Largest `bins` a heatmap grid may have. */
export const MAX_BINS: number = BASE_BINS;

/**
 * Most points `GET /api/heatmap/:item` lists (one per looted unit, about 1.5 MB of JSON); past it the
 * answer is a 422 pointing to `?bins=`, whose grid costs the same at any size.
 */
export const MAX_HEATMAP_POINTS = 100_000;

/** Resolutions the server keeps as rollups, coarsest first: `bins=20` reads 400 cells, not 40,000. */
export const ROLLUP_RESOLUTIONS: readonly number[] = Object.freeze([20, 50, BASE_BINS]);

/** Options for binning locations into a heatmap grid. */
export interface BinningOptions {
  /** Cells along each axis, 1…{@link MAX_BINS}. */
  bins: number;
  /** Extent the grid covers (default {@link MAP_SIZE}). */
  mapSize?: MapSize;
}

/** Returns the base-grid cell (0…199) of a coordinate along one axis, or -1 outside `[0, extent]`. */
export function baseCellIndex(coordinate: number, extent: number): number {
  if (!(coordinate >= 0) || coordinate > extent) return -1;
  // `| 0` turns the -0 of a coordinate sent as -0 into 0, as SQL's CAST does.
  return Math.min(BASE_BINS - 1, Math.floor(coordinate / (extent / BASE_BINS)) | 0);
}

/**
 * Returns the cell of a coordinate along one axis, or -1 when it lies outside `[0, extent]`.
 * Bins that divide {@link BASE_BINS} come from the base cell (as the server's rollups do), others
 * directly; {@link binIndexSql} is the same rule in SQL.
 */
export function binIndex(coordinate: number, extent: number, bins: number): number {
  if (BASE_BINS % bins === 0) {
    const base = baseCellIndex(coordinate, extent);
    return base < 0 ? -1 : Math.floor(base / (BASE_BINS / bins));
  }
  if (!(coordinate >= 0) || coordinate > extent) return -1;
  return Math.min(bins - 1, Math.floor(coordinate / (extent / bins)) | 0);
}

/** The SQL dialects {@link binIndexSql} writes. */
export type SqlDialect = "sqlite" | "postgres";

/**
 * {@link binIndex} as a SQL expression over columns `x` and `y`: the cell along `axis`, or -1 when
 * the point is off the map. The dialects differ in the scalar minimum (`MIN` in SQLite, `LEAST` in
 * PostgreSQL) and in the cast: SQLite's `CAST(… AS INTEGER)` truncates where PostgreSQL's rounds,
 * so PostgreSQL floors first (coordinates on the map are never negative, so both truncate alike).
 */
export function binIndexSql(
  axis: "x" | "y",
  bins: number,
  { dialect = "sqlite", map = MAP_SIZE }: { dialect?: SqlDialect; map?: MapSize } = {},
): string {
  const extent = axis === "x" ? map.width : map.height;
  const onMap = `x >= 0 AND x <= ${map.width} AND y >= 0 AND y <= ${map.height}`;
  const least = dialect === "sqlite" ? "MIN" : "LEAST";
  const floor = (value: string) =>
    dialect === "sqlite" ? `CAST(${value} AS INTEGER)` : `floor(${value})::integer`;
  const cell = BASE_BINS % bins === 0
    ? `${least}(${BASE_BINS - 1}, ${floor(`${axis} / ${extent / BASE_BINS}`)}) / ${
      BASE_BINS / bins
    }`
    : `${least}(${bins - 1}, ${floor(`${axis} / ${extent / bins}`)})`;
  return `CASE WHEN ${onMap} THEN ${cell} ELSE -1 END`;
}

/** The coarsest rollup resolution a grid of `bins` can be summed from, or undefined when none divides. */
export function findRollupResolution(bins: number): number | undefined {
  return ROLLUP_RESOLUTIONS.find((resolution) => resolution % bins === 0);
}

/**
 * Bins one item's looted units over the map, each location weighted by its count: the same
 * grid as the server's `/api/heatmap/:item?bins=N`.
 * @example
 * binItemLocations(sheets, "rubber_duck", { bins: 20 }).grid[0][0];
 */
export function binItemLocations(
  sheets: Iterable<StatSheet>,
  item: string,
  options: BinningOptions,
): HeatmapGrid {
  const grid = createEmptyGrid(item, options);
  for (const sheet of sheets) {
    const count = sheet.looted_items[item] ?? 0;
    const point = Object.hasOwn(sheet.locations, item) ? sheet.locations[item] : undefined;
    if (count <= 0 || !point) continue;
    addToGrid(grid, point[0], point[1], count);
  }
  return grid;
}

/** Returns a grid with every cell 0, ready for {@link addToGrid}. */
export function createEmptyGrid(item: string, options: BinningOptions): HeatmapGrid {
  const { width, height } = options.mapSize ?? MAP_SIZE;
  const bins = options.bins;
  return {
    item_name: item,
    bins,
    width,
    height,
    cell_width: width / bins,
    cell_height: height / bins,
    count: 0,
    outside: 0,
    grid: Array.from({ length: bins }, () => new Array<number>(bins).fill(0)),
  };
}

/** Adds `count` units at (x, y) to the grid, or to `outside` when the point is off the map. */
export function addToGrid(grid: HeatmapGrid, x: number, y: number, count: number): void {
  addToCell(grid, binIndex(x, grid.width, grid.bins), binIndex(y, grid.height, grid.bins), count);
}

/** Adds `count` units to cell (column, row), or to `outside` when either index is -1. */
export function addToCell(grid: HeatmapGrid, column: number, row: number, count: number): void {
  if (column < 0 || row < 0) {
    grid.outside += count;
    return;
  }
  grid.grid[row]![column]! += count;
  grid.count += count;
}
