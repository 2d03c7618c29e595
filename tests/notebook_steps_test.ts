import { deepStrictEqual, equal, match, notEqual, ok } from "node:assert/strict";
import {
  compareTotals,
  createClient,
  explainServerStatus,
  fetchServerReport,
  generateSheets,
  heatmapName,
  matchPrefixOf,
  resolvePipelineConfig,
  summarizeLocally,
  uploadSheets,
} from "../lib/notebook/mod.ts";
import { createTestApp } from "./fixtures.ts";

Deno.test("the original configuration keeps match_001 ids; any other gets a prefix of its own", () => {
  const original = resolvePipelineConfig();
  equal(matchPrefixOf(original), "match_");
  equal(generateSheets(original)[0]!.match_id, "match_001");
  const withShield = resolvePipelineConfig({ items: [...original.items, "shield"] });
  match(matchPrefixOf(withShield), /^sim[0-9a-f]{6}_$/);
  notEqual(matchPrefixOf(withShield), matchPrefixOf(resolvePipelineConfig({ seed: 7 })));
  equal(
    matchPrefixOf(resolvePipelineConfig({ matches: 500 })),
    "match_",
    "more matches extend the same run",
  );
  equal(generateSheets(withShield)[0]!.match_id.startsWith(matchPrefixOf(withShield)), true);
});

Deno.test("the heatmap item defaults to rubber ducks, else the first item", () => {
  equal(resolvePipelineConfig().heatmapItem, "rubber_duck");
  equal(resolvePipelineConfig({ items: ["shield", "potion"] }).heatmapItem, "shield");
  deepStrictEqual([heatmapName("rubber_duck"), heatmapName("shield")], [
    "duck_heatmap",
    "shield_heatmap",
  ]);
});

Deno.test("compareTotals() and explainServerStatus() say what a user needs", () => {
  const local = {
    total_items: { a: 1, b: 2 },
    total_matches: 1,
    total_players: 1,
    total_stat_sheets: 1,
  };
  const server = { ...local, total_items: { a: 1, b: 3 } };
  deepStrictEqual(compareTotals(local, server, ["a", "b"]).map((row) => row.status), [
    "match",
    "MISMATCH",
  ]);
  match(
    explainServerStatus({ healthy: false, message: "Server at x is not available" }),
    /deno task server/,
  );
});

Deno.test("the notebook only imports lib/notebook/mod.ts, has outputs cleared, and every cell ends in a newline", async () => {
  const notebook = JSON.parse(
    await Deno.readTextFile(new URL("../notebooks/simulator.ipynb", import.meta.url)),
  );
  equal(notebook.metadata.kernelspec.name, "deno");
  for (const cell of notebook.cells) {
    const source: string = cell.source.join("");
    // Without the final newline, `deno fmt --check` fails on a fresh clone (no incremental cache).
    equal(source.endsWith("\n"), true, `cell ${cell.id} ends in a newline`);
    if (cell.cell_type !== "code") continue;
    deepStrictEqual(cell.outputs, [], `cell ${cell.id} has no stored outputs`);
    for (const [, specifier] of source.matchAll(/from\s+"([^"]+)"/g)) {
      equal(specifier, "../lib/notebook/mod.ts");
    }
  }
});

Deno.test("fetchServerReport() reads back exactly this run when the server holds other runs too", async () => {
  using t = createTestApp();
  const client = createClient("http://test", { fetch: (request) => t.app.fetch(request) });
  const original = resolvePipelineConfig({ matches: 8 });
  const withShield = resolvePipelineConfig({ matches: 8, items: [...original.items, "shield"] });
  await uploadSheets(client, generateSheets(original));
  const sheets = generateSheets(withShield);
  await uploadSheets(client, sheets);
  const local = summarizeLocally(sheets, withShield);
  const remote = await fetchServerReport(client, withShield);
  deepStrictEqual(remote.aggregate, local.aggregate);
  deepStrictEqual(remote.grid, local.grid);
  equal(
    (await client.heatmap("rubber_duck", { match_prefix: matchPrefixOf(withShield) })).count,
    local.grid.count,
  );
});

Deno.test("the server's module graph holds no chart or notebook code", async () => {
  const { code, stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", new URL("../server/main.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "null",
  }).output();
  equal(code, 0);
  const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
    modules: { specifier: string }[];
  };
  const specifiers = graph.modules.map((module) => module.specifier);
  ok(specifiers.some((specifier) => specifier.endsWith("/lib/mod.ts")), "it does load lib/mod.ts");
  deepStrictEqual(
    specifiers.filter((specifier) => /lib\/(charts|notebook)\/|vega|resvg/.test(specifier)),
    [],
  );
});
