import type { Config } from "vega-lite";

/** The font every chart uses; `render.ts` ships it from the dejavu-fonts-ttf npm package. */
export const CHART_FONT = "DejaVu Sans";

/** Vega-Lite 5 schema: JupyterLab and VS Code render `application/vnd.vegalite.v5+json`, not v6. */
export const VEGA_LITE_SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";

/** Tableau 10: distinct, colour-blind-aware hues, assigned to items in catalogue order. */
export const ITEM_PALETTE: readonly string[] = [
  "#4e79a7",
  "#f28e2b",
  "#e15759",
  "#76b7b2",
  "#59a14f",
  "#edc948",
  "#b07aa1",
  "#ff9da7",
  "#9c755f",
  "#bab0ac",
];

/**
 * Colours of groups that are not items (game modes, players): ColorBrewer Dark2, so a mode never
 * borrows an item's colour from the charts beside it.
 */
export const GROUP_PALETTE: readonly string[] = [
  "#1b9e77",
  "#d95f02",
  "#7570b3",
  "#e7298a",
  "#66a61e",
  "#e6ab02",
  "#a6761d",
  "#666666",
];

/** Colours for local and server series in comparisons. */
export const SOURCE_COLORS = Object.freeze({
  local: "#4e79a7",
  server: "#f28e2b",
  mismatch: "#c62828",
});

/** Fill of heatmap cells where nothing was looted: a quiet grey, off the colour scale. */
export const EMPTY_CELL_COLOR = "#e4e7eb";

/** One theme for every chart: readable sizes, quiet grid, left-aligned titles, the shipped font. */
export const CHART_CONFIG: Config = {
  font: CHART_FONT,
  background: "white",
  padding: 16,
  view: { stroke: null },
  title: {
    fontSize: 17,
    fontWeight: "bold",
    anchor: "start",
    offset: 12,
    subtitleFontSize: 12,
    subtitleColor: "#52606d",
    color: "#1f2933",
  },
  axis: {
    labelFontSize: 12,
    titleFontSize: 13,
    titleFontWeight: "normal",
    titleColor: "#323f4b",
    labelColor: "#323f4b",
    gridColor: "#e4e7eb",
    domainColor: "#9aa5b1",
    tickColor: "#9aa5b1",
    labelLimit: 220,
  },
  legend: { labelFontSize: 12, titleFontSize: 12, titleFontWeight: "normal", labelLimit: 220 },
  header: { labelFontSize: 13, titleFontSize: 13 },
  concat: { spacing: 36 },
};
