/**
 * Charts: Vega-Lite specs (pure) and their rendering to SVG and PNG files (I/O).
 * @module
 */
export * from "./specs.ts";
export * from "./theme.ts";
export * from "./render.ts";
export * from "./analytics_specs.ts";
export * from "./experiments.ts";
