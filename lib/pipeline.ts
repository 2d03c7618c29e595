/**
 * The notebook's five steps as functions, so `notebooks/simulator.ipynb` and `deno task demo` run
 * the same code: configure, generate, summarise locally, upload, compare with the server.
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { aggregateLoot } from "./aggregate.ts";
import { binItemLocations } from "./heatmap.ts";
import type { LootClient, UploadOptions, UploadSummary } from "./client.ts";
import { DEFAULT_ITEM_NAMES } from "./items.ts";
import { formatNdjson } from "./ndjson.ts";
import { type DatasetProfile, profileSheets } from "./profile.ts";
import {
  chooseMatchPrefix,
  simulateMatches,
  SIMULATION_DEFAULTS,
  type SimulationOptions,
} from "./simulate.ts";
import type { Aggregate, HeatmapGrid, StatSheet } from "./types.ts";
import {
  buildComparisonSpec,
  buildHeatmapSpec,
  buildItemDistributionSpec,
  buildLootTotalsSpec,
  buildPerformanceDashboardSpec,
  type ChartSpec,
} from "./charts/specs.ts";

/** Step 1: what a pipeline run generates, where it uploads and where it writes. */
export interface PipelineConfig {
  serverUrl: string;
  items: readonly string[];
  matches: number;
  players: number;
  seed: number;
  outputDir: string;
  /** Item whose locations the heatmaps show (default rubber_duck, else the first item). */
  heatmapItem: string;
  /** Heatmap cells per axis (default 20, as the original). */
  bins: number;
}

/** Fills in the original notebook's defaults. */
export function resolvePipelineConfig(config: Partial<PipelineConfig> = {}): PipelineConfig {
  const items = config.items ?? DEFAULT_ITEM_NAMES;
  return {
    serverUrl: config.serverUrl ?? "http://localhost:5000",
    items,
    matches: config.matches ?? SIMULATION_DEFAULTS.matches,
    players: config.players ?? SIMULATION_DEFAULTS.playersPerMatch,
    seed: config.seed ?? SIMULATION_DEFAULTS.seed,
    outputDir: config.outputDir ?? "outputs",
    heatmapItem: config.heatmapItem ??
      (items.includes("rubber_duck") ? "rubber_duck" : items[0] ?? "rubber_duck"),
    bins: config.bins ?? 20,
  };
}

/**
 * The simulation options of a run. Match ids get a prefix of their own for every configuration but
 * the original's (which keeps `match_001`…, see {@link chooseMatchPrefix}): after editing the items
 * or the seed, a rerun uploads new sheets instead of colliding with the earlier ones under the same keys.
 */
export function toSimulationOptions(config: PipelineConfig): SimulationOptions {
  const options = { items: [...config.items], playersPerMatch: config.players, seed: config.seed };
  return { ...options, matches: config.matches, matchPrefix: chooseMatchPrefix(options) };
}

/** The match-id prefix that selects exactly this run's sheets on the server. */
export function matchPrefixOf(config: PipelineConfig): string {
  return `${toSimulationOptions(config).matchPrefix}_`;
}

/** Step 2: generates the run's sheets (deterministic for a config). */
export function generateSheets(config: PipelineConfig): StatSheet[] {
  return [...simulateMatches(toSimulationOptions(config))];
}

/** Step 2: saves sheets as NDJSON (one per line), creating the folder; returns the path. */
export async function saveSheets(sheets: readonly StatSheet[], path: string): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, formatNdjson(sheets));
  return path;
}

/** Step 2: the first sheets as table rows: ids, time, total units and each item's count. */
export function previewSheets(
  sheets: readonly StatSheet[],
  count = 5,
): Record<string, string | number>[] {
  return sheets.slice(0, count).map((sheet) => ({
    match_id: sheet.match_id,
    player_id: sheet.player_id,
    timestamp: sheet.timestamp ?? "",
    units: Object.values(sheet.looted_items).reduce((sum, value) => sum + value, 0),
    ...sheet.looted_items,
  }));
}

/** Step 3: local totals, the heatmap grid and the dataset profile. */
export interface LocalReport {
  aggregate: Aggregate;
  grid: HeatmapGrid;
  profile: DatasetProfile;
}

/** Step 3: aggregates the run's sheets locally. */
export function summarizeLocally(
  sheets: readonly StatSheet[],
  config: PipelineConfig,
): LocalReport {
  return {
    aggregate: aggregateLoot(sheets),
    grid: binItemLocations(sheets, config.heatmapItem, { bins: config.bins }),
    profile: profileSheets(sheets),
  };
}

/** A chart and the file name it is saved under. */
export interface NamedChart {
  name: string;
  spec: ChartSpec;
}

