/**
 * Vega-Lite specs (pure) for analytics over game modes, time and players: the notebook's Modes,
 * Over time and Players sections. Every chart carries tooltips, so JupyterLab and VS Code show
 * the values on hover; the PNG export shows the same chart without them.
 * @module
 */
import type { AggregateGroup, PlayerSummary, Timeseries } from "../analytics.ts";
import { describeItem } from "../items.ts";
import type { HeatmapGrid, LootCounts } from "../types.ts";
import {
  buildHeatmapCountColor,
  buildItemColorScale,
  type ChartOptions,
  type ChartSpec,
  EMPTY_CELL_LABEL,
} from "./specs.ts";
import { CHART_CONFIG, EMPTY_CELL_COLOR, GROUP_PALETTE, VEGA_LITE_SCHEMA } from "./theme.ts";

/** Label of the group of sheets that carry no game mode (the API's `key: null`). */
export const NO_MODE_LABEL = "(no mode)";

/**
 * Per-mode totals as grouped bars (from `GET /api/aggregate?group_by=game_mode`): for each item,
 * one bar per mode with its total units, and beside it units per sheet (one player's match), which
 * compares drop rates whatever each mode's share of matches.
 * @example
 * const spec = buildModeTotalsSpec((await client.aggregateBy("game_mode")).groups);
 */
export function buildModeTotalsSpec(
  groups: readonly AggregateGroup[],
  options: ChartOptions = {},
): ChartSpec {
  const items = options.items ?? sortedKeys(groups.map((group) => group.total_items));
  const modes = groups.map((group) => modeLabel(group.key));
  const rows = groups.flatMap((group) =>
    items.map((item) => {
      const total = group.total_items[item] ?? 0;
      return {
        mode: modeLabel(group.key),
        item: describeItem(item).label,
        total,
        per_sheet: group.total_stat_sheets ? total / group.total_stat_sheets : 0,
        sheets: group.total_stat_sheets,
        matches: group.total_matches,
      };
    })
  );
  const labels = items.map((item) => describeItem(item).label);
  const panelHeight = Math.max(180, items.length * (modes.length * 14 + 14));
  const y = { field: "item", type: "nominal", sort: labels, title: "Item" } as const;
  const yOffset = { field: "mode", type: "nominal", sort: modes } as const;
  const color = {
    field: "mode",
    type: "nominal",
    title: "Game mode",
    scale: groupColorScale(modes),
    legend: { orient: "bottom", direction: "horizontal" },
  } as const;
  const tooltip = [
    { field: "mode", type: "nominal", title: "Mode" },
    { field: "item", type: "nominal", title: "Item" },
    { field: "total", type: "quantitative", title: "Units", format: ",d" },
    { field: "per_sheet", type: "quantitative", title: "Units per sheet", format: ".2f" },
    { field: "sheets", type: "quantitative", title: "Sheets in mode", format: ",d" },
    { field: "matches", type: "quantitative", title: "Matches in mode", format: ",d" },
  ] as const;
  const summary = groups.map((group) =>
    `${modeLabel(group.key)} ${formatInteger(group.total_matches)} matches`
  ).join(" · ");
  return {
    ...frame(options.title ?? "Loot by game mode", options.subtitle ?? summary),
    data: { values: rows },
    hconcat: [
      {
        width: 340,
        height: panelHeight,
        title: panelTitle("Total units looted"),
        encoding: {
          y,
          yOffset,
          x: { field: "total", type: "quantitative", title: "Units" },
          color,
          tooltip: [...tooltip],
        },
        mark: { type: "bar", cornerRadiusEnd: 2 },
      },
      {
        width: 260,
        height: panelHeight,
        title: panelTitle("Units per sheet (one player, one match)"),
        encoding: {
          y: { ...y, axis: null },
          yOffset,
          x: { field: "per_sheet", type: "quantitative", title: "Units per sheet" },
          color,
          tooltip: [...tooltip],
        },
        mark: { type: "bar", cornerRadiusEnd: 2 },
      },
    ],
  };
}

