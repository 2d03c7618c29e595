import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { compile } from "vega-lite";
import { aggregateLoot, binItemLocations, profileSheets, simulateMatches } from "../lib/mod.ts";
import {
  buildComparisonSpec,
  buildHeatmapSpec,
  buildItemDistributionSpec,
  buildLootTotalsSpec,
  buildPerformanceDashboardSpec,
  type ChartSpec,
  EMPTY_CELL_COLOR,
  EMPTY_CELL_LABEL,
  renderChartImages,
  renderChartPng,
  renderChartSvg,
  renderSvgToPng,
  saveChart,
  VEGA_LITE_SCHEMA,
} from "../lib/charts/mod.ts";
import { makeTempDir } from "./fixtures.ts";
import * as vega from "vega";
import { decodePng, inkShare } from "./png.ts";

const sheets = [...simulateMatches({ matches: 10 })];
const totals = aggregateLoot(sheets).total_items;
// deno-lint-ignore no-explicit-any
const values = (spec: ChartSpec): any[] => (spec as any).data.values;

Deno.test("buildLootTotalsSpec() plots each item's total with its label, in catalogue order", () => {
  const spec = buildLootTotalsSpec({ medkit: 4, rubber_duck: 7 }, {
    items: ["rubber_duck", "medkit"],
  });
  equal(spec.$schema, VEGA_LITE_SCHEMA);
  deepStrictEqual(values(spec), [
    { item: "rubber_duck", label: "Rubber duck", total: 7 },
    { item: "medkit", label: "Medkit", total: 4 },
  ]);
  // deno-lint-ignore no-explicit-any
  const encoding = (spec as any).encoding;
  deepStrictEqual([encoding.x.field, encoding.x.title, encoding.y.title], [
    "total",
    "Units looted",
    "Item",
  ]);
  // deno-lint-ignore no-explicit-any
  equal((spec as any).title.subtitle, "11 units looted in all");
});

Deno.test("buildHeatmapSpec() draws every cell on map coordinates with a colour scale", () => {
  const grid = binItemLocations(sheets, "rubber_duck", { bins: 10 });
  const spec = buildHeatmapSpec(grid);
  const cells = values(spec);
  equal(cells.length, 100);
  equal(cells.reduce((sum, cell) => sum + cell.count, 0), grid.count);
  deepStrictEqual(cells[11], { x0: 10, x1: 20, y0: 10, y1: 20, count: grid.grid[1]![1] });
  // deno-lint-ignore no-explicit-any
  const encoding = (spec as any).encoding;
  deepStrictEqual(encoding.x.scale.domain, [0, 100]);
  deepStrictEqual(encoding.y.scale.domain, [0, 100]);
});

Deno.test("buildHeatmapSpec() shows empty cells as empty: their own colour, a scale from 1", async (t) => {
  const grid = binItemLocations(sheets, "rubber_duck", { bins: 20 });
  const fills = await readCellFills(buildHeatmapSpec(grid));
  const counts = new Set(grid.grid.flat());
  ok(counts.has(0) && counts.has(1), "the fixture has empty cells and cells with one unit");

  await t.step("every empty cell, and only those, takes EMPTY_CELL_COLOR", () => {
    deepStrictEqual(fills.get(0), new Set([EMPTY_CELL_COLOR]));
    for (const [count, colors] of fills) {
      if (count > 0) ok(!colors.has(EMPTY_CELL_COLOR), `count ${count}`);
    }
  });
  await t.step("one unit is a clear colour, far from empty and from white", () => {
    const [one] = [...fills.get(1)!];
    const [zero] = [...fills.get(0)!];
    ok(colorDistance(one!, zero!) > 80, `1 is ${one}, 0 is ${zero}: they must not look alike`);
    ok(colorDistance(one!, EMPTY_CELL_COLOR) > 80, `${one} vs ${EMPTY_CELL_COLOR}`);
    ok(colorDistance(one!, "#ffffff") > 80, `${one} vs white`);
  });
  await t.step("colours darken with the count; the legend names the empty colour", () => {
    const most = Math.max(...grid.grid.flat());
    ok(colorDistance([...fills.get(most)!][0]!, [...fills.get(1)!][0]!) > 100);
    // deno-lint-ignore no-explicit-any
    const [scaled, empty] = (buildHeatmapSpec(grid) as any).layer;
    deepStrictEqual(scaled.encoding.color.scale.domain, [1, most]);
    equal(empty.encoding.color.datum, EMPTY_CELL_LABEL);
  });
  await t.step(
    "a grid whose most is 1 still shows 1 in the lightest shade, not mid-scale",
    async () => {
      const single = {
        ...grid,
        grid: grid.grid.map((row) => row.map((count) => Math.min(count, 1))),
      };
      deepStrictEqual(
        (await readCellFills(buildHeatmapSpec(single))).get(1),
        fills.get(1),
      );
    },
  );
});

Deno.test("buildComparisonSpec() flags items whose totals differ", () => {
  const same = buildComparisonSpec({ a_item: 3, b_item: 5 }, { a_item: 3, b_item: 5 });
  // deno-lint-ignore no-explicit-any
  match((same as any).title.subtitle, /All 2 items match/);
  const differ = buildComparisonSpec({ a_item: 3, b_item: 5 }, { a_item: 3, b_item: 4 });
  // deno-lint-ignore no-explicit-any
  const title = (differ as any).title;
  equal(title.subtitle, "1 of 2 items differ: B item");
  equal(title.subtitleColor, "#c62828");
  deepStrictEqual(
    values(differ).filter((row) => row.mismatch).map((row) => [row.source, row.total]),
    [["Local", 5], ["Server", 4]],
  );
});

