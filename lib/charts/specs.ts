import type { TopLevelSpec } from "vega-lite";
import { describeItem } from "../items.ts";
import type { DatasetProfile } from "../profile.ts";
import type { HeatmapGrid, LootCounts } from "../types.ts";
import {
  CHART_CONFIG,
  EMPTY_CELL_COLOR,
  ITEM_PALETTE,
  SOURCE_COLORS,
  VEGA_LITE_SCHEMA,
} from "./theme.ts";

/** A Vega-Lite 5 specification, ready to display or render. */
export type ChartSpec = TopLevelSpec;

/** Options every chart builder takes. */
export interface ChartOptions {
  /** Overrides the chart's default title. */
  title?: string;
  /** A second line under the title. */
  subtitle?: string;
  /** Item order and colour assignment (default: the data's items, sorted); keeps colours stable across charts. */
  items?: readonly string[];
}

interface ItemRow {
  item: string;
  label: string;
  total: number;
}

/**
 * Bar chart of total units looted per item (the original's `loot_totals.png`).
 * @example
 * const spec = buildLootTotalsSpec(aggregateLoot(sheets).total_items);
 */
export function buildLootTotalsSpec(totals: LootCounts, options: ChartOptions = {}): ChartSpec {
  const rows = toItemRows(totals, options.items);
  const grand = rows.reduce((sum, row) => sum + row.total, 0);
  return {
    ...frame(
      options.title ?? "Loot totals by item",
      options.subtitle ?? `${formatInteger(grand)} units looted in all`,
    ),
    width: 520,
    height: Math.max(160, rows.length * 34),
    data: { values: rows },
    encoding: {
      y: { field: "label", type: "nominal", sort: rows.map((row) => row.label), title: "Item" },
      x: { field: "total", type: "quantitative", title: "Units looted" },
    },
    layer: [
      {
        mark: { type: "bar", cornerRadiusEnd: 3 },
        encoding: { color: itemColor(rows, options.items, false) },
      },
      {
        mark: { type: "text", align: "left", dx: 4, fontSize: 12, color: "#323f4b" },
        encoding: { text: { field: "total", type: "quantitative", format: ",d" } },
      },
    ],
  };
}

/**
 * Heatmap of a binned grid (the original's `duck_heatmap.png` / `server_duck_heatmap.png`): each cell
 * coloured by units looted there, on map coordinates. Empty cells get their own neutral colour and
 * legend entry, and the colour scale starts at 1, so a cell with one unit never looks empty.
 */
export function buildHeatmapSpec(grid: HeatmapGrid, options: ChartOptions = {}): ChartSpec {
  const cells = grid.grid.flatMap((row, rowIndex) =>
    row.map((count, column) => ({
      x0: column * grid.cell_width,
      x1: (column + 1) * grid.cell_width,
      y0: rowIndex * grid.cell_height,
      y1: (rowIndex + 1) * grid.cell_height,
      count,
    }))
  );
  // At least [1, 2], so a count of 1 always takes the scale's lightest shade, even when it is the most.
  const most = Math.max(2, ...cells.map((cell) => cell.count));
  const label = describeItem(grid.item_name).label;
  const outside = grid.outside > 0 ? `; ${formatInteger(grid.outside)} off the map` : "";
  return {
    ...frame(
      options.title ?? `Where ${label.toLowerCase()}s are looted`,
      options.subtitle ??
        `${formatInteger(grid.count)} ${
          grid.count === 1 ? "unit" : "units"
        } in ${grid.bins} × ${grid.bins} cells${outside}`,
    ),
    width: 380,
    height: 380,
    data: { values: cells },
    encoding: {
      x: {
        field: "x0",
        type: "quantitative",
        title: "Map x",
        scale: { domain: [0, grid.width], nice: false, zero: true },
      },
      x2: { field: "x1" },
      y: {
        field: "y0",
        type: "quantitative",
        title: "Map y",
        scale: { domain: [0, grid.height], nice: false, zero: true },
      },
      y2: { field: "y1" },
      tooltip: [
        { field: "x0", type: "quantitative", title: "x from", format: ".1f" },
        { field: "y0", type: "quantitative", title: "y from", format: ".1f" },
        { field: "count", type: "quantitative", title: "Units" },
      ],
    },
    // Two layers with independent colour scales: the empty cells' swatch is a legend of its own,
    // and the gradient's domain holds only counts of one or more.
    layer: [
      {
        transform: [{ filter: "datum.count > 0" }],
        mark: { type: "rect" },
        encoding: {
          color: buildHeatmapCountColor(most, 260),
        },
      },
      {
        transform: [{ filter: "datum.count === 0" }],
        mark: { type: "rect" },
        encoding: {
          color: {
            datum: EMPTY_CELL_LABEL,
            type: "nominal",
            title: null,
            scale: { domain: [EMPTY_CELL_LABEL], range: [EMPTY_CELL_COLOR] },
            legend: { symbolType: "square", symbolSize: 180 },
          },
        },
      },
    ],
    resolve: { scale: { color: "independent" }, legend: { color: "independent" } },
  };
}

