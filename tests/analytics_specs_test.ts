import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { compile } from "vega-lite";
import * as vega from "vega";
import {
  type AggregateGroup,
  binItemLocations,
  buildTimeseries,
  findScenario,
  groupAggregate,
  simulateScenario,
  type StatSheet,
  summarizePlayer,
} from "../lib/mod.ts";
import {
  buildLevelUnitsSpec,
  buildModeHeatmapsSpec,
  buildModeTotalsSpec,
  buildPlayerProgressionSpec,
  buildUnitsHistogramSpec,
  buildUnitsOverTimeSpec,
  type ChartSpec,
  EMPTY_CELL_COLOR,
  NO_MODE_LABEL,
  renderChartSvg,
} from "../lib/charts/mod.ts";

const sheets: StatSheet[] = [
  ...simulateScenario(findScenario("battle_royale")!, { matches: 12, seed: 3 }),
];
const modes = groupAggregate(sheets, "game_mode");
const grids = modes.groups.map((group) => ({
  mode: group.key as string,
  grid: binItemLocations(sheets.filter((sheet) => sheet.game_mode === group.key), "rubber_duck", {
    bins: 20,
  }),
}));
const busiest = [...new Set(sheets.map((sheet) => sheet.player_id))]
  .map((id) => summarizePlayer(sheets, id)!)
  .sort((a, b) => b.matches - a.matches).slice(0, 3);

// Specs are checked field by field, as a reader of the JSON would.
// deno-lint-ignore no-explicit-any
type Json = any;
const json = (spec: ChartSpec): Json => spec;

/** Every tooltip field of a spec, wherever it sits (a unit, a layer, a panel). */
function tooltipFields(spec: unknown): string[] {
  const fields: string[] = [];
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (typeof node !== "object" || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === "tooltip" && Array.isArray(value)) {
        fields.push(...value.map((entry: { field: string }) => entry.field));
      } else visit(value);
    }
  };
  visit(spec);
  return fields;
}

/** Runs a spec through Vega-Lite and vega (no renderer) and returns its scenegraph's mark items. */
async function readMarkItems(spec: ChartSpec): Promise<{ datum: Json; fill?: string }[]> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  await view.runAsync();
  const items: { datum: Json; fill?: string }[] = [];
  const visit = (node: Json): void => {
    if (typeof node !== "object" || node === null) return;
    if ("datum" in node && node.datum && typeof node.datum === "object") items.push(node);
    if ("root" in node) visit(node.root);
    if (Array.isArray(node.items)) node.items.forEach(visit);
  };
  visit(view.scenegraph());
  view.finalize();
  return items;
}

Deno.test("buildModeTotalsSpec() draws totals and units per sheet for each mode and item, with tooltips", () => {
  const spec = json(buildModeTotalsSpec(modes.groups));
  const [totals, perSheet] = spec.hconcat;
  deepStrictEqual(
    [totals.encoding.x.field, totals.encoding.y.field, totals.encoding.yOffset.field],
    ["total", "item", "mode"],
  );
  equal(perSheet.encoding.x.field, "per_sheet");
  deepStrictEqual(totals.encoding.color.scale.domain, ["duos", "solo", "squads"]);
  const solo = modes.groups.find((group) => group.key === "solo")!;
  const row = spec.data.values.find((row: Json) => row.mode === "solo" && row.item === "Medkit");
  equal(row.total, solo.total_items.medkit);
  equal(row.per_sheet, solo.total_items.medkit! / solo.total_stat_sheets);
  for (const panel of [totals, perSheet]) {
    deepStrictEqual(tooltipFields(panel), [
      "mode",
      "item",
      "total",
      "per_sheet",
      "sheets",
      "matches",
    ]);
  }
});

