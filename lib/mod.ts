/**
 * Loot Telemetry's shared library: the stat-sheet contract, the simulator, local aggregation and
 * the API client. The server, the CLI and the notebook all call these.
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./items.ts";
export { createRandom, type Random } from "./random.ts";
export { formatTimestamp, parseIsoTimestamp } from "./timestamps.ts";
export { correctTimestamp, findFutureTimestamps, MAX_FUTURE_MS } from "./clock.ts";
export { parseStatSheet, parseStatSheetBatch, SHEET_LIMITS, typeName } from "./validate.ts";
export { canonicalJson, fingerprintStatSheet, hashJson } from "./fingerprint.ts";
export {
  lastSimulatedTimestamp,
  MATCH_PREFIX_PATTERN,
  type ResolvedSimulationOptions,
  resolveSimulationOptions,
  simulateMatches,
  SIMULATION_DEFAULTS,
  type SimulationOptions,
} from "./simulate.ts";
export {
  addToGrid,
  aggregateLoot,
  BASE_BINS,
  baseCellIndex,
  binIndex,
  binItemLocations,
  type BinningOptions,
  createEmptyGrid,
} from "./aggregate.ts";
export {
  formatNdjson,
  type NdjsonLine,
  NdjsonTooLargeError,
  parseNdjson,
  readNdjson,
} from "./ndjson.ts";
export * from "./client.ts";
export { formatCount, formatProgressBar, formatUploadProgress } from "./progress.ts";
export { type DatasetProfile, profileSheets } from "./profile.ts";
export * from "./pipeline.ts";
export * from "./charts/specs.ts";
export * from "./charts/theme.ts";
export * from "./charts/render.ts";
export * from "./notebook.ts";