/** Legend label of the heatmap's empty cells (coloured `EMPTY_CELL_COLOR`). */
export const EMPTY_CELL_LABEL = "None looted";

// Where on the yellow–orange–red scheme a count of 1 starts: far enough from its near-white end to
// stand apart from the empty cells' grey.
const HEATMAP_LOWEST_SHADE = 0.2;

/**
 * Local and server totals side by side per item (the original's `local_vs_server_comparison.png`);
 * items whose totals differ get a red outline and a "mismatch" mark, and the subtitle names them.
 */
export function buildComparisonSpec(
  local: LootCounts,
  server: LootCounts,
  options: ChartOptions = {},
): ChartSpec {
  const items = options.items ?? sortedUnion(Object.keys(local), Object.keys(server));
  const mismatched = items.filter((item) => (local[item] ?? 0) !== (server[item] ?? 0));
  const rows = items.flatMap((item) => {
    const label = describeItem(item).label;
    const mismatch = mismatched.includes(item);
    return [
      { label, source: "Local", total: local[item] ?? 0, mismatch },
      { label, source: "Server", total: server[item] ?? 0, mismatch },
    ];
  });
  const subtitle = mismatched.length === 0
    ? `All ${items.length} items match: the server holds exactly what was generated`
    : `${mismatched.length} of ${items.length} items differ: ${
      mismatched.map((item) => describeItem(item).label).join(", ")
    }`;
  return {
    ...frame(options.title ?? "Local vs server totals", options.subtitle ?? subtitle),
    ...(mismatched.length > 0
      ? {
        title: {
          text: options.title ?? "Local vs server totals",
          subtitle,
          subtitleColor: SOURCE_COLORS.mismatch,
        },
      }
      : {}),
    width: 520,
    height: Math.max(180, items.length * 44),
    data: { values: rows },
    encoding: {
      y: {
        field: "label",
        type: "nominal",
        sort: items.map((item) => describeItem(item).label),
        title: "Item",
      },
      yOffset: { field: "source", type: "nominal", sort: ["Local", "Server"] },
      x: { field: "total", type: "quantitative", title: "Units looted" },
    },
    layer: [
      {
        mark: { type: "bar", cornerRadiusEnd: 2 },
        encoding: {
          color: {
            field: "source",
            type: "nominal",
            title: "Source",
            scale: {
              domain: ["Local", "Server"],
              range: [SOURCE_COLORS.local, SOURCE_COLORS.server],
            },
            legend: { orient: "bottom", direction: "horizontal" },
          },
          stroke: {
            condition: { test: "datum.mismatch", value: SOURCE_COLORS.mismatch },
            value: null,
          },
          strokeWidth: { condition: { test: "datum.mismatch", value: 2.5 }, value: 0 },
        },
      },
      {
        mark: { type: "text", align: "left", dx: 4, fontSize: 11, color: "#323f4b" },
        encoding: { text: { field: "total", type: "quantitative", format: ",d" } },
      },
      {
        transform: [{ filter: "datum.mismatch && datum.source === 'Server'" }],
        mark: {
          type: "text",
          align: "left",
          dx: 48,
          fontSize: 11,
          fontWeight: "bold",
          color: SOURCE_COLORS.mismatch,
        },
        encoding: { text: { value: "mismatch" } },
      },
    ],
  };
}

