/**
 * Step 1 of the notebook and the demo: what a run generates, where it uploads and where it writes,
 * with the original notebook's defaults.
 * @module
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import {
  chooseScenarioPrefix,
  DEFAULT_SCENARIO,
  listScenarioItems,
  loadScenario,
  type Scenario,
  type ScenarioOptions,
} from "../scenario.ts";
import { chooseMatchPrefix, SIMULATION_DEFAULTS, type SimulationOptions } from "../simulate.ts";

/** Step 1: what a pipeline run generates, where it uploads and where it writes. */
export interface PipelineConfig {
  /** What the simulator plays (default `classic`, the original generator); see lib/scenario.ts. */
  scenario: Scenario;
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

/** What {@link resolvePipelineConfig} takes: any setting, the scenario also by name or file path. */
export type PipelineSettings = Partial<Omit<PipelineConfig, "scenario">> & {
  /** A built-in scenario's name, a path to a JSON scenario file, or a scenario. */
  scenario?: string | Scenario;
};

/**
 * Fills in the original notebook's defaults. A scenario given by name or path is loaded here
 * (throwing `ValidationError` naming the file and field); a game scenario's items default to its
 * drop tables' items.
 */
export function resolvePipelineConfig(config: PipelineSettings = {}): PipelineConfig {
  const scenario = typeof config.scenario === "string"
    ? loadScenario(config.scenario, (path) => readFileSync(path, "utf8"))
    : config.scenario ?? DEFAULT_SCENARIO;
  const items = config.items ?? listScenarioItems(scenario);
  return {
    scenario,
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

/**
 * The scenario options of a run: {@link toSimulationOptions} for classic; for a game scenario the
 * items, seed and matches (its modes set the players), under {@link chooseScenarioPrefix}.
 */
export function toScenarioOptions(config: PipelineConfig): ScenarioOptions {
  if (config.scenario.kind === "classic") return toSimulationOptions(config);
  const options = { items: [...config.items], seed: config.seed };
  return {
    ...options,
    matches: config.matches,
    matchPrefix: chooseScenarioPrefix(config.scenario, options),
  };
}

/** The match-id prefix that selects exactly this run's sheets on the server. */
export function matchPrefixOf(config: PipelineConfig): string {
  return `${toScenarioOptions(config).matchPrefix}_`;
}

/** Where step 2 saves the sheets. */
export function sheetsPath(config: PipelineConfig): string {
  return join(config.outputDir, "stat_sheets.ndjson");
}