/** One heatmap facet: a game mode (null for sheets without one) and its grid. */
export interface ModeGrid {
  /** The mode whose sheets the grid bins. */
  mode: string | null;
  /** The binned units. */
  grid: HeatmapGrid;
}

/**
 * Per-mode heatmaps as small multiples on one map scale: one facet per mode, one colour scale for
 * all of them (a colour means the same count in every facet), empty cells in their own grey.
 */
export function buildModeHeatmapsSpec(
  grids: readonly ModeGrid[],
  options: ChartOptions = {},
): ChartSpec {
  const first = grids[0]?.grid;
  const item = first?.item_name ?? "item";
  const modes = grids.map(({ mode }) => modeLabel(mode));
  const cells = grids.flatMap(({ mode, grid }) =>
    grid.grid.flatMap((row, rowIndex) =>
      row.map((count, column) => ({
        mode: modeLabel(mode),
        x0: column * grid.cell_width,
        x1: (column + 1) * grid.cell_width,
        y0: rowIndex * grid.cell_height,
        y1: (rowIndex + 1) * grid.cell_height,
        count,
      }))
    )
  );
  // One domain over every facet: the scale is shared, so the hottest cell anywhere is the darkest.
  const most = Math.max(2, ...cells.map((cell) => cell.count));
  const units = grids.reduce((sum, { grid }) => sum + grid.count, 0);
  const label = describeItem(item).label.toLowerCase();
  const bins = first?.bins ?? 0;
  const side = modes.length > 3 ? 200 : 240;
  return {
    ...frame(
      options.title ?? `Where ${label}s are looted, by game mode`,
      options.subtitle ??
        `${
          formatInteger(units)
        } units in ${bins} × ${bins} cells; one colour scale for all modes; grey: ${EMPTY_CELL_LABEL.toLowerCase()}`,
    ),
    data: { values: cells },
    facet: {
      column: {
        field: "mode",
        type: "nominal",
        sort: modes,
        title: null,
        header: { labelFontSize: 14, labelFontWeight: "bold", labelColor: "#1f2933" },
      },
    },
    spec: {
      width: side,
      height: side,
      encoding: {
        x: {
          field: "x0",
          type: "quantitative",
          title: "Map x",
          scale: { domain: [0, first?.width ?? 100], nice: false, zero: true },
        },
        x2: { field: "x1" },
        y: {
          field: "y0",
          type: "quantitative",
          title: "Map y",
          scale: { domain: [0, first?.height ?? 100], nice: false, zero: true },
        },
        y2: { field: "y1" },
        tooltip: [
          { field: "mode", type: "nominal", title: "Mode" },
          { field: "x0", type: "quantitative", title: "x from", format: ".1f" },
          { field: "y0", type: "quantitative", title: "y from", format: ".1f" },
          { field: "count", type: "quantitative", title: "Units" },
        ],
      },
      layer: [
        {
          transform: [{ filter: "datum.count > 0" }],
          mark: { type: "rect" },
          encoding: {
            color: buildHeatmapCountColor(most, 200),
          },
        },
        {
          // A fixed fill, not a second colour scale: with two scales Vega-Lite would repeat the
          // legends in every facet. The subtitle names the grey instead.
          transform: [{ filter: "datum.count === 0" }],
          mark: { type: "rect", color: EMPTY_CELL_COLOR },
        },
      ],
    },
  };
}

/**
 * Units per time bucket by item, a line per item (from `GET /api/timeseries` without `item`,
 * reading each bucket's `total_items`); empty buckets are drawn as zeros.
 */
