import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import {
  binItemLocations,
  createClient,
  fetchModesSection,
  fetchOverTimeSection,
  fetchPlayersSection,
  generateSheets,
  groupAggregate,
  matchPrefixOf,
  resolvePipelineConfig,
  uploadSheets,
} from "../lib/notebook/mod.ts";
import { createTestApp } from "./fixtures.ts";

// Checked field by field, as a reader of the saved .vl.json would.
// deno-lint-ignore no-explicit-any
type Json = any;

Deno.test("with classic, each section says what is missing, names the fix and draws nothing", async () => {
  const config = resolvePipelineConfig();
  using t = createTestApp();
  let requests = 0;
  const client = createClient("http://test", {
    fetch: (request) => (requests++, t.app.fetch(request)),
  });
  const [modes, time, players] = [
    await fetchModesSection(client, config),
    await fetchOverTimeSection(client, config),
    await fetchPlayersSection(client, config),
  ];
  match(modes.message, /classic has no game modes: set `SCENARIO = "battle_royale"`/);
  match(time.message, /classic plays one match a minute with no daily rhythm/);
  match(players.message, /classic has no returning players and no levels/);
  deepStrictEqual([modes.charts, time.charts, players.charts], [[], [], []]);
  equal(requests, 0, "nothing to ask the server");
});

Deno.test("with the server down, a game scenario's sections say so and skip", async () => {
  const config = resolvePipelineConfig({ scenario: "battle_royale", matches: 2 });
  for (const fetchSection of [fetchModesSection, fetchOverTimeSection, fetchPlayersSection]) {
    const section = await fetchSection(undefined, config);
    match(section.message, /Skipped: the server is not available \(see step 4\)/);
    deepStrictEqual(section.charts, []);
  }
});

Deno.test("battle_royale's sections draw six charts from this run only, equal to local computations", async (t) => {
  using app = createTestApp();
  const client = createClient("http://test", { fetch: (request) => app.app.fetch(request) });
  const config = resolvePipelineConfig({ scenario: "battle_royale", matches: 24 });
  const other = resolvePipelineConfig({ scenario: "battle_royale", matches: 24, seed: 7 });
  // Another run of the same players: none of its sheets may reach this run's charts.
  await uploadSheets(client, generateSheets(other));
  const sheets = generateSheets(config);
  await uploadSheets(client, sheets);
  const prefix = matchPrefixOf(config);

  const modes = await fetchModesSection(client, config);
  const time = await fetchOverTimeSection(client, config);
  const players = await fetchPlayersSection(client, config);
  deepStrictEqual(
    [...modes.charts, ...time.charts, ...players.charts].map((chart) => chart.name),
    [
      "mode_totals",
      "duck_heatmap_by_mode",
      "units_over_time",
      "player_progression",
      "units_per_sheet",
      "level_vs_units",
    ],
  );

  await t.step("modes: totals per mode and each facet's grid as computed locally", () => {
    const local = groupAggregate(sheets, "game_mode");
    const totals = modes.charts[0]!.spec as Json;
    for (const group of local.groups) {
      for (const [item, units] of Object.entries(group.total_items)) {
        const row = totals.data.values.find((row: Json) =>
          row.mode === group.key && row.item.toLowerCase() === item.replace("_", " ")
        );
        equal(row?.total, units, `${group.key} ${item}`);
      }
    }
    const cells = (modes.charts[1]!.spec as Json).data.values;
    for (const group of local.groups) {
      const grid = binItemLocations(
        sheets.filter((sheet) => sheet.game_mode === group.key),
        "rubber_duck",
        { bins: 20 },
      );
      deepStrictEqual(
        cells.filter((cell: Json) => cell.mode === group.key).map((cell: Json) => cell.count),
        grid.grid.flat(),
        String(group.key),
      );
    }
    match(modes.message, /3 game modes in this run/);
  });

  await t.step("over time: a run this short is drawn per minute, and says how to get hours", () => {
    const spec = time.charts[0]!.spec as Json;
    equal(spec.title.text, "Units looted per minute, by item");
    const units = spec.data.values.reduce((sum: number, row: Json) => sum + row.units, 0);
    equal(
      units,
      sheets.reduce((sum, s) => sum + Object.values(s.looted_items).reduce((a, b) => a + b, 0), 0),
    );
    match(time.message, /Raise `MATCHES`/);
  });

  await t.step(
    "players: histories cut to this run, in play order; every sheet in the histogram",
    () => {
      const rows = (players.charts[0]!.spec as Json).data.values;
      ok(rows.length > 0);
      ok(rows.every((row: Json) => row.match_id.startsWith(prefix)), "only this run's matches");
      for (const player of new Set(rows.map((row: Json) => row.player))) {
        const own = rows.filter((row: Json) => row.player === player);
        const levels = own.map((row: Json) => row.level);
        deepStrictEqual(levels, [...levels].sort((a, b) => a - b), `${player} never loses a level`);
        const local = sheets.filter((sheet) => sheet.player_id === player)
          .sort((a, b) => a.match_id < b.match_id ? -1 : 1);
        deepStrictEqual(own.map((row: Json) => row.match_id), local.map((sheet) => sheet.match_id));
      }
      const histogram = (players.charts[1]!.spec as Json).data.values;
      equal(histogram.reduce((sum: number, row: Json) => sum + row.sheets, 0), sheets.length);
      const levels = (players.charts[2]!.spec as Json).data.values;
      equal(levels.reduce((sum: number, row: Json) => sum + row.sheets, 0), sheets.length);
    },
  );
});
