import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { existsSync } from "node:fs";
import { resolvePipelineConfig } from "../lib/notebook/mod.ts";
import { makeTempDir, SECTION_CHARTS, SIX_CHARTS } from "./fixtures.ts";
import {
  findMissingJupyter,
  runNotebookPasses,
  runNotebookTask,
  TOOLS_REQUIRED,
} from "./jupyter.ts";
import { startServerProcess } from "../server/child_process.ts";

const NOTEBOOK = new URL("../notebooks/simulator.ipynb", import.meta.url).pathname;

Deno.test("the notebook's configuration cell shows every setting of the run as a constant", async () => {
  const notebook = JSON.parse(await Deno.readTextFile(NOTEBOOK));
  const sources: string[] = notebook.cells
    .filter((cell: { cell_type: string }) => cell.cell_type === "code")
    .map((cell: { source: string[] }) => cell.source.join(""));
  const configCell = sources.find((source) => source.includes("resolvePipelineConfig({"));
  ok(configCell, "a cell calls resolvePipelineConfig");
  const call = configCell.slice(configCell.indexOf("resolvePipelineConfig({"));
  // Every field of PipelineConfig, so a setting added to lib/ must appear in the notebook too.
  for (const field of Object.keys(resolvePipelineConfig())) {
    const passed = call.match(new RegExp(`\\n {2}${field}: ([A-Z_]+),\\n`));
    ok(passed, `${field} is passed to resolvePipelineConfig as a constant`);
    match(configCell, new RegExp(`^const ${passed[1]} = `, "m"), `${passed[1]} is declared`);
  }
});

const missing = await findMissingJupyter();
const required = TOOLS_REQUIRED;
if (missing && !required) {
  console.log(`Skipping notebook tests: ${missing}. .ci/run installs Jupyter; see README.`);
}
const ignore = missing !== undefined && !required;

Deno.test({
  name:
    "deno task notebook executes the notebook headlessly: every cell clean, six chart bundles (Vega-Lite + sized PNG, no SVG), files on disk, each write listed",
  ignore,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    await Deno.writeTextFile(`${dir.path}/simulator.executed.ipynb`, "{}\n");
    const { code, stdout, stderr } = await runNotebookTask(dir.path);
    equal(code, 0, stderr);
    match(
      stderr,
      /No server answered at http:\/\/127\.0\.0\.1:9; started one in-process/,
    );
    const executed = JSON.parse(await Deno.readTextFile(`${dir.path}/simulator.executed.ipynb`));
    const outputs = executed.cells.flatMap((
      cell: { outputs?: { output_type: string; data?: Record<string, unknown> }[] },
    ) => cell.outputs ?? []);
    deepStrictEqual(
      outputs.filter((output: { output_type: string }) => output.output_type === "error"),
      [],
    );
    type Output = {
      data?: Record<string, unknown>;
      metadata?: Record<string, { width?: number; height?: number }>;
    };
    const bundles = outputs.filter((output: Output) =>
      output.data?.["application/vnd.vegalite.v5+json"]
    );
    equal(bundles.length, 6);
    for (const bundle of bundles as Output[]) {
      ok(!("image/svg+xml" in bundle.data!), "no SVG: nbconvert 6.5 would export it blank");
      match(String(bundle.data!["image/png"]), /^iVBORw0KGgo/, "base64 PNG");
      const size = bundle.metadata?.["image/png"];
      ok(size?.width && size.width > 200 && size.height && size.height > 200, "PNG's CSS size");
    }
    const shown = outputs.map((output: Output) => String(output.data?.["text/markdown"] ?? ""))
      .join("\n");
    match(shown, /\*\*Modes:\*\* classic has no game modes: set `SCENARIO = "battle_royale"`/);
    match(shown, /\*\*Over time:\*\* classic plays one match a minute/);
    match(shown, /\*\*Players:\*\* classic has no returning players/);
    const report = stdout;
    match(report, /Wrote 22 files to .* \(21 new, 1 overwritten\):/);
    // The live cell: one chart output, redrawn in place (update_display_data), not one per update.
    const liveCell = executed.cells.find((cell: { id?: string }) => cell.id === "cell-live");
    const liveImages = liveCell.outputs.filter((output: Output) => output.data?.["image/png"]);
    equal(liveImages.length, 1, "one live chart output");
    const liveText = JSON.stringify(liveCell.outputs);
    const draws = Number(
      liveText.match(/Live chart redrawn (\d+) times in place while 200 new/)?.[1],
    );
    ok(draws >= 2, `live chart redrawn ${draws} times`);
    ok(existsSync(`${dir.path}/loot_sheets.parquet`), "the export cell wrote Parquet");
    match(report, /^ {2}simulator\.executed\.ipynb +overwritten$/m);
    match(report, /^ {2}simulator\.executed\.html +new$/m);
    match(report, /^ {2}duck_heatmap\.png +new$/m);
    ok(existsSync(`${dir.path}/simulator.executed.html`));
    for (const chart of SIX_CHARTS) {
      for (const extension of ["png", "svg", "vl.json"]) {
        ok(existsSync(`${dir.path}/${chart}.${extension}`), `${chart}.${extension}`);
      }
    }
    ok(existsSync(`${dir.path}/stat_sheets.ndjson`));
  },
});