export function buildUnitsOverTimeSpec(series: Timeseries, options: ChartOptions = {}): ChartSpec {
  const items = options.items ?? sortedKeys(series.buckets.map((bucket) => bucket.total_items));
  const rows = series.buckets.flatMap((bucket) =>
    items.map((item) => ({
      start: bucket.start,
      item: describeItem(item).label,
      units: bucket.total_items[item] ?? 0,
      sheets: bucket.sheets,
    }))
  );
  const units = series.buckets.reduce((sum, bucket) => sum + bucket.units, 0);
  const timeFormat = series.interval === "day" ? "%b %d" : "%b %d %H:%M";
  return {
    ...frame(
      options.title ?? `Units looted per ${series.interval}, by item`,
      options.subtitle ??
        `${formatInteger(units)} units over ${series.buckets.length} ${series.interval}${
          series.buckets.length === 1 ? "" : "s"
        } (UTC)`,
    ),
    width: 640,
    height: 300,
    data: { values: rows },
    encoding: {
      x: {
        field: "start",
        type: "temporal",
        timeUnit: series.interval === "day" ? "utcyearmonthdate" : "utcyearmonthdatehoursminutes",
        title: `${capitalize(series.interval)} (UTC)`,
        axis: { format: timeFormat, labelAngle: 0, labelOverlap: true, tickCount: 8 },
      },
      y: { field: "units", type: "quantitative", title: `Units per ${series.interval}` },
      color: {
        field: "item",
        type: "nominal",
        title: "Item",
        scale: buildItemColorScale(items),
        legend: { orient: "right" },
      },
      tooltip: [
        {
          field: "start",
          type: "temporal",
          timeUnit: "utcyearmonthdatehoursminutes",
          title: `${capitalize(series.interval)} from (UTC)`,
          format: "%Y-%m-%d %H:%M",
        },
        { field: "item", type: "nominal", title: "Item" },
        { field: "units", type: "quantitative", title: "Units", format: ",d" },
        { field: "sheets", type: "quantitative", title: "Sheets in bucket", format: ",d" },
      ],
    },
    mark: {
      type: "line",
      strokeWidth: 2,
      interpolate: "monotone",
      point: series.buckets.length <= 48 ? { size: 30, filled: true } : false,
    },
  };
}

/**
 * Progression of a few players, a colour each: their level by match number (top) and units per
 * match (bottom: each match a dot; over long histories the line is a rolling mean, so trends show).
 */
export function buildPlayerProgressionSpec(
  players: readonly PlayerSummary[],
  options: ChartOptions = {},
): ChartSpec {
  const ids = players.map((player) => player.player_id);
  const rows = players.flatMap((player) =>
    player.history.map((match, index) => ({
      player: player.player_id,
      match: index + 1,
      match_id: match.match_id,
      mode: match.game_mode ?? NO_MODE_LABEL,
      level: match.player_level,
      units: match.units,
    }))
  );
  const most = Math.max(1, ...players.map((player) => player.history.length));
  // About 25 smoothed steps across the longest history: a few matches are drawn as they are.
  const span = Math.max(1, Math.round(most / 25));
  const x = {
    field: "match",
    type: "quantitative" as const,
    title: "Match number (the player's own)",
    scale: { domain: [1, most], nice: false },
    axis: { format: "d", tickMinStep: 1 },
  };
  const color = {
    field: "player",
    type: "nominal",
    title: "Player",
    sort: ids,
    scale: groupColorScale(ids),
    legend: { orient: "right", symbolOpacity: 1 },
  } as const;
  const tooltip = [
    { field: "player", type: "nominal", title: "Player" },
    { field: "match", type: "quantitative", title: "Match number" },
    { field: "match_id", type: "nominal", title: "Match" },
    { field: "mode", type: "nominal", title: "Mode" },
    { field: "level", type: "quantitative", title: "Level" },
    { field: "units", type: "quantitative", title: "Units" },
  ] as const;
  return {
    ...frame(
      options.title ?? `Progression of the ${players.length} most active players`,
      options.subtitle ??
        `${formatInteger(rows.length)} matches in all; hover a point for its match, mode and level`,
    ),
    data: { values: rows },
    vconcat: [
      {
        width: 600,
        height: 200,
        title: panelTitle(
          sameLevels(players)
            ? "Level by match number (the same for every player: lines overlap)"
            : "Level by match number",
        ),
        encoding: {
          x,
          y: { field: "level", type: "quantitative", title: "Level" },
          color,
          tooltip: [...tooltip],
        },
        mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
      },
      {
        width: 600,
        height: 220,
        title: panelTitle(
          span === 1
            ? "Units per match"
            : `Units per match (dots), mean of the last ${span} (lines)`,
        ),
        encoding: { x, color },
        layer: [
          {
            mark: { type: "point", filled: true, size: 22, opacity: span === 1 ? 0.9 : 0.25 },
            encoding: {
              y: { field: "units", type: "quantitative", title: "Units per match" },
              tooltip: [...tooltip],
            },
          },
          {
            transform: [{
              window: [{ op: "mean", field: "units", as: "rolling" }],
              frame: [-(span - 1), 0],
              groupby: ["player"],
              sort: [{ field: "match", order: "ascending" }],
            }],
            mark: { type: "line", strokeWidth: 2, interpolate: span === 1 ? "linear" : "monotone" },
            encoding: { y: { field: "rolling", type: "quantitative" } },
          },
        ],
      },
    ],
  };
}

