/**
 * The notebook's sections after the five steps, for a game designer: Modes, Over time and Players.
 * Each fetches this run's data through the client (filtered by its match prefix) and returns the
 * charts to draw with a Markdown message saying what they show, or, for classic or with the server
 * down, plainly why there is nothing to show. `deno task demo` draws the same charts.
 * @module
 */
import type { LootClient } from "../client.ts";
import type { PlayerSummary } from "../analytics.ts";
import {
  buildLevelUnitsSpec,
  buildModeHeatmapsSpec,
  buildModeTotalsSpec,
  buildPlayerProgressionSpec,
  buildUnitsHistogramSpec,
  buildUnitsOverTimeSpec,
  type ModeGrid,
} from "../charts/analytics_specs.ts";
import { heatmapName, type NamedChart } from "./charts.ts";
import { matchPrefixOf, type PipelineConfig } from "./config.ts";
import { saveAndShowCharts, showMessage } from "./display.ts";

/** A section's outcome: Markdown to show first, then its charts (none when it has nothing to show). */
export interface SectionReport {
  /** What the charts show, or why there are none. */
  message: string;
  /** The charts, named as they are saved. */
  charts: NamedChart[];
}

/** Options of {@link fetchPlayersSection}. */
export interface PlayersSectionOptions {
  /** Players whose progression is drawn (default 5). */
  players?: number;
  /** Players fetched from `GET /api/players` to pick them from (default 20). */
  candidates?: number;
}

const SERVER_DOWN = "Skipped: the server is not available (see step 4).";

// A series shorter than this many hours is drawn per minute instead: one or two points make no line.
const MIN_HOURS = 3;

/**
 * Modes: `mode_totals` (per-mode totals, from `GET /api/aggregate?group_by=game_mode`) and
 * `<item>_heatmap_by_mode` (one heatmap per mode on one colour scale, from
 * `GET /api/heatmap/:item?bins=&game_mode=`), both over this run's sheets only.
 * @example
 * await showSection(await fetchModesSection(client, config), config.outputDir);
 */
export async function fetchModesSection(
  client: LootClient | undefined,
  config: PipelineConfig,
): Promise<SectionReport> {
  if (config.scenario.kind === "classic") {
    return skip(
      `**Modes:** classic has no game modes: set \`SCENARIO = "battle_royale"\` in the configuration cell (or run \`deno task demo --scenario battle_royale\`) to compare solo, duos and squads.`,
    );
  }
  if (!client) return skip(`**Modes:** ${SERVER_DOWN}`);
  const matchPrefix = matchPrefixOf(config);
  const { groups } = await client.aggregateBy("game_mode", { match_prefix: matchPrefix });
  const modes = groups.flatMap((group) => typeof group.key === "string" ? [group.key] : []);
  if (modes.length === 0) {
    return skip(`**Modes:** this run's sheets carry no game mode, so there is nothing to compare.`);
  }
  const grids: ModeGrid[] = await Promise.all(modes.map(async (mode) => ({
    mode,
    grid: await client.heatmapGrid(config.heatmapItem, {
      bins: config.bins,
      match_prefix: matchPrefix,
      game_mode: mode,
    }),
  })));
  const busiest = [...groups].sort((a, b) => b.total_matches - a.total_matches)[0]!;
  return {
    message: [
      `**Modes:** ${modes.length} game modes in this run (${
        groups.map((group) => `${group.key ?? "no mode"}: ${group.total_matches} matches`).join(
          ", ",
        )
      }; ${busiest.key ?? "no mode"} is played most).`,
      "Totals grow with a mode's share of matches; units per sheet compare the drop tables.",
      `The heatmaps share one colour scale, so a colour means the same count of ${config.heatmapItem} in every mode.`,
    ].join(" "),
    charts: [
      { name: "mode_totals", spec: buildModeTotalsSpec(groups, { items: config.items }) },
      { name: `${heatmapName(config.heatmapItem)}_by_mode`, spec: buildModeHeatmapsSpec(grids) },
    ],
  };
}

/**
 * Over time: `units_over_time`, units per hour by item (one `GET /api/timeseries?interval=hour`
 * over this run, each bucket's `total_items`); a run shorter than three hours is drawn per minute.
 */
