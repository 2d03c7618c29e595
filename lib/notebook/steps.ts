/**
 * The notebook's steps 2 to 5 as functions, so `notebooks/simulator.ipynb` and `deno task demo` run
 * the same code: generate, summarise locally, upload, compare with the server.
 * @module
 */
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { aggregateLoot } from "../aggregate.ts";
import { binItemLocations } from "../heatmap.ts";
import type { LootClient, UploadOptions, UploadSummary } from "../client.ts";
import { formatNdjson } from "../ndjson.ts";
import { type DatasetProfile, profileSheets } from "../profile.ts";
import { simulateScenario } from "../scenario.ts";
import type { Aggregate, HeatmapGrid, StatSheet } from "../types.ts";
import { matchPrefixOf, type PipelineConfig, toScenarioOptions } from "./config.ts";

/** Step 2: generates the run's sheets from its scenario (deterministic for a config). */
export function generateSheets(config: PipelineConfig): StatSheet[] {
  return [...simulateScenario(config.scenario, toScenarioOptions(config))];
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
