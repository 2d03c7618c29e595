/**
 * A/B experiments: how a scenario assigns players to variants, and how an experiment is analysed
 * with the player as the unit (Welch's t-test per variant against control, a sample-ratio-mismatch
 * check). {@link analyzeExperiment} is the one analysis: the server feeds it per-player totals from
 * its rollups, the notebook and tests feed it totals from sheets ({@link collectExperimentPlayers}).
 * @module
 */
import { ValidationError } from "./errors.ts";
import { chiSquareGoodnessOfFit, summarizeSample, welchTest } from "./statistics.ts";
import type { StatSheet } from "./types.ts";

/** One arm of an experiment: its share of players and what it changes. */
export interface ExperimentVariant {
  /** Variant name (the item-name pattern); one variant is `control`. */
  name: string;
  /** Relative share of players (normalised over the variants). */
  share: number;
  /** Item → factor on the item's expected units (the Poisson mean, before the drop table's cap). */
  dropMultipliers: Readonly<Record<string, number>>;
}

/** An experiment a scenario runs: every player of the pool is in exactly one variant. */
export interface Experiment {
  /** Experiment name (the item-name pattern), written to each sheet's `experiment`. */
  name: string;
  /** Variants, `control` among them, at least two. */
  variants: readonly ExperimentVariant[];
}

/**
 * Where a player lands in `[0, 1)` for an experiment: FNV-1a (32-bit) of `experiment + ":" +
 * playerId`, mixed by MurmurHash3's 32-bit finalizer, divided by 2^32. Deterministic, so a returning player keeps their variant, and
 * independent across experiments.
 */
