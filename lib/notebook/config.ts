/**
 * Step 1 of the notebook and the demo: what a run generates, where it uploads and where it writes,
 * with the original notebook's defaults.
 * @module
 */
import { join } from "node:path";
import { DEFAULT_ITEM_NAMES } from "../items.ts";
import { chooseMatchPrefix, SIMULATION_DEFAULTS, type SimulationOptions } from "../simulate.ts";

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

/** Where step 2 saves the sheets. */
export function sheetsPath(config: PipelineConfig): string {
  return join(config.outputDir, "stat_sheets.ndjson");
}