/** Step 3: `loot_totals` and the local heatmap (`duck_heatmap` for rubber ducks). */
export function buildLocalCharts(local: LocalReport, config: PipelineConfig): NamedChart[] {
  return [
    {
      name: "loot_totals",
      spec: buildLootTotalsSpec(local.aggregate.total_items, { items: config.items }),
    },
    {
      name: heatmapName(config.heatmapItem),
      spec: buildHeatmapSpec(local.grid, {
        subtitle: `${
          local.grid.count.toLocaleString("en-US")
        } units, local data, ${config.bins} × ${config.bins} cells`,
      }),
    },
  ];
}

/** Step 5: `item_distribution` and `performance_dashboard`, from the run's own data. */
export function buildOverviewCharts(local: LocalReport, config: PipelineConfig): NamedChart[] {
  return [
    {
      name: "item_distribution",
      spec: buildItemDistributionSpec(local.aggregate.total_items, { items: config.items }),
    },
    {
      name: "performance_dashboard",
      spec: buildPerformanceDashboardSpec(local.profile, { items: config.items }),
    },
  ];
}

/** Step 4: uploads the run's sheets in batches; re-uploading is safe (duplicates are not counted twice). */
export function uploadSheets(
  client: LootClient,
  sheets: readonly StatSheet[],
  options: UploadOptions = {},
): Promise<UploadSummary> {
  return client.submitBatch(sheets, { chunkSize: 500, ...options });
}

/** Step 5: the server's view of this run: its aggregate and binned heatmap. */
export interface ServerReport {
  aggregate: Aggregate;
  grid: HeatmapGrid;
}

/** Step 5: fetches this run's aggregate and heatmap grid, both computed by the server's SQL. */
export async function fetchServerReport(
  client: LootClient,
  config: PipelineConfig,
): Promise<ServerReport> {
  const matchPrefix = matchPrefixOf(config);
  const [aggregate, grid] = await Promise.all([
    client.aggregate({ match_prefix: matchPrefix }),
    client.heatmapGrid(config.heatmapItem, { bins: config.bins, match_prefix: matchPrefix }),
  ]);
  return { aggregate, grid };
}

/** Step 5: `local_vs_server_comparison` and the server heatmap (`server_duck_heatmap`). */
export function buildServerCharts(
  local: LocalReport,
  server: ServerReport,
  config: PipelineConfig,
): NamedChart[] {
  return [
    {
      name: "local_vs_server_comparison",
      spec: buildComparisonSpec(local.aggregate.total_items, server.aggregate.total_items, {
        items: config.items,
      }),
    },
    {
      name: `server_${heatmapName(config.heatmapItem)}`,
      spec: buildHeatmapSpec(server.grid, {
        subtitle: `${
          server.grid.count.toLocaleString("en-US")
        } units, binned by the server, ${config.bins} × ${config.bins} cells`,
      }),
    },
  ];
}

/** Step 4: Markdown saying whether the server answers and, when not, how to start it. */
export function explainServerStatus(health: { healthy: boolean; message: string }): string {
  if (health.healthy) return `**Server OK.** ${health.message}.`;
  return [
    `**Server not available.** ${health.message}.`,
    "",
    "Start it in a terminal from the project folder with `deno task server` (or set `LOOT_SERVER` to",
    "its URL), then rerun this cell. The steps below that need the server say so and skip.",
  ].join("\n");
}

/** Step 4: the upload summary as one table row. */
export function summarizeUpload(upload: UploadSummary): Record<string, number | string> {
  return {
    sent: upload.sent,
    inserted: upload.inserted,
    duplicates: upload.duplicates,
    failed: upload.failed,
    "sheets/s": Math.round(upload.sheetsPerSecond),
    seconds: (upload.elapsedMs / 1000).toFixed(2),
  };
}

/** Rows of item, local total and server total, flagging differences. */
export function compareTotals(
  local: Aggregate,
  server: Aggregate,
  items: readonly string[],
): Record<string, string | number>[] {
  return items.map((item) => {
    const mine = local.total_items[item] ?? 0;
    const theirs = server.total_items[item] ?? 0;
    return { item, local: mine, server: theirs, status: mine === theirs ? "match" : "MISMATCH" };
  });
}

/** Items whose local and server totals differ (empty when the server holds exactly the run). */
export function findMismatches(local: Aggregate, server: Aggregate): string[] {
  const items = new Set([...Object.keys(local.total_items), ...Object.keys(server.total_items)]);
  return [...items].filter((item) =>
    (local.total_items[item] ?? 0) !== (server.total_items[item] ?? 0)
  ).sort();
}

/** `duck_heatmap` for rubber ducks (the original's name), `<item>_heatmap` otherwise. */
export function heatmapName(item: string): string {
  return item === "rubber_duck" ? "duck_heatmap" : `${item}_heatmap`;
}

/** Where step 2 saves the sheets. */
export function sheetsPath(config: PipelineConfig): string {
  return join(config.outputDir, "stat_sheets.ndjson");
}