export function assignmentPoint(experiment: string, playerId: string): number {
  let hash = 0x811c9dc5;
  const text = `${experiment}:${playerId}`;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  // MurmurHash3's finalizer: FNV alone leaves ids that differ in their last digit too close.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/**
 * The variant of `playerId` in `experiment`: the variant whose slice of `[0, 1)` (shares
 * normalised, in the listed order) holds {@link assignmentPoint}.
 * @example
 * assignVariant(experiment, "player_0042").name; // "control" or "treatment", the same every run
 */
export function assignVariant(experiment: Experiment, playerId: string): ExperimentVariant {
  const point = assignmentPoint(experiment.name, playerId);
  const total = experiment.variants.reduce((sum, variant) => sum + variant.share, 0);
  let bound = 0;
  for (const variant of experiment.variants) {
    bound += variant.share / total;
    if (point < bound) return variant;
  }
  return experiment.variants.findLast((variant) => variant.share > 0)!;
}

/** What an experiment is measured on: a sheet's total units, or one item's units. */
export type ExperimentMetric = { kind: "units" } | { kind: "item"; item: string };

/** Formats a metric as the API spells it: `units` or `item:<item>`. */
export function formatMetric(metric: ExperimentMetric): string {
  return metric.kind === "units" ? "units" : `item:${metric.item}`;
}

/** What `GET /api/experiments/:name` asks for. */
export interface ExperimentRequest {
  /** The experiment. */
  name: string;
  /** The player metric (default `units`). */
  metric: ExperimentMetric;
  /** The control variant's name (default `control`). */
  control: string;
  /** Planned shares of players per variant, in variant-name order; equal when absent. */
  split?: readonly number[];
  /** Significance level, in (0, 1) (default 0.05). */
  alpha: number;
}

/** One player's sheets and metric total in an experiment: what the analysis reads. */
export interface ExperimentPlayer {
  /** The player's variant. */
  variant: string;
  /** The player. */
  player_id: string;
  /** Sheets of the player in the experiment. */
  sheets: number;
  /** The metric summed over those sheets (units, or one item's units). */
  total: number;
}

/** One variant in an analysis: players, sheets and the per-player metric's mean and variance. */
export interface VariantSummary {
  /** The variant. */
  variant: string;
  /** Players (the unit of analysis). */
  players: number;
  /** Sheets of those players in the experiment. */
  sheets: number;
  /** Mean over players of each player's mean metric per sheet. */
  mean: number;
  /** Sample variance (n − 1) of the players' means. */
  variance: number;
}

/** A variant compared with control by Welch's t-test. */
export interface VariantComparison {
  /** The variant compared. */
  variant: string;
  /** mean(variant) − mean(control). */
  diff: number;
  /** diff / mean(control); null when the control mean is 0. */
  relative_diff: number | null;
  /** Lower end of the (1 − alpha) confidence interval of diff. */
  ci_low: number;
  /** Upper end of the (1 − alpha) confidence interval of diff. */
  ci_high: number;
  /** Two-sided p-value. */
  p_value: number;
  /** p_value < alpha. */
  significant: boolean;
}

/** The sample-ratio-mismatch check: players per variant against the planned split. */
export interface SrmCheck {
  /** Players per variant. */
  observed: Record<string, number>;
  /** Players per variant the split expects. */
  expected: Record<string, number>;
  /** Pearson's chi-square statistic. */
  chi2: number;
  /** P(X ≥ chi2) with variants − 1 degrees of freedom. */
  p_value: number;
  /** p_value < {@link SRM_THRESHOLD}: the assignment is not what was planned. */
  mismatch: boolean;
}

/** The `data` of `GET /api/experiments/:name`. */
export interface ExperimentAnalysis {
  /** The experiment. */
  experiment: string;
  /** `units` or `item:<item>`. */
  metric: string;
  /** Always `player`: the randomization unit is the analysis unit. */
  unit: "player";
  /** The control variant. */
  control: string;
  /** Every variant, sorted by name. */
  variants: VariantSummary[];
  /** Every non-control variant against control, in variant order. */
  comparisons: VariantComparison[];
  /** The sample-ratio-mismatch check. */
  srm: SrmCheck;
}

/** One experiment in `GET /api/experiments`. */
export interface ExperimentListing {
  /** The experiment. */
  experiment: string;
  /** Its variants, sorted by name, with sheets and distinct players. */
  variants: { variant: string; sheets: number; players: number }[];
}

/** p-value below which the split counts as mismatched (the usual SRM threshold). */
export const SRM_THRESHOLD = 0.001;

/** One variant's players summarised: what {@link compareVariants} needs. */
export interface VariantStats {
  /** The variant. */
  variant: string;
  /** Players. */
  n: number;
  /** Sheets of those players. */
  sheets: number;
  /** Mean of the players' metric (each player's total / sheets). */
  mean: number;
  /** Sample variance (n − 1) of the players' metric; NaN below 2 players. */
  variance: number;
}

/**
 * Summarises per-player totals by variant: each player's metric is `total / sheets`; mean and
 * variance (two passes) across players. The server computes the same in SQL over its rollup.
 */
export function summarizeVariants(players: readonly ExperimentPlayer[]): VariantStats[] {
  const byVariant = new Map<string, { means: number[]; sheets: number }>();
  for (const player of players) {
    if (player.sheets <= 0) continue;
    const entry = byVariant.get(player.variant) ?? { means: [], sheets: 0 };
    entry.means.push(player.total / player.sheets);
    entry.sheets += player.sheets;
    byVariant.set(player.variant, entry);
  }
  return [...byVariant.entries()].map(([variant, entry]) => ({
    variant,
    sheets: entry.sheets,
    ...summarizeSample(entry.means),
  }));
}

/**
 * Analyses an experiment from per-player totals ({@link summarizeVariants}, then
 * {@link compareVariants}).
 * @example
 * const analysis = analyzeExperiment(collectExperimentPlayers(sheets, "drop_boost"), request);
 */
export function analyzeExperiment(
  players: readonly ExperimentPlayer[],
  request: ExperimentRequest,
): ExperimentAnalysis {
  return compareVariants(summarizeVariants(players), request);
}

/**
 * Compares each non-control variant with control by Welch's t-test and checks the player counts
 * against the split (SRM). Throws `ValidationError` (a 400) when the control is unknown, the split
 * does not match the variants, or a variant has fewer than 2 players.
 */
export function compareVariants(
  stats: readonly VariantStats[],
  request: ExperimentRequest,
): ExperimentAnalysis {
  const summaries = new Map(stats.map((entry) => [entry.variant, entry]));
  const names = [...summaries.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const fail = (path: string, message: string): never => {
    throw new ValidationError([{ path, message }], { summary: "Cannot analyse the experiment" });
  };
  if (!summaries.has(request.control)) {
    fail(
      "control",
      `control ${JSON.stringify(request.control)} is not a variant of ${request.name} (it has ${
        names.join(", ")
      })`,
    );
  }
  const split = request.split ?? names.map(() => 1);
  if (split.length !== names.length) {
    fail(
      "split",
      `split must give one share per variant (${names.length}: ${
        names.join(", ")
      }, in that order), got ${split.length}`,
    );
  }
  const small = names.filter((name) => summaries.get(name)!.n < 2);
  if (small.length > 0) {
    fail(
      "",
      `Every variant needs at least 2 players; ${
        small.map((name) => `${name} has ${summaries.get(name)!.n}`).join(", ")
      }`,
    );
  }
  const control = summaries.get(request.control)!;
  const comparisons = names.filter((name) => name !== request.control).map((name) => {
    const result = welchTest(control, summaries.get(name)!, request.alpha);
    return {
      variant: name,
      diff: result.diff,
      relative_diff: control.mean === 0 ? null : result.diff / control.mean,
      ci_low: result.ciLow,
      ci_high: result.ciHigh,
      p_value: result.pValue,
      significant: result.pValue < request.alpha,
    };
  });
  const observed = names.map((name) => summaries.get(name)!.n);
  const fit = chiSquareGoodnessOfFit(observed, split);
  return {
    experiment: request.name,
    metric: formatMetric(request.metric),
    unit: "player",
    control: request.control,
    variants: names.map((name) => {
      const summary = summaries.get(name)!;
      return {
        variant: name,
        players: summary.n,
        sheets: summary.sheets,
        mean: summary.mean,
        variance: summary.variance,
      };
    }),
    comparisons,
    srm: {
      observed: Object.fromEntries(names.map((name, index) => [name, observed[index]!])),
      expected: Object.fromEntries(names.map((name, index) => [name, fit.expected[index]!])),
      chi2: fit.chi2,
      p_value: fit.pValue,
      mismatch: fit.pValue < SRM_THRESHOLD,
    },
  };
}

/** The metric of one sheet: its total units, or one item's units (0 when absent). */
export function sheetMetric(
  sheet: Pick<StatSheet, "looted_items">,
  metric: ExperimentMetric,
): number {
  if (metric.kind === "item") return sheet.looted_items[metric.item] ?? 0;
  let units = 0;
  for (const count of Object.values(sheet.looted_items)) units += count;
  return units;
}

/** Per-player totals of `experiment` from sheets: the local twin of the server's rollup. */
export function collectExperimentPlayers(
  sheets: Iterable<StatSheet>,
  experiment: string,
  metric: ExperimentMetric = { kind: "units" },
): ExperimentPlayer[] {
  const players = new Map<string, ExperimentPlayer>();
  for (const sheet of sheets) {
    if (sheet.experiment !== experiment || sheet.variant === undefined) continue;
    const key = `${sheet.variant}\u0000${sheet.player_id}`;
    const row = players.get(key) ??
      { variant: sheet.variant, player_id: sheet.player_id, sheets: 0, total: 0 };
    row.sheets++;
    row.total += sheetMetric(sheet, metric);
    players.set(key, row);
  }
  return [...players.values()];
}

/** Experiments found in sheets, as `GET /api/experiments` lists them (sorted by name). */
export function listExperiments(sheets: Iterable<StatSheet>): ExperimentListing[] {
  const found = new Map<string, Map<string, { sheets: number; players: Set<string> }>>();
  for (const sheet of sheets) {
    if (sheet.experiment === undefined || sheet.variant === undefined) continue;
    const variants = found.get(sheet.experiment) ?? new Map();
    const entry = variants.get(sheet.variant) ?? { sheets: 0, players: new Set<string>() };
    entry.sheets++;
    entry.players.add(sheet.player_id);
    variants.set(sheet.variant, entry);
    found.set(sheet.experiment, variants);
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...found.keys()].sort(byName).map((experiment) => {
    const variants = found.get(experiment)!;
    return {
      experiment,
      variants: [...variants.keys()].sort(byName).map((variant) => ({
        variant,
        sheets: variants.get(variant)!.sheets,
        players: variants.get(variant)!.players.size,
      })),
    };
  });
}
