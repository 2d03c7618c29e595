/**
 * Rules that flag implausible stat sheets without knowing the scenario, and their local reference
 * implementation ({@link detectAnomalies}); the server computes the same rules in SQL.
 *
 * - `loot_rate`: units per minute (`units × 60 / match_duration`) above the sheet's game mode's
 *   median by more than {@link RATE_MAD_THRESHOLD} scaled MADs (MAD × {@link MAD_SCALE}). Medians
 *   and MADs are per game mode (sheets without one form their own group), over sheets with a
 *   `match_duration` above 0; a mode whose MAD is 0 flags nothing by this rule.
 * - `outside_map`: a located item outside the {@link MAP_SIZE} map (x or y below 0 or above the extent).
 * - `stacked_location`: {@link STACK_MIN_ITEMS} or more items of one sheet at exactly the same point
 *   (honest drops are spread around zones; a bot or a replayed sheet repeats one point).
 * - `above_drop_table` (local only, when the scenario is given): an item above its mode's cap.
 *   The server does not know the scenario, so it does not apply this rule.
 *
 * A sheet's `score` is its robust z-score of units per minute (0 when below the median or not
 * computable) plus {@link LOCATION_RULE_SCORE} per location rule it breaks.
 * @module
 */
import { MAP_SIZE } from "./heatmap.ts";
import type { Scenario } from "./scenario.ts";
import { median } from "./statistics.ts";
import type { StatSheet } from "./types.ts";

/** Scaled MADs above the mode's median where units per minute become implausible. */
export const RATE_MAD_THRESHOLD = 6;
/** MAD × 1.4826 estimates the standard deviation of a normal distribution. */
export const MAD_SCALE = 1.4826;
/** Items at one exact point in one sheet that make a stacked location. */
export const STACK_MIN_ITEMS = 3;
/** Score added per location rule broken. */
export const LOCATION_RULE_SCORE = 10;

/** Names of the rules, as `rules` lists them. */
export type AnomalyRule = "loot_rate" | "outside_map" | "stacked_location" | "above_drop_table";

/** One flagged sheet in `GET /api/anomalies`. */
export interface AnomalyRow {
  /** The stored sheet's id. */
  id: number;
  /** Its match. */
  match_id: string;
  /** Its player. */
  player_id: string;
  /** Rules the sheet breaks, in the order above. */
  rules: AnomalyRule[];
  /** Robust z-score of units per minute plus 10 per location rule. */
  score: number;
}

/** Median and MAD of units per minute within one game mode ('' for sheets without one). */
export interface ModeRateStats {
  /** Median units per minute. */
  median: number;
  /** Median absolute deviation from it (unscaled). */
  mad: number;
}

/** Units per minute of a sheet, or undefined without a positive `match_duration`. */
export function lootRate(
  units: number,
  matchDuration: number | null | undefined,
): number | undefined {
  if (matchDuration === null || matchDuration === undefined || !(matchDuration > 0)) {
    return undefined;
  }
  return units * 60 / matchDuration;
}

/** The rate above which `loot_rate` flags a sheet; undefined when the MAD is 0. */
export function rateThreshold(stats: ModeRateStats): number | undefined {
  return stats.mad > 0 ? stats.median + RATE_MAD_THRESHOLD * MAD_SCALE * stats.mad : undefined;
}

/** The robust z-score of a rate, floored at 0 (0 when it cannot be computed). */
export function rateScore(rate: number | undefined, stats: ModeRateStats | undefined): number {
  if (rate === undefined || !stats || !(stats.mad > 0)) return 0;
  return Math.max(0, (rate - stats.median) / (MAD_SCALE * stats.mad));
}

/** True when a point lies off the map, by the heatmap's rule. */
export function isOffMap([x, y]: readonly [number, number]): boolean {
  return !(x >= 0 && x <= MAP_SIZE.width && y >= 0 && y <= MAP_SIZE.height);
}

/** True when {@link STACK_MIN_ITEMS} or more items of the sheet share one exact point. */
export function hasStackedLocation(locations: StatSheet["locations"]): boolean {
  const seen = new Map<string, number>();
  for (const [x, y] of Object.values(locations)) {
    const key = `${x},${y}`;
    const count = (seen.get(key) ?? 0) + 1;
    if (count >= STACK_MIN_ITEMS) return true;
    seen.set(key, count);
  }
  return false;
}

function unitsOf(sheet: StatSheet): number {
  let units = 0;
  for (const count of Object.values(sheet.looted_items)) units += count;
  return units;
}