/** Whether every player had the same level at each match number they share (their lines coincide). */
function sameLevels(players: readonly PlayerSummary[]): boolean {
  if (players.length < 2) return false;
  const [first, ...rest] = players.map((player) =>
    player.history.map((match) => match.player_level)
  );
  return rest.every((levels) =>
    levels.every((level, index) => index >= first!.length || level === first![index])
  );
}

/** What {@link buildUnitsHistogramSpec} reads from a sheet: its counts and game mode. */
export interface SheetUnits {
  /** Units looted per item. */
  looted_items: LootCounts;
  /** The sheet's game mode; null or absent when it had none. */
  game_mode?: string | null;
}

/**
 * Histogram of units per sheet (one player's loot in one match), stacked by game mode; bins are
 * whole units, widened so there are at most about 30.
 */
export function buildUnitsHistogramSpec(
  sheets: Iterable<SheetUnits>,
  options: ChartOptions = {},
): ChartSpec {
  const counts = new Map<string, Map<number, number>>();
  let most = 0;
  let total = 0;
  let units = 0;
  for (const sheet of sheets) {
    const value = Object.values(sheet.looted_items).reduce((sum, count) => sum + count, 0);
    const mode = modeLabel(sheet.game_mode ?? null);
    const byValue = counts.get(mode) ?? new Map<number, number>();
    byValue.set(value, (byValue.get(value) ?? 0) + 1);
    counts.set(mode, byValue);
    most = Math.max(most, value);
    total++;
    units += value;
  }
  const step = Math.max(1, Math.ceil((most + 1) / 30));
  const modes = [...counts.keys()].sort(compareModes);
  const rows = modes.flatMap((mode) => {
    const bins = new Map<number, number>();
    for (const [value, sheets] of counts.get(mode)!) {
      const from = Math.floor(value / step) * step;
      bins.set(from, (bins.get(from) ?? 0) + sheets);
    }
    return [...bins].sort(([a], [b]) => a - b).map(([from, sheets]) => ({
      mode,
      from,
      to: from + step,
      range: step === 1 ? String(from) : `${from}–${from + step - 1}`,
      sheets,
    }));
  });
  return {
    ...frame(
      options.title ?? "Units per sheet",
      options.subtitle ??
        `${formatInteger(total)} sheets, ${
          total ? (units / total).toFixed(1) : "0"
        } units each on average`,
    ),
    width: 560,
    height: 280,
    data: { values: rows },
    encoding: {
      x: {
        field: "from",
        type: "quantitative",
        bin: { binned: true, step },
        title: "Units looted in one match by one player",
      },
      x2: { field: "to" },
      y: { field: "sheets", type: "quantitative", title: "Sheets", stack: "zero" },
      color: {
        field: "mode",
        type: "nominal",
        title: "Game mode",
        sort: modes,
        scale: groupColorScale(modes),
        legend: modes.length > 1 ? { orient: "right" } : null,
      },
      order: { field: "mode", sort: "ascending" },
      tooltip: [
        { field: "range", type: "nominal", title: "Units" },
        { field: "mode", type: "nominal", title: "Mode" },
        { field: "sheets", type: "quantitative", title: "Sheets", format: ",d" },
      ],
    },
    mark: { type: "bar", binSpacing: 1 },
  };
}