/** Donut of each item's share of all units, labelled with percentages (the original's `item_distribution.png`). */
export function buildItemDistributionSpec(
  totals: LootCounts,
  options: ChartOptions = {},
): ChartSpec {
  const rows = withShares(toItemRows(totals, options.items));
  const grand = rows.reduce((sum, row) => sum + row.total, 0);
  const color = itemColor(rows, options.items, true);
  const theta = { field: "total", type: "quantitative", stack: true } as const;
  const order = { field: "order", type: "quantitative" } as const;
  return {
    ...frame(
      options.title ?? "Share of loot by item",
      options.subtitle ?? `${formatInteger(grand)} units looted`,
    ),
    width: 360,
    height: 360,
    data: { values: rows.map((row, index) => ({ ...row, order: index })) },
    encoding: { theta, order, color },
    layer: [
      { mark: { type: "arc", innerRadius: 80, outerRadius: 150, stroke: "white", strokeWidth: 2 } },
      {
        mark: { type: "text", radius: 172, fontSize: 12, fontWeight: "bold" },
        encoding: { text: { field: "share", type: "quantitative", format: ".1%" } },
      },
    ],
  };
}

/**
 * Four panels (the original's `performance_dashboard.png`): item shares; matches, players and
 * sheets; items per player and per match; and how much of the data each item covers.
 */
export function buildPerformanceDashboardSpec(
  profile: DatasetProfile,
  options: ChartOptions = {},
): ChartSpec {
  const { aggregate } = profile;
  const rows = withShares(toItemRows(aggregate.total_items, options.items));
  const units = rows.reduce((sum, row) => sum + row.total, 0);
  const panel = { width: 300, height: Math.max(150, rows.length * 30) };
  const color = itemColor(rows, options.items, false);
  const itemAxis = {
    field: "label",
    type: "nominal",
    sort: rows.map((row) => row.label),
    title: null,
  } as const;
  const barWithLabel = (field: string, format: string, extra: Record<string, unknown> = {}) => [
    { mark: { type: "bar", cornerRadiusEnd: 2, ...extra } },
    {
      mark: { type: "text", align: "left", dx: 4, fontSize: 11, color: "#323f4b" },
      encoding: { text: { field, type: "quantitative", format } },
    },
  ];
  const coverage = rows.map((row) => ({
    label: row.label,
    coverage: aggregate.total_stat_sheets
      ? (profile.sheetsWithItem[row.item] ?? 0) / aggregate.total_stat_sheets
      : 0,
  }));
  const located = profile.lootedEntries ? profile.locatedEntries / profile.lootedEntries : 0;
  return {
    $schema: VEGA_LITE_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: options.title ?? "Loot telemetry dashboard",
      subtitle: options.subtitle ??
        `${formatInteger(aggregate.total_stat_sheets)} stat sheets · ${
          formatInteger(units)
        } units · ${(100 * located).toFixed(1)}% of looted items have a location`,
    },
    vconcat: [
      {
        hconcat: [
          {
            ...panel,
            title: panelTitle("Item share of all units"),
            data: { values: rows },
            encoding: {
              y: itemAxis,
              x: { field: "share", type: "quantitative", title: "Share", axis: { format: ".0%" } },
              color,
            },
            layer: barWithLabel("share", ".1%"),
          },
          {
            ...panel,
            title: panelTitle("Dataset size"),
            data: {
              values: [
                { label: "Matches", value: aggregate.total_matches },
                { label: "Players", value: aggregate.total_players },
                { label: "Stat sheets", value: aggregate.total_stat_sheets },
              ],
            },
            encoding: {
              y: { field: "label", type: "nominal", sort: null, title: null },
              x: { field: "value", type: "quantitative", title: "Count" },
            },
            layer: barWithLabel("value", ",d", { color: "#4e79a7" }),
          },
        ],
      },
      {
        hconcat: [
          {
            ...panel,
            title: panelTitle("Average units looted"),
            data: {
              values: [
                {
                  label: "Per player",
                  value: aggregate.total_players ? units / aggregate.total_players : 0,
                },
                {
                  label: "Per match",
                  value: aggregate.total_matches ? units / aggregate.total_matches : 0,
                },
              ],
            },
            encoding: {
              y: { field: "label", type: "nominal", sort: null, title: null },
              x: { field: "value", type: "quantitative", title: "Units" },
            },
            layer: barWithLabel("value", ",.1f", { color: "#59a14f" }),
          },
          {
            ...panel,
            title: panelTitle("Data coverage: sheets that looted each item"),
            data: { values: coverage },
            encoding: {
              y: itemAxis,
              x: {
                field: "coverage",
                type: "quantitative",
                title: "Share of stat sheets",
                scale: { domain: [0, 1] },
                axis: { format: ".0%" },
              },
            },
            layer: barWithLabel("coverage", ".0%", { color: "#76b7b2" }),
          },
        ],
      },
    ],
  } as ChartSpec;
}

