import type { Aggregate, HeatmapGrid, MapSize, StatSheet } from "./types.ts";

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

/** Options for binning locations into a heatmap grid. */
export interface BinningOptions {
  /** Cells along each axis, 1…200. */
  bins: number;
  /** Extent the grid covers (default 100 × 100). */
  mapSize?: MapSize;
}

/** Resolution of the base grid the server keeps as a rollup; any bins count dividing it is derived exactly. */
export const BASE_BINS = 200;

/** Returns the base-grid cell (0…199) of a coordinate along one axis, or -1 outside `[0, extent]`. */
export function baseCellIndex(coordinate: number, extent: number): number {
  if (!(coordinate >= 0) || coordinate > extent) return -1;
  return Math.min(BASE_BINS - 1, Math.floor(coordinate / (extent / BASE_BINS)));
}

/**
 * Returns the cell of a coordinate along one axis, or -1 when it lies outside `[0, extent]`.
 * Bins that divide {@link BASE_BINS} are derived from the base cell (as the server's rollup is),
 * others computed directly (as the server's SQL does), so local and server grids agree exactly.
 */
export function binIndex(coordinate: number, extent: number, bins: number): number {
  if (BASE_BINS % bins === 0) {
    const base = baseCellIndex(coordinate, extent);
    return base < 0 ? -1 : Math.floor(base / (BASE_BINS / bins));
  }
  if (!(coordinate >= 0) || coordinate > extent) return -1;
  return Math.min(bins - 1, Math.floor(coordinate / (extent / bins)));
}

/**
 * Bins one item's looted units over the map, each location weighted by its count: the same
 * grid as the server's `/api/heatmap/:item?bins=N`.
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
  const { width, height } = options.mapSize ?? { width: 100, height: 100 };
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
  const column = binIndex(x, grid.width, grid.bins);
  const row = binIndex(y, grid.height, grid.bins);
  if (column < 0 || row < 0) {
    grid.outside += count;
    return;
  }
  grid.grid[row]![column]! += count;
  grid.count += count;
}
