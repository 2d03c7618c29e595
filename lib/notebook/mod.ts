/**
 * Everything the notebook calls, from one import: the domain, the charts, the pipeline steps and the
 * Jupyter display helpers.
 * @module
 */
export * from "../mod.ts";
export * from "../charts/mod.ts";
export * from "../pipeline.ts";
export * from "../notebook.ts";