Deno.test("buildModeHeatmapsSpec() puts every mode on one map and one colour scale", async (t) => {
  const spec = buildModeHeatmapsSpec(grids);
  const most = Math.max(...grids.flatMap(({ grid }) => grid.grid.flat()));
  const items = (await readMarkItems(spec)).filter((item) => "count" in item.datum);

  await t.step("a facet per mode, each with every cell on the 0–100 map", () => {
    equal(json(spec).facet.column.field, "mode");
    deepStrictEqual(json(spec).facet.column.sort, ["duos", "solo", "squads"]);
    const encoding = json(spec).spec.encoding;
    deepStrictEqual([encoding.x.field, encoding.y.field], ["x0", "y0"]);
    deepStrictEqual([encoding.x.scale.domain, encoding.y.scale.domain], [[0, 100], [0, 100]]);
    for (const mode of ["duos", "solo", "squads"]) {
      equal(items.filter((item) => item.datum.mode === mode).length, 400, mode);
    }
  });
  await t.step("one colour scale whose domain spans every facet's counts", () => {
    const colorScales = compile(spec).spec.scales!.filter((scale) => scale.name.includes("color"));
    equal(colorScales.length, 1, JSON.stringify(colorScales.map((scale) => scale.name)));
    deepStrictEqual(json(spec).spec.layer[0].encoding.color.scale.domain, [1, most]);
    ok(
      grids.some(({ grid }) => Math.max(...grid.grid.flat()) < most),
      "the fixture has a facet cooler than the hottest, which a per-facet scale would stretch",
    );
  });
  await t.step("a count has the same fill in every facet; empty cells are grey", () => {
    const fills = new Map<number, Set<string>>();
    for (const { datum, fill } of items) {
      fills.set(datum.count, (fills.get(datum.count) ?? new Set()).add(fill!));
    }
    deepStrictEqual(fills.get(0), new Set([EMPTY_CELL_COLOR]));
    for (const [count, colors] of fills) equal(colors.size, 1, `count ${count}: ${[...colors]}`);
    ok(!fills.get(1)!.has(EMPTY_CELL_COLOR), "one unit is not drawn as empty");
  });
  await t.step("tooltips name the mode, the cell and its units", () => {
    deepStrictEqual(tooltipFields(spec), ["mode", "x0", "y0", "count"]);
  });
});

Deno.test("buildUnitsOverTimeSpec() draws one line per item over time, gaps as zeros", () => {
  const series = buildTimeseries(sheets, { interval: "minute" });
  const items = ["rubber_duck", "medkit"];
  const spec = json(buildUnitsOverTimeSpec(series, { items }));
  equal(spec.data.values.length, series.buckets.length * items.length);
  deepStrictEqual(
    [spec.encoding.x.field, spec.encoding.x.type, spec.encoding.y.field, spec.encoding.color.field],
    ["start", "temporal", "units", "item"],
  );
  deepStrictEqual(spec.encoding.color.scale.domain, ["Rubber duck", "Medkit"]);
  const ducks = spec.data.values.filter((row: Json) => row.item === "Rubber duck")
    .reduce((sum: number, row: Json) => sum + row.units, 0);
  equal(ducks, sheets.reduce((sum, sheet) => sum + (sheet.looted_items.rubber_duck ?? 0), 0));
  equal(spec.title.text, "Units looted per minute, by item");
  deepStrictEqual(tooltipFields(spec), ["start", "item", "units", "sheets"]);
});

Deno.test("buildPlayerProgressionSpec() draws level and units by match number, a colour per player", () => {
  const spec = json(buildPlayerProgressionSpec(busiest));
  const [level, units] = spec.vconcat;
  deepStrictEqual([level.encoding.x.field, level.encoding.y.field], ["match", "level"]);
  deepStrictEqual(
    [units.encoding.x.field, units.layer[0].encoding.y.field],
    ["match", "units"],
  );
  deepStrictEqual(level.encoding.color.scale.domain, busiest.map((player) => player.player_id));
  match(level.title.text, /^Level by match number/);
  equal(spec.data.values.length, busiest.reduce((sum, player) => sum + player.matches, 0));
  const first = spec.data.values.filter((row: Json) => row.player === busiest[0]!.player_id);
  deepStrictEqual(
    first.map((row: Json) => row.match),
    busiest[0]!.history.map((_, index) => index + 1),
  );
  deepStrictEqual(first.map((row: Json) => row.units), busiest[0]!.history.map((m) => m.units));
  for (const panel of [level, units]) {
    deepStrictEqual(tooltipFields(panel), [
      "player",
      "match",
      "match_id",
      "mode",
      "level",
      "units",
    ]);
  }
});

