/**
 * The notebook's Experiment, Segments and Suspicious sheets sections: each explains and skips
 * when the scenario has nothing to show (classic), and otherwise prints plain words, a table and
 * charts. Pure wording lives in `describeExperiment`; the rest calls lib and the client.
 * @module
 */
import { detectAnomalies, scoreDetection } from "../anomalies.ts";
import {
  buildDifferenceSpec,
  buildSegmentsSpec,
  buildVariantMeansSpec,
} from "../charts/experiments.ts";
import type { LootClient } from "../client.ts";
import {
  analyzeExperiment,
  collectExperimentPlayers,
  type ExperimentAnalysis,
} from "../experiment.ts";
import { listCheaters, simulateScenario } from "../scenario.ts";
import { segmentPlayers } from "../segments.ts";
import type { StatSheet } from "../types.ts";
import type { PipelineConfig } from "./config.ts";
import { toScenarioOptions } from "./config.ts";
import { saveAndShowCharts, showMessage, showTable } from "./display.ts";

function formatPercent(value: number): string {
  return `${(value * 100).toFixed(1)} %`;
}

function formatP(p: number): string {
  return p < 0.001 ? "p < 0.001" : `p = ${p.toFixed(3)}`;
}

/**
 * One sentence per non-control variant, in plain words, with the SRM verdict, e.g. "Treatment
 * players loot 9.8 % more units (95 % CI 6.1 % to 13.5 %, p < 0.001); the split is as planned".
 */
export function describeExperiment(analysis: ExperimentAnalysis, alpha = 0.05): string[] {
  const control = analysis.variants.find((variant) => variant.variant === analysis.control)!;
  const what = analysis.metric === "units" ? "units" : analysis.metric.slice(5);
  const level = `${Math.round((1 - alpha) * 100)} % CI`;
  const split = analysis.srm.mismatch
    ? `the split is NOT as planned (sample ratio mismatch, ${
      formatP(analysis.srm.p_value)
    }): check the assignment before trusting the result`
    : "the split is as planned";
  return analysis.comparisons.map((comparison) => {
    const name = comparison.variant[0]!.toUpperCase() + comparison.variant.slice(1);
    const relative = comparison.diff / control.mean;
    const low = comparison.ci_low / control.mean;
    const high = comparison.ci_high / control.mean;
    const direction = relative >= 0 ? "more" : "less";
    const verdict = comparison.significant ? "" : `, not significant at α = ${alpha}`;
    return `${name} players loot ${
      formatPercent(Math.abs(relative))
    } ${direction} ${what} (${level} ${formatPercent(low)} to ${formatPercent(high)}, ${
      formatP(comparison.p_value)
    }${verdict}); ${split}`;
  });
}

/**
 * The Experiment section: the scenario's experiment analysed by the server when it answers (all
 * of the experiment's sheets it holds), else locally from this run's sheets.
 */
export async function showExperimentSection(
  client: LootClient,
  config: PipelineConfig,
  sheets: readonly StatSheet[],
  options: { healthy: boolean; alpha?: number },
): Promise<ExperimentAnalysis | undefined> {
  const experiment = config.scenario.kind === "game" ? config.scenario.experiment : undefined;
  if (!experiment) {
    await showMessage(
      `Scenario \`${config.scenario.name}\` runs no experiment, so there is nothing to test. Set \`SCENARIO = "battle_royale_ab"\` in the configuration cell and rerun to see one.`,
    );
    return undefined;
  }
  const alpha = options.alpha ?? 0.05;
  const request = {
    name: experiment.name,
    metric: { kind: "units" as const },
    control: "control",
    alpha,
  };
  const analysis = options.healthy
    ? await client.experiment(experiment.name, { alpha })
    : analyzeExperiment(collectExperimentPlayers(sheets, experiment.name), request);
  const source = options.healthy
    ? "the server (every sheet of the experiment it holds)"
    : "this run's sheets";
  await showMessage(
    `**${experiment.name}**, from ${source}: ${describeExperiment(analysis, alpha).join(" ")}.`,
  );
  await showTable(analysis.variants.map((variant) => ({ ...variant })));
  await saveAndShowCharts([
    { name: "experiment_means", spec: buildVariantMeansSpec(analysis, alpha) },
    { name: "experiment_difference", spec: buildDifferenceSpec(analysis) },
  ], config.outputDir);
  return analysis;
}

/** The Segments section: k-means over this run's players; skipped when no player came back. */
export async function showSegmentsSection(
  config: PipelineConfig,
  sheets: readonly StatSheet[],
  options: { k?: number } = {},
): Promise<void> {
  const players = new Set(sheets.map((sheet) => sheet.player_id));
  if (config.scenario.kind === "classic" || players.size === sheets.length) {
    await showMessage(
      `Scenario \`${config.scenario.name}\` has no returning players (each plays one match), so player profiles would be single matches. Use \`battle_royale\` or \`battle_royale_ab\` to see segments.`,
    );
    return;
  }
  const segmentation = segmentPlayers(sheets, { k: options.k ?? 4, seed: config.seed });
  await showTable(segmentation.segments.map((segment) => ({
    segment: segment.segment + 1,
    description: segment.description,
    players: segment.players,
    units_per_match: Number(segment.units_per_match.toFixed(2)),
    level: Number(segment.level.toFixed(1)),
    [`${segment.signature_item}_share`]: formatPercent(segment.shares[segment.signature_item] ?? 0),
  })));
  await saveAndShowCharts(
    [{ name: "player_segments", spec: buildSegmentsSpec(segmentation) }],
    config.outputDir,
  );
}

/**
 * The Suspicious sheets section: what the server flags among its sheets (when it answers), then
 * a run of the same scenario with `cheaters` planted, scored locally by the same rules.
 */
export async function showSuspiciousSection(
  client: LootClient,
  config: PipelineConfig,
  options: { healthy: boolean; cheaters: number },
): Promise<void> {
  if (options.healthy) {
    const page = await client.anomalies({ limit: 10 });
    if (page.data.length === 0) await showMessage("The server flags none of its sheets.");
    else {
      await showMessage("The server's newest flagged sheets:");
      await showTable(
        page.data.map((row) => ({
          ...row,
          rules: row.rules.join(", "),
          score: Number(row.score.toFixed(1)),
        })),
      );
    }
  }
  if (config.scenario.kind === "classic") {
    await showMessage(
      "Cheaters are planted in game scenarios only (classic has no returning players): set `SCENARIO` to `battle_royale` to score detection.",
    );
    return;
  }
  const run = { ...toScenarioOptions(config), cheaters: options.cheaters, matchPrefix: undefined };
  const sheets = [...simulateScenario(config.scenario, run)];
  const cheaters = listCheaters(config.scenario, run);
  const flagged = detectAnomalies(sheets);
  const score = scoreDetection(sheets, flagged, cheaters);
  await showMessage(
    `With ${formatPercent(options.cheaters)} of players cheating (${cheaters.length} players, ${
      score.truePositives + score.falseNegatives
    } of ${sheets.length} sheets), the rules flag ${flagged.length} sheets: precision ${
      formatPercent(score.precision)
    }, recall ${formatPercent(score.recall)}, false positives ${
      formatPercent(score.falsePositiveRate)
    } of honest sheets.`,
  );
  await showTable(
    flagged.slice(0, 10).map((row) => ({
      match_id: row.match_id,
      player_id: row.player_id,
      cheater: cheaters.includes(row.player_id) ? "yes" : "no",
      rules: row.rules.join(", "),
      score: Number(row.score.toFixed(1)),
    })),
  );
}
