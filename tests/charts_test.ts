import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { compile } from "vega-lite";
import {
  aggregateLoot,
  binItemLocations,
  buildComparisonSpec,
  buildHeatmapSpec,
  buildItemDistributionSpec,
  buildLootTotalsSpec,
  buildPerformanceDashboardSpec,
  type ChartSpec,
  profileSheets,
  renderChartImages,
  renderChartPng,
  renderChartSvg,
  renderSvgToPng,
  saveChart,
  simulateMatches,
  VEGA_LITE_SCHEMA,
} from "../lib/mod.ts";
import { makeTempDir } from "./fixtures.ts";
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
  equal(encoding.color.title, "Units");
  deepStrictEqual(encoding.x.scale.domain, [0, 100]);
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
