/**
 * `deno task demo`: the whole pipeline without Jupyter. Starts the server in-process on a free
 * port, then runs the notebook's five steps through the same lib/ functions and writes six charts;
 * for a game scenario (`--scenario battle_royale`), six more from the Modes, Over time and Players
 * sections.
 * @module
 */
import { join } from "node:path";
import {
  buildLocalCharts,
  buildOverviewCharts,
  buildServerCharts,
  createClient,
  fetchModesSection,
  fetchOverTimeSection,
  fetchPlayersSection,
  fetchServerReport,
  findMismatches,
  formatCount,
  formatUploadProgress,
  generateSheets,
  resolvePipelineConfig,
  saveChart,
  saveSheets,
  sheetsPath,
  summarizeLocally,
  uploadSheets,
  ValidationError,
} from "../lib/notebook/mod.ts";
import { SIMULATION_LIMITS } from "../lib/simulate.ts";
import { DEFAULT_DB_PATH } from "../server/config.ts";
import { startServer } from "../server/serve.ts";
import { openStore, runMain, StartupError } from "../server/startup.ts";
import {
  createProgressWriter,
  FlagError,
  formatTable,
  noteOverwrite,
  readFlags,
  readIntegerFlag,
  readScenarioFlag,
  red,
  reportUsageError,
  stderrHasColor,
} from "./_terminal.ts";