Deno.test("buildPlayerProgressionSpec() says so when every player's level line is the same", () => {
  const player = (id: string, levels: number[]) => ({
    player_id: id,
    matches: levels.length,
    first_seen: "",
    last_seen: "",
    total_items: {},
    history: levels.map((level, index) => ({
      match_id: `m_${index}`,
      timestamp: "",
      game_mode: null,
      player_level: level,
      units: 1,
    })),
  });
  const same = json(buildPlayerProgressionSpec([player("a", [1, 1, 2]), player("b", [1, 1])]));
  match(same.vconcat[0].title.text, /the same for every player: lines overlap/);
  const apart = json(buildPlayerProgressionSpec([player("a", [1, 2]), player("b", [1, 1])]));
  equal(apart.vconcat[0].title.text, "Level by match number");
});

Deno.test("buildUnitsHistogramSpec() counts every sheet once, in whole-unit bins by mode", () => {
  const spec = json(buildUnitsHistogramSpec(sheets));
  const rows = spec.data.values;
  equal(rows.reduce((sum: number, row: Json) => sum + row.sheets, 0), sheets.length);
  deepStrictEqual(
    [spec.encoding.x.field, spec.encoding.x2.field, spec.encoding.y.field],
    ["from", "to", "sheets"],
  );
  const units = (sheet: StatSheet) =>
    Object.values(sheet.looted_items).reduce((sum, count) => sum + count, 0);
  const step = rows[0].to - rows[0].from;
  ok(Number.isInteger(step) && step >= 1);
  for (const row of rows) {
    equal(
      row.sheets,
      sheets.filter((sheet) =>
        sheet.game_mode === row.mode && units(sheet) >= row.from && units(sheet) < row.to
      ).length,
      `${row.mode} ${row.range}`,
    );
  }
  deepStrictEqual(tooltipFields(spec), ["range", "mode", "sheets"]);
  const unmoded = json(buildUnitsHistogramSpec([{ looted_items: { a: 2 } }]));
  deepStrictEqual(unmoded.data.values, [{
    mode: NO_MODE_LABEL,
    from: 2,
    to: 3,
    range: "2",
    sheets: 1,
  }]);
});

Deno.test("buildLevelUnitsSpec() plots each level's mean units per sheet, leaving out sheets without a level", () => {
  const groups: AggregateGroup[] = [
    {
      key: 1,
      total_items: { a: 4, b: 2 },
      total_matches: 2,
      total_players: 2,
      total_stat_sheets: 2,
    },
    { key: 3, total_items: { a: 9 }, total_matches: 1, total_players: 1, total_stat_sheets: 3 },
    { key: null, total_items: { a: 5 }, total_matches: 1, total_players: 1, total_stat_sheets: 5 },
  ];
  const spec = json(buildLevelUnitsSpec(groups));
  deepStrictEqual(spec.data.values, [
    { level: 1, sheets: 2, units: 6, mean: 3 },
    { level: 3, sheets: 3, units: 9, mean: 3 },
  ]);
  deepStrictEqual(
    [spec.encoding.x.field, spec.encoding.y.field, spec.encoding.size.field],
    ["level", "mean", "sheets"],
  );
  match(spec.title.subtitle, /5 sheets over 2 levels; 5 without a level left out/);
  deepStrictEqual(tooltipFields(spec), ["level", "mean", "sheets", "units"]);
});

Deno.test("every analytics chart compiles, carries tooltips into Vega and renders with its title", async () => {
  const specs = [
    buildModeTotalsSpec(modes.groups),
    buildModeHeatmapsSpec(grids),
    buildUnitsOverTimeSpec(buildTimeseries(sheets, { interval: "hour" })),
    buildPlayerProgressionSpec(busiest),
    buildUnitsHistogramSpec(sheets),
    buildLevelUnitsSpec(groupAggregate(sheets, "player_level").groups),
  ];
  for (const spec of specs) {
    const compiled = JSON.stringify(compile(spec).spec);
    match(compiled, /"tooltip":\{"signal"/, `${json(spec).title.text}: tooltips reach Vega`);
    const svg = await renderChartSvg(spec);
    ok(svg.includes(json(spec).title.text), json(spec).title.text);
    match(svg, /font-family="DejaVu Sans/);
  }
});