function panelTitle(text: string) {
  return { text, fontSize: 14, fontWeight: "bold", anchor: "start" } as const;
}

function frame(text: string, subtitle: string) {
  return { $schema: VEGA_LITE_SCHEMA, config: CHART_CONFIG, title: { text, subtitle } };
}

function toItemRows(totals: LootCounts, order?: readonly string[]): ItemRow[] {
  const items = order ?? Object.keys(totals).sort();
  return items.map((item) => ({ item, label: describeItem(item).label, total: totals[item] ?? 0 }));
}

function withShares(rows: ItemRow[]): (ItemRow & { share: number })[] {
  const grand = rows.reduce((sum, row) => sum + row.total, 0);
  return rows.map((row) => ({ ...row, share: grand ? row.total / grand : 0 }));
}

/** Item colours keyed by label, in catalogue order, so an item keeps its colour in every chart. */
function itemColor(rows: ItemRow[], order: readonly string[] | undefined, legend: boolean) {
  return {
    field: "label",
    type: "nominal",
    title: "Item",
    scale: buildItemColorScale(order ?? rows.map((row) => row.item)),
    legend: legend ? { orient: "right" } : null,
  } as const;
}

/**
 * The colour scale of items: their labels in `items` order, each the {@link ITEM_PALETTE} colour of
 * its position, so an item has the same colour in every chart of a run.
 */
export function buildItemColorScale(
  items: readonly string[],
): { domain: string[]; range: string[] } {
  return {
    domain: items.map((item) => describeItem(item).label),
    range: items.map((_, index) => ITEM_PALETTE[index % ITEM_PALETTE.length]!),
  };
}

function sortedUnion(a: string[], b: string[]): string[] {
  return [...new Set([...a, ...b])].sort();
}

function formatInteger(value: number): string {
  return new Intl.NumberFormat("en-US").format(value);
}

/**
 * The colour of a heatmap's non-empty cells, shared by every heatmap (one map, one look): counts
 * from 1 to `most` on the yellow-orange-red scheme, whole units in the legend.
 */
export function buildHeatmapCountColor(most: number, gradientLength: number) {
  return {
    field: "count",
    type: "quantitative" as const,
    title: "Units",
    scale: {
      scheme: { name: "yelloworangered", extent: [HEATMAP_LOWEST_SHADE, 1] },
      domain: [1, most],
    },
    // Whole units only: with few distinct counts, name each rather than rounding 1.5 to "2".
    legend: {
      gradientLength,
      format: ",d",
      ...(most <= 6 ? { values: Array.from({ length: most }, (_, i) => i + 1) } : {}),
    },
  };
}