const USAGE = `Usage: deno task demo [options]

Runs the whole pipeline: starts a server in-process, generates stat sheets, aggregates them locally,
uploads them, compares with the server and writes six charts (PNG, SVG, Vega-Lite JSON); a game
scenario such as battle_royale adds six on game modes, loot over time and players.

Options:
  --db PATH|URL    Database of the in-process server: a SQLite file or a postgres:// URL
                   (env LOOT_DB, default ${DEFAULT_DB_PATH})
  --fresh          Use a temporary database instead, removed afterwards
  --out DIR        Where charts and stat_sheets.ndjson go (default outputs)
  --scenario S     What to simulate: classic (default), battle_royale, or a JSON scenario file
  --matches N      Matches (default 50)
  --players N      Players per match, classic only (default 4)
  --items A,B,…    Item names (default the five original items, or the scenario's)
  --seed N         PRNG seed (default 42)
  --help           Show this text`;

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    db: { type: "string" },
    fresh: { type: "boolean" },
    out: { type: "string" },
    scenario: { type: "string" },
    matches: { type: "string" },
    players: { type: "string" },
    items: { type: "string" },
    seed: { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  let config;
  let sheets;
  try {
    const scenario = readScenarioFlag(values.scenario);
    if (scenario?.kind === "game" && values.players !== undefined) {
      throw new FlagError(
        `--players applies to the classic scenario only: ${scenario.name} sets it per game mode`,
      );
    }
    config = resolvePipelineConfig({
      scenario,
      outputDir: values.out ?? "outputs",
      matches: readIntegerFlag("matches", values.matches, SIMULATION_LIMITS.matches),
      players: readIntegerFlag("players", values.players, SIMULATION_LIMITS.playersPerMatch),
      seed: readIntegerFlag("seed", values.seed, SIMULATION_LIMITS.seed),
      items: values.items?.split(",").map((item) => item.trim()).filter(Boolean),
    });
    sheets = generateSheets(config);
  } catch (error) {
    if (error instanceof FlagError) return reportUsageError(error.message, USAGE);
    if (!(error instanceof ValidationError)) throw error;
    // Only --items reaches the simulator's own checks: the numbers and the scenario were checked above.
    return reportUsageError(
      error.problems.map((problem) =>
        problem.path === "items" ? `--items: ${problem.message}` : problem.message
      ).join("\n"),
      USAGE,
    );
  }

  const tempDir = values.fresh ? await Deno.makeTempDir({ prefix: "loot_demo_" }) : undefined;
  const dbPath = tempDir
    ? join(tempDir, "loot.db")
    : values.db ?? Deno.env.get("LOOT_DB") ?? DEFAULT_DB_PATH;
  const store = await openStore(dbPath);
  let server;
  try {
    server = await startServer(store, { port: 0, host: "127.0.0.1" });
  } catch (error) {
    store.close();
    throw error;
  }
  try {
    console.log(`1. Server running in-process on ${server.url} (database: ${store.description})`);
    const client = createClient(server.url);

    const overwrote = noteOverwrite(sheetsPath(config));
    const ndjson = await saveSheets(sheets, sheetsPath(config)).catch((error: Error) => {
      throw new StartupError(
        `Cannot write ${sheetsPath(config)} (${
          error.message.split("\n")[0]
        }): pass a writable --out DIR`,
        { cause: error },
      );
    });
    const shape = config.scenario.kind === "classic"
      ? `${config.matches} matches × ${config.players} players`
      : `${config.matches} matches of ${config.scenario.name}`;
    console.log(
      `2. Generated ${
        formatCount(sheets.length)
      } stat sheets (${shape}, seed ${config.seed}) → ${ndjson}`,
    );
    const notice = overwrote();
    if (notice) console.log(`   ${notice}`);

    const local = summarizeLocally(sheets, config);
    const units = Object.values(local.aggregate.total_items).reduce((sum, value) => sum + value, 0);
    console.log(`3. Local totals: ${formatCount(units)} units across ${config.items.length} items`);

    const health = await client.checkHealth();
    if (!health.healthy) throw new Error(health.message);
    const progress = createProgressWriter(1_000);
    const color = stderrHasColor();
    const styleFailed = (text: string) => red(text, color);
    const upload = await uploadSheets(client, sheets, {
      onProgress: (state) => progress.update(`   ${formatUploadProgress(state, { styleFailed })}`),
    });
    progress.done(`4. ${formatUploadProgress(upload, { styleFailed })}`);
    if (upload.failed > 0) {
      console.error(
        red(
          `   Stored ${formatCount(upload.inserted + upload.duplicates)} of ${
            formatCount(sheets.length)
          } sheets: ${formatCount(upload.failed)} failed (${upload.errors[0]})`,
          color,
        ),
      );
    }

    const remote = await fetchServerReport(client, config);
    const mismatches = findMismatches(local.aggregate, remote.aggregate);
    console.log(
      mismatches.length === 0
        ? `5. Server totals equal local totals for all ${config.items.length} items`
        : `5. Server totals differ from local totals for: ${mismatches.join(", ")}`,
    );

    // The charts in the notebook's order: steps 3 and 5, then the Modes, Over time and Players
    // sections (which draw nothing for classic).
    const sections = [
      await fetchModesSection(client, config),
      await fetchOverTimeSection(client, config),
      await fetchPlayersSection(client, config),
    ];
    const charts = [
      ...buildLocalCharts(local, config),
      ...buildServerCharts(local, remote, config),
      ...buildOverviewCharts(local, config),
      ...sections.flatMap((section) => section.charts),
    ];
    console.log(`\nCharts written to ${config.outputDir}/ (each as .png, .svg and .vl.json):`);
    for (const chart of charts) {
      const saved = await saveChart(chart.spec, chart.name, config.outputDir);
      console.log(`  ${saved.png}`);
    }
    if (config.scenario.kind === "classic") {
      console.log(
        "  (classic has no game modes, daily rhythm or returning players: --scenario battle_royale adds six charts on them)",
      );
    }
    const rows = config.items.map((item) => [
      item,
      formatCount(local.aggregate.total_items[item] ?? 0),
      formatCount(remote.aggregate.total_items[item] ?? 0),
    ]);
    console.log("");
    for (const line of formatTable(["Item", "local", "server"], rows, { right: [1, 2] })) {
      console.log(line);
    }
    return mismatches.length === 0 && upload.failed === 0 ? 0 : 1;
  } finally {
    await server.shutdown();
    store.close();
    if (tempDir) await Deno.remove(tempDir, { recursive: true });
  }
}

await runMain(main);