/** Per-mode median and MAD of units per minute over sheets (the server's statistics, locally). */
export function computeModeRateStats(sheets: Iterable<StatSheet>): Map<string, ModeRateStats> {
  const rates = new Map<string, number[]>();
  for (const sheet of sheets) {
    const rate = lootRate(unitsOf(sheet), sheet.match_duration);
    if (rate === undefined) continue;
    const mode = sheet.game_mode ?? "";
    const list = rates.get(mode) ?? [];
    list.push(rate);
    rates.set(mode, list);
  }
  const stats = new Map<string, ModeRateStats>();
  for (const [mode, list] of rates) {
    const center = median(list);
    stats.set(mode, { median: center, mad: median(list.map((rate) => Math.abs(rate - center))) });
  }
  return stats;
}

/** A sheet the local detector flags, identified by its key (local sheets have no id). */
export interface LocalAnomaly {
  /** Position of the sheet in the input. */
  index: number;
  /** Its match. */
  match_id: string;
  /** Its player. */
  player_id: string;
  /** Rules broken. */
  rules: AnomalyRule[];
  /** As {@link AnomalyRow.score}. */
  score: number;
}

/**
 * Applies the rules to sheets, in input order. With `scenario` (a game scenario), also flags items
 * above their mode's drop-table cap (`above_drop_table`, which the server cannot know).
 * @example
 * const flagged = detectAnomalies(sheets);
 */
export function detectAnomalies(
  sheets: readonly StatSheet[],
  options: { scenario?: Scenario } = {},
): LocalAnomaly[] {
  const stats = computeModeRateStats(sheets);
  const caps = new Map<string, Readonly<Record<string, { max: number }>>>();
  if (options.scenario?.kind === "game") {
    for (const mode of options.scenario.modes) caps.set(mode.name, mode.dropTable);
  }
  const flagged: LocalAnomaly[] = [];
  sheets.forEach((sheet, index) => {
    const mode = stats.get(sheet.game_mode ?? "");
    const rate = lootRate(unitsOf(sheet), sheet.match_duration);
    const rules: AnomalyRule[] = [];
    const threshold = mode ? rateThreshold(mode) : undefined;
    if (rate !== undefined && threshold !== undefined && rate > threshold) rules.push("loot_rate");
    const points = Object.values(sheet.locations);
    if (points.some(isOffMap)) rules.push("outside_map");
    if (hasStackedLocation(sheet.locations)) rules.push("stacked_location");
    const table = sheet.game_mode === undefined ? undefined : caps.get(sheet.game_mode);
    if (
      table &&
      Object.entries(sheet.looted_items).some(([item, count]) =>
        table[item] !== undefined && count > table[item]!.max
      )
    ) rules.push("above_drop_table");
    if (rules.length === 0) return;
    const locationRules = rules.filter((rule) =>
      rule === "outside_map" || rule === "stacked_location"
    ).length;
    flagged.push({
      index,
      match_id: sheet.match_id,
      player_id: sheet.player_id,
      rules,
      score: rateScore(rate, mode) + LOCATION_RULE_SCORE * locationRules,
    });
  });
  return flagged;
}

/** Precision and recall of flagged sheets against the sheets of known cheaters. */
export interface DetectionScore {
  /** Cheaters' sheets flagged. */
  truePositives: number;
  /** Honest sheets flagged. */
  falsePositives: number;
  /** Cheaters' sheets not flagged. */
  falseNegatives: number;
  /** Honest sheets in all. */
  honestSheets: number;
  /** Flagged sheets that are cheaters'. */
  precision: number;
  /** Cheaters' sheets that are flagged. */
  recall: number;
  /** Honest sheets that are flagged, as a share of honest sheets. */
  falsePositiveRate: number;
}

/** Scores flagged sheet keys (`match_id/player_id`) against the cheating players. */
export function scoreDetection(
  sheets: Iterable<Pick<StatSheet, "match_id" | "player_id">>,
  flagged: Iterable<Pick<StatSheet, "match_id" | "player_id">>,
  cheaters: Iterable<string>,
): DetectionScore {
  const cheating = new Set(cheaters);
  const flaggedKeys = new Set([...flagged].map((sheet) => `${sheet.match_id}/${sheet.player_id}`));
  let truePositives = 0, falsePositives = 0, falseNegatives = 0, honestSheets = 0;
  for (const sheet of sheets) {
    const isFlagged = flaggedKeys.has(`${sheet.match_id}/${sheet.player_id}`);
    if (cheating.has(sheet.player_id)) {
      if (isFlagged) truePositives++;
      else falseNegatives++;
    } else {
      honestSheets++;
      if (isFlagged) falsePositives++;
    }
  }
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    truePositives,
    falsePositives,
    falseNegatives,
    honestSheets,
    precision: ratio(truePositives, truePositives + falsePositives),
    recall: ratio(truePositives, truePositives + falseNegatives),
    falsePositiveRate: ratio(falsePositives, honestSheets),
  };
}
