/**
 * Vega-Lite specs of the notebook's Experiment and Segments sections (pure).
 * @module
 */
import type { ExperimentAnalysis } from "../experiment.ts";
import type { Segmentation } from "../segments.ts";
import { studentTQuantile } from "../statistics.ts";
import type { ChartSpec } from "./specs.ts";

/** Per-variant means of the player metric with their (1 − alpha) confidence intervals as error bars. */
export function buildVariantMeansSpec(analysis: ExperimentAnalysis, alpha = 0.05): ChartSpec {
  const rows = analysis.variants.map((variant) => {
    const half = studentTQuantile(1 - alpha / 2, variant.players - 1) *
      Math.sqrt(variant.variance / variant.players);
    return {
      variant: variant.variant,
      mean: variant.mean,
      low: variant.mean - half,
      high: variant.mean + half,
      players: variant.players,
    };
  });
  return {
    title: {
      text: `${analysis.experiment}: ${analysis.metric} per player, by variant`,
      subtitle: `Mean of each player's mean per match, ${Math.round((1 - alpha) * 100)} % CI`,
    },
    width: 420,
    height: 60 + rows.length * 40,
    data: { values: rows },
    encoding: { y: { field: "variant", type: "nominal", title: "Variant" } },
    layer: [
      {
        mark: { type: "bar", color: "#9fb3c8", height: 22 },
        encoding: {
          x: { field: "mean", type: "quantitative", title: `${analysis.metric} per match` },
        },
      },
      {
        mark: { type: "rule", color: "#102a43", strokeWidth: 2 },
        encoding: { x: { field: "low", type: "quantitative" }, x2: { field: "high" } },
      },
    ],
  };
}

/** Each variant's difference from control with its confidence interval, and zero marked. */
export function buildDifferenceSpec(analysis: ExperimentAnalysis): ChartSpec {
  const rows = analysis.comparisons.map((comparison) => ({
    variant: comparison.variant,
    diff: comparison.diff,
    low: comparison.ci_low,
    high: comparison.ci_high,
    significant: comparison.significant ? "significant" : "not significant",
  }));
  return {
    title: {
      text: `${analysis.experiment}: difference from ${analysis.control}`,
      subtitle: "Welch's t-test, players as the unit",
    },
    width: 420,
    height: 60 + rows.length * 40,
    layer: [
      {
        data: { values: rows },
        mark: { type: "rule", strokeWidth: 3 },
        encoding: {
          y: { field: "variant", type: "nominal", title: "Variant" },
          x: { field: "low", type: "quantitative", title: `Difference in ${analysis.metric}` },
          x2: { field: "high" },
          color: { field: "significant", type: "nominal", title: null },
        },
      },
      {
        data: { values: rows },
        mark: { type: "point", filled: true, size: 80, color: "#102a43" },
        encoding: {
          y: { field: "variant", type: "nominal" },
          x: { field: "diff", type: "quantitative" },
        },
      },
      {
        data: { values: [{ zero: 0 }] },
        mark: { type: "rule", strokeDash: [4, 3], color: "#829ab1" },
        encoding: { x: { field: "zero", type: "quantitative" } },
      },
    ],
  };
}

/** Players by units per match and level, coloured by segment. */
export function buildSegmentsSpec(segmentation: Segmentation): ChartSpec {
  const names = new Map(
    segmentation.segments.map((segment) => [
      segment.segment,
      `${segment.segment + 1}. ${segment.description}`,
    ]),
  );
  return {
    title: {
      text: "Player segments (k-means)",
      subtitle:
        `${segmentation.assignments.length} players, ${segmentation.segments.length} segments`,
    },
    width: 480,
    height: 320,
    data: {
      values: segmentation.assignments.map((player) => ({
        units_per_match: player.units_per_match,
        level: player.level,
        segment: names.get(player.segment),
      })),
    },
    mark: { type: "point", filled: true, opacity: 0.7 },
    encoding: {
      x: { field: "level", type: "quantitative", title: "Level" },
      y: { field: "units_per_match", type: "quantitative", title: "Units per match" },
      color: { field: "segment", type: "nominal", title: "Segment" },
    },
  };
}
