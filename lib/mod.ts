/**
 * Loot Telemetry's pure domain: the stat-sheet contract and its validation, what gets stored
 * (`prepareSheet`), the simulator, local aggregation, heatmap geometry and the API client. The
 * server imports this and nothing else of `lib/`; charts live in `lib/charts/mod.ts`, the
 * notebook's helpers in `lib/notebook/mod.ts`.
 * @module
 */
export * from "./types.ts";
export * from "./errors.ts";
export * from "./items.ts";
export { createRandom, type Random } from "./random.ts";
export {
  describeTimestampRange,
  formatTimestamp,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  parseIsoTimestamp,
} from "./timestamps.ts";
export { correctTimestamp, MAX_CLOCK_SKEW_MS, MAX_FUTURE_MS } from "./clock.ts";
export { type PreparedSheet, prepareSheet, prepareSheets } from "./prepare.ts";
export {
  type BatchValidator,
  countCharacters,
  createBatchValidator,
  parseStatSheet,
  parseStatSheetBatch,
  SHEET_LIMITS,
  typeName,
} from "./validate.ts";
export {
  JsonTextError,
  MAX_JSON_DEPTH,
  measureJsonDepth,
  parseJsonBounded,
  splitJsonArray,
} from "./json.ts";
export {
  canonicalJson,
  fingerprintSheet,
  fingerprintStatSheet,
  hashJson,
  isFingerprintOf,
} from "./fingerprint.ts";
export {
  chooseMatchPrefix,
  lastSimulatedTimestamp,
  MATCH_PREFIX_PATTERN,
  type ResolvedSimulationOptions,
  resolveSimulationOptions,
  simulateMatches,
  SIMULATION_DEFAULTS,
  SIMULATION_LIMITS,
  type SimulationOptions,
} from "./simulate.ts";
export {
  AB_TREATMENT_LIFT,
  BUILTIN_SCENARIOS,
  chooseScenarioPrefix,
  type ClassicScenario,
  countScenarioSheets,
  DEFAULT_SCENARIO,
  type DropRate,
  findScenario,
  formatScenario,
  type GameMode,
  type GameScenario,
  lastScenarioTimestamp,
  listCheaters,
  listScenarioItems,
  loadScenario,
  type LootZone,
  type MatchSchedule,
  parseScenario,
  type PlayerPool,
  type Scenario,
  SCENARIO_LIMITS,
  type ScenarioOptions,
  scenarioStartTime,
  simulateScenario,
} from "./scenario.ts";
export { aggregateLoot } from "./aggregate.ts";
export {
  type AggregateFilter,
  type AggregateRequest,
  ANOMALIES_PAGE,
  type AnomaliesRequest,
  countBuckets,
  describeTooManyBuckets,
  type ExportRequest,
  formatPlayerCursor,
  type HeatmapRequest,
  type LiveRequest,
  parseAggregateQuery,
  parseAnomaliesQuery,
  parseExperimentQuery,
  parseExperimentsQuery,
  parseExportQuery,
  parseHeatmapQuery,
  parseLiveQuery,
  parsePlayerId,
  parsePlayersQuery,
  parseStatsQuery,
  parseTimeseriesQuery,
  type PlayerCursor,
  PLAYERS_PAGE,
  type PlayersRequest,
  type SheetFilter,
  STATS_PAGE,
  type TimeseriesRequest,
} from "./query.ts";
export {
  type AggregateGroup,
  bucketStartOf,
  buildTimeseries,
  compareGroupKeys,
  formatBucketStart,
  GROUP_BY_DIMENSIONS,
  groupAggregate,
  type GroupBy,
  type GroupedAggregate,
  groupKeyOf,
  INTERVAL_MS,
  MAX_TIME_BUCKETS,
  type PlayerMatch,
  type PlayerRow,
  type PlayerSummary,
  rankPlayers,
  summarizePlayer,
  TIME_INTERVALS,
  type TimeBucket,
  type TimeInterval,
  type Timeseries,
} from "./analytics.ts";
export {
  addToCell,
  addToGrid,
  BASE_BINS,
  baseCellIndex,
  binIndex,
  binIndexSql,
  binItemLocations,
  type BinningOptions,
  createEmptyGrid,
  findRollupResolution,
  MAP_SIZE,
  MAX_BINS,
  MAX_HEATMAP_POINTS,
  ROLLUP_RESOLUTIONS,
  type SqlDialect,
} from "./heatmap.ts";
export {
  formatNdjson,
  type NdjsonLine,
  NdjsonTooLargeError,
  parseNdjson,
  readNdjson,
} from "./ndjson.ts";
export {
  createTextEncoder,
  describeItemColumns,
  EXPORT_FORMATS,
  EXPORT_MEDIA,
  type ExportFormat,
  FIXED_EXPORT_COLUMNS,
  formatCsvField,
  formatCsvRow,
  formatExportFileName,
  neutraliseFormula,
  type SheetEncoder,
} from "./export.ts";
export * from "./client.ts";
export { formatCount, formatProgressBar, formatUploadProgress } from "./progress.ts";
export { type DatasetProfile, profileSheets } from "./profile.ts";
export {
  analyzeExperiment,
  assignmentPoint,
  assignVariant,
  collectExperimentPlayers,
  compareVariants,
  type Experiment,
  type ExperimentAnalysis,
  type ExperimentListing,
  type ExperimentMetric,
  type ExperimentPlayer,
  type ExperimentRequest,
  type ExperimentVariant,
  formatMetric,
  listExperiments,
  sheetMetric,
  SRM_THRESHOLD,
  type SrmCheck,
  summarizeVariants,
  type VariantComparison,
  type VariantStats,
  type VariantSummary,
} from "./experiment.ts";
export {
  chiSquareGoodnessOfFit,
  type ChiSquareResult,
  chiSquareSurvival,
  median,
  medianAbsoluteDeviation,
  type SampleSummary,
  studentTCdf,
  studentTQuantile,
  summarizeSample,
  type WelchResult,
  welchTest,
} from "./statistics.ts";
export {
  type AnomalyRow,
  type AnomalyRule,
  computeModeRateStats,
  detectAnomalies,
  type DetectionScore,
  hasStackedLocation,
  isOffMap,
  type LocalAnomaly,
  LOCATION_RULE_SCORE,
  lootRate,
  MAD_SCALE,
  type ModeRateStats,
  RATE_MAD_THRESHOLD,
  rateScore,
  rateThreshold,
  scoreDetection,
  STACK_MIN_ITEMS,
} from "./anomalies.ts";
export {
  buildPlayerProfiles,
  type PlayerProfile,
  type Segment,
  type Segmentation,
  segmentPlayers,
} from "./segments.ts";
export { assembleTimeseries, timeRollupAnswers, type TimeRow } from "./timeseries_rows.ts";
export { assembleGroupedAggregate, type GroupCountRow, type GroupItemRow } from "./group_rows.ts";
