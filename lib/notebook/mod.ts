/**
 * Everything the notebook calls, from one import: the domain, the charts, the run's configuration,
 * its steps, the charts each step draws, and the Jupyter display helpers.
 * @module
 */
export * from "../mod.ts";
export * from "../charts/mod.ts";
export * from "./config.ts";
export * from "./steps.ts";
export * from "./charts.ts";
export * from "./display.ts";
export * from "./sections.ts";
export * from "./experiments.ts";
export * from "./live.ts";