/**
 * Level against units: one point per player level (from `GET /api/aggregate?group_by=player_level`)
 * at the mean units per sheet of that level, sized by how many sheets it holds; sheets without a
 * level are left out and counted in the subtitle.
 */
export function buildLevelUnitsSpec(
  groups: readonly AggregateGroup[],
  options: ChartOptions = {},
): ChartSpec {
  const levelled = groups.filter((group) => typeof group.key === "number");
  const rows = levelled.map((group) => {
    const units = Object.values(group.total_items).reduce((sum, count) => sum + count, 0);
    return {
      level: group.key as number,
      sheets: group.total_stat_sheets,
      units,
      mean: group.total_stat_sheets ? units / group.total_stat_sheets : 0,
    };
  });
  const unlevelled = groups.filter((group) => group.key === null)
    .reduce((sum, group) => sum + group.total_stat_sheets, 0);
  const sheets = rows.reduce((sum, row) => sum + row.sheets, 0);
  return {
    ...frame(
      options.title ?? "Player level against units per sheet",
      options.subtitle ??
        `${formatInteger(sheets)} sheets over ${rows.length} levels${
          unlevelled ? `; ${formatInteger(unlevelled)} without a level left out` : ""
        }; dot size: sheets at that level`,
    ),
    width: 560,
    height: 300,
    data: { values: rows },
    encoding: {
      x: { field: "level", type: "quantitative", title: "Player level", axis: { format: "d" } },
      y: {
        field: "mean",
        type: "quantitative",
        title: "Mean units per sheet",
        scale: { zero: false },
      },
      size: {
        field: "sheets",
        type: "quantitative",
        title: "Sheets",
        scale: { range: [15, 260] },
        legend: { orient: "right", format: ",d" },
      },
      tooltip: [
        { field: "level", type: "quantitative", title: "Level" },
        { field: "mean", type: "quantitative", title: "Mean units per sheet", format: ".2f" },
        { field: "sheets", type: "quantitative", title: "Sheets", format: ",d" },
        { field: "units", type: "quantitative", title: "Units", format: ",d" },
      ],
    },
    mark: { type: "point", filled: true, opacity: 0.75, color: GROUP_PALETTE[2] },
  };
}

/** A mode's label: its name, or {@link NO_MODE_LABEL} for sheets without one. */
function modeLabel(key: string | number | null): string {
  return key === null ? NO_MODE_LABEL : String(key);
}

function compareModes(a: string, b: string): number {
  if (a === b) return 0;
  if (a === NO_MODE_LABEL) return 1;
  if (b === NO_MODE_LABEL) return -1;
  return a < b ? -1 : 1;
}

function groupColorScale(groups: readonly string[]): { domain: string[]; range: string[] } {
  return {
    domain: [...groups],
    range: groups.map((_, index) => GROUP_PALETTE[index % GROUP_PALETTE.length]!),
  };
}

function sortedKeys(counts: readonly LootCounts[]): string[] {
  return [...new Set(counts.flatMap((count) => Object.keys(count)))].sort();
}

function frame(text: string, subtitle: string) {
  return { $schema: VEGA_LITE_SCHEMA, config: CHART_CONFIG, title: { text, subtitle } };
}

function panelTitle(text: string) {
  return { text, fontSize: 14, fontWeight: "bold", anchor: "start" } as const;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function formatInteger(value: number): string {
  return new Intl.NumberFormat("en-US").format(value);
}