Deno.test("buildItemDistributionSpec() gives shares that sum to one", () => {
  const rows = values(buildItemDistributionSpec(totals));
  ok(Math.abs(rows.reduce((sum, row) => sum + row.share, 0) - 1) < 1e-9);
  equal(rows.length, 5);
});

Deno.test("buildPerformanceDashboardSpec() has four titled panels from the profile", () => {
  // deno-lint-ignore no-explicit-any
  const spec = buildPerformanceDashboardSpec(profileSheets(sheets)) as any;
  const panels = spec.vconcat.flatMap((row: { hconcat: unknown[] }) => row.hconcat);
  deepStrictEqual(panels.map((panel: { title: { text: string } }) => panel.title.text), [
    "Item share of all units",
    "Dataset size",
    "Average units looted",
    "Data coverage: sheets that looted each item",
  ]);
  deepStrictEqual(panels[1].data.values.map((row: { value: number }) => row.value), [10, 40, 40]);
});

Deno.test("every chart compiles with Vega-Lite and renders to SVG holding its title", async () => {
  const specs = [
    buildLootTotalsSpec(totals),
    buildHeatmapSpec(binItemLocations(sheets, "medkit", { bins: 20 })),
    buildComparisonSpec(totals, totals),
    buildItemDistributionSpec(totals),
    buildPerformanceDashboardSpec(profileSheets(sheets)),
  ];
  for (const spec of specs) {
    compile(spec);
    const svg = await renderChartSvg(spec);
    // deno-lint-ignore no-explicit-any
    ok(svg.includes((spec as any).title.text.replaceAll("&", "&amp;")), "title text in the SVG");
    match(svg, /font-family="DejaVu Sans/);
  }
});

Deno.test("renderChartPng() writes a decodable PNG of sane size with real content", async () => {
  const png = decodePng(await renderChartPng(buildLootTotalsSpec(totals)));
  ok(png.width > 600 && png.width < 4000, `width ${png.width}`);
  ok(png.height > 300 && png.height < 4000, `height ${png.height}`);
  const ink = inkShare(png);
  ok(ink > 0.05 && ink < 0.9, `ink share ${ink}`);
});

Deno.test("renderChartImages() gives SVG, PNG and the chart's CSS size (the SVG's)", async () => {
  const images = await renderChartImages(buildLootTotalsSpec(totals), { scale: 3 });
  const svgSize = images.svg.match(/^<svg[^>]* width="(\d+)" height="(\d+)"/);
  ok(svgSize, "SVG has a width and height");
  deepStrictEqual([images.width, images.height], [Number(svgSize[1]), Number(svgSize[2])]);
  const png = decodePng(images.png);
  deepStrictEqual([png.width, png.height], [images.width * 3, images.height * 3]);
});

Deno.test("renderSvgToPng() draws text with the shipped font, no system fonts needed", async () => {
  const text = (content: string) =>
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="white"/><text x="4" y="28" font-family="sans-serif" font-size="24">${content}</text></svg>`;
  ok(inkShare(decodePng(await renderSvgToPng(text("Loot 123")))) > 0.02, "glyphs drawn");
  equal(inkShare(decodePng(await renderSvgToPng(text("")))), 0, "blank stays blank");
});

Deno.test("saveChart() writes PNG, SVG and Vega-Lite JSON", async () => {
  using dir = makeTempDir();
  const spec = buildLootTotalsSpec(totals);
  const saved = await saveChart(spec, "loot_totals", `${dir.path}/charts`);
  deepStrictEqual(
    JSON.parse(await Deno.readTextFile(saved.spec)),
    JSON.parse(JSON.stringify(spec)),
  );
  match(await Deno.readTextFile(saved.svg), /^<svg/);
  equal(decodePng(await Deno.readFile(saved.png)).width > 0, true);
});

/** Runs a heatmap spec through Vega-Lite and vega (no renderer) and collects each count's fills. */
async function readCellFills(spec: ChartSpec): Promise<Map<number, Set<string>>> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  await view.runAsync();
  const fills = new Map<number, Set<string>>();
  // The scenegraph is a tree of marks (`root`, then `items`); cells carry their datum and fill.
  const visit = (node: unknown): void => {
    if (typeof node !== "object" || node === null) return;
    if ("datum" in node && "fill" in node && typeof node.fill === "string") {
      const datum = node.datum;
      if (
        typeof datum === "object" && datum && "count" in datum && typeof datum.count === "number"
      ) {
        fills.set(datum.count, (fills.get(datum.count) ?? new Set()).add(node.fill));
      }
    }
    if ("root" in node) visit(node.root);
    if ("items" in node && Array.isArray(node.items)) node.items.forEach(visit);
  };
  visit(view.scenegraph());
  view.finalize();
  return fills;
}

/** Euclidean distance between two colours given as `#rrggbb` or `rgb(r, g, b)` (0 to about 441). */
function colorDistance(a: string, b: string): number {
  const rgb = (color: string) =>
    color.startsWith("#")
      ? [1, 3, 5].map((i) => Number.parseInt(color.slice(i, i + 2), 16))
      : color.match(/\d+/g)!.slice(0, 3).map(Number);
  const [x, y] = [rgb(a), rgb(b)];
  return Math.hypot(...x.map((value, i) => value - y[i]!));
}