Deno.test({
  name:
    "rerunning the notebook in the same kernel after changing items and heatmap settings works and never double-counts",
  ignore,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    await using server = await startServerProcess(["--db", `${dir.path}/loot.db`]);
    const [first, withShield, again] = await runNotebookPasses(server.url, dir.path);
    for (const pass of [first!, withShield!, again!]) {
      deepStrictEqual(pass.errors, []);
      equal(pass.charts, 6);
    }
    const text = (pass: { texts: string[] }) => pass.texts.join("\n");
    match(text(first!), /Server totals equal local totals for all 5 items/);
    match(
      text(withShield!),
      /Uploaded 200\/200 sheets \(100\.0%\) · [\d,]+ sheets\/s · 0 duplicates · 0 failed/,
    );
    match(text(withShield!), /Server totals equal local totals for all 6 items/);
    match(
      text(withShield!),
      /`medkit_heatmap`.*`server_medkit_heatmap`/s,
      "HEATMAP_ITEM is honoured",
    );
    match(text(again!), /200 duplicates · 0 failed/);
    match(text(again!), /Server totals equal local totals for all 6 items/);
    ok(existsSync(`${dir.path}/duck_heatmap.png`));
    const medkits = JSON.parse(await Deno.readTextFile(`${dir.path}/medkit_heatmap.vl.json`));
    equal(medkits.data.values.length, 10 * 10, "HEATMAP_BINS is honoured");
  },
});

Deno.test({
  name:
    'with SCENARIO = "battle_royale" the notebook also draws the Modes, Over time and Players sections and the segments: thirteen charts, no errors',
  ignore,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    await using server = await startServerProcess(["--db", `${dir.path}/loot.db`]);
    const [pass] = await runNotebookPasses(server.url, dir.path, ["1", "battle_royale"]);
    deepStrictEqual(pass!.errors, []);
    // Plus the Segments section's scatter: battle_royale has returning players (no experiment, so
    // the Experiment section explains and skips).
    equal(pass!.charts, SIX_CHARTS.length + SECTION_CHARTS.length + 1);
    const text = pass!.texts.join("\n");
    match(text, /\*\*Modes:\*\* 3 game modes in this run/);
    match(text, /\*\*Over time:\*\* this run spans under 3 hours/);
    match(text, /\*\*Players:\*\* [\d,]+ sheets in this run; the 5 most active players/);
    for (const chart of SECTION_CHARTS) {
      for (const extension of ["png", "svg", "vl.json"]) {
        ok(existsSync(`${dir.path}/${chart}.${extension}`), `${chart}.${extension}`);
      }
    }
  },
});

Deno.test({
  name:
    "with the server down, the notebook says how to start it and runs the rest without an error",
  ignore,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    const [pass] = await runNotebookPasses("http://127.0.0.1:9", dir.path, ["1"]);
    deepStrictEqual(pass!.errors, []);
    equal(pass!.charts, 4, "loot totals, heatmap, distribution and dashboard need no server");
    const text = pass!.texts.join("\n");
    match(text, /Server not available[\s\S]*deno task server/);
    match(text, /Upload skipped: the server is not available/);
    match(text, /Comparison skipped: the server is not available/);
  },
});
