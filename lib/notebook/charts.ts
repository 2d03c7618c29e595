/**
 * The charts the notebook and the demo draw at each step, named as the original notebook saved them.
 * @module
 */
import {
  buildComparisonSpec,
  buildHeatmapSpec,
  buildItemDistributionSpec,
  buildLootTotalsSpec,
  buildPerformanceDashboardSpec,
  type ChartSpec,
} from "../charts/specs.ts";
import type { PipelineConfig } from "./config.ts";
import type { LocalReport, ServerReport } from "./steps.ts";

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

/** `duck_heatmap` for rubber ducks (the original's name), `<item>_heatmap` otherwise. */
export function heatmapName(item: string): string {
  return item === "rubber_duck" ? "duck_heatmap" : `${item}_heatmap`;
}