export async function fetchOverTimeSection(
  client: LootClient | undefined,
  config: PipelineConfig,
): Promise<SectionReport> {
  if (config.scenario.kind === "classic") {
    return skip(
      `**Over time:** classic plays one match a minute with no daily rhythm, so there is nothing to see per hour: set \`SCENARIO = "battle_royale"\` and raise \`MATCHES\` (3,000 is about a day) to see the evening peak.`,
    );
  }
  if (!client) return skip(`**Over time:** ${SERVER_DOWN}`);
  const query = { match_prefix: matchPrefixOf(config) };
  const hourly = await client.timeseries("hour", query);
  if (hourly.buckets.length === 0) {
    return skip("**Over time:** the server holds no sheets of this run.");
  }
  const short = hourly.buckets.length < MIN_HOURS;
  const series = short ? await client.timeseries("minute", query) : hourly;
  return {
    message: short
      ? `**Over time:** this run spans under ${MIN_HOURS} hours, so units are drawn per minute. Raise \`MATCHES\` (3,000 is about a day of ${config.scenario.name}) to see the daily rhythm per hour.`
      : `**Over time:** units looted per hour over ${hourly.buckets.length} hours (UTC), one line per item; matches follow the scenario's daily schedule.`,
    charts: [{
      name: "units_over_time",
      spec: buildUnitsOverTimeSpec(series, { items: config.items }),
    }],
  };
}

/**
 * Players: `player_progression` (level and units by match number for the most active players,
 * from `GET /api/players` then `GET /api/players/:id`, each history cut to this run's matches),
 * `units_per_sheet` (a histogram over this run's sheets by mode) and `level_vs_units` (from
 * `GET /api/aggregate?group_by=player_level`).
 */
export async function fetchPlayersSection(
  client: LootClient | undefined,
  config: PipelineConfig,
  options: PlayersSectionOptions = {},
): Promise<SectionReport> {
  if (config.scenario.kind === "classic") {
    return skip(
      `**Players:** classic has no returning players and no levels (each player plays one match): set \`SCENARIO = "battle_royale"\` to follow players as they level up.`,
    );
  }
  if (!client) return skip(`**Players:** ${SERVER_DOWN}`);
  const matchPrefix = matchPrefixOf(config);
  const shown = options.players ?? 5;
  // The ranking covers every run on the server; each history is cut to this run's matches and the
  // players re-ranked by those, so another run's sheets never enter the charts.
  const { data: candidates } = await client.players({ limit: options.candidates ?? 20 });
  const histories = await Promise.all(
    candidates.map((row) => client.player(row.player_id)),
  );
  const active = histories.map((player) => cutToRun(player, matchPrefix))
    .filter((player) => player.history.length > 0)
    .sort((a, b) => b.history.length - a.history.length || compareIds(a.player_id, b.player_id))
    .slice(0, shown);
  const sheets = [];
  for await (const sheet of client.allStats({ match_prefix: matchPrefix, limit: 10_000 })) {
    sheets.push(sheet);
  }
  const levels = await client.aggregateBy("player_level", { match_prefix: matchPrefix });
  const charts: NamedChart[] = [];
  const notes: string[] = [];
  if (active.some((player) => player.history.length > 1)) {
    charts.push({ name: "player_progression", spec: buildPlayerProgressionSpec(active) });
    notes.push(
      `the ${active.length} most active players played ${
        active.map((player) => player.history.length).join(", ")
      } matches`,
    );
  } else {
    notes.push("no player played more than one match, so there is no progression to draw");
  }
  charts.push({ name: "units_per_sheet", spec: buildUnitsHistogramSpec(sheets) });
  if (levels.groups.some((group) => typeof group.key === "number")) {
    charts.push({ name: "level_vs_units", spec: buildLevelUnitsSpec(levels.groups) });
  } else {
    notes.push("the sheets carry no player level, so level against units is left out");
  }
  return {
    message: `**Players:** ${sheets.length.toLocaleString("en-US")} sheets in this run; ${
      notes.join("; ")
    }.${
      sheets.length < 5_000
        ? " Raise `MATCHES` for longer histories: players level up every few matches."
        : ""
    }`,
    charts,
  };
}

/** Shows a section: its message, then its charts, saved under `dir` (see {@link saveAndShowCharts}). */
export async function showSection(section: SectionReport, dir: string): Promise<void> {
  await showMessage(section.message);
  if (section.charts.length > 0) await saveAndShowCharts(section.charts, dir);
}

function skip(message: string): SectionReport {
  return { message, charts: [] };
}

/**
 * The player's matches in this run, in the order they were played. The API lists a history by
 * timestamp, which the simulator sets when a match ends; a player's matches may overlap (a long
 * squads match started before a short solo one), so play order is the match ids' order, which a
 * run numbers by start time.
 */
function cutToRun(player: PlayerSummary, matchPrefix: string): PlayerSummary {
  const history = player.history.filter((match) => match.match_id.startsWith(matchPrefix))
    .sort((a, b) => compareIds(a.match_id, b.match_id));
  return { ...player, matches: history.length, history };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
