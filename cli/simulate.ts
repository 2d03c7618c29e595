/**
 * `deno task simulate`: the original `data_generator.py` — generate seeded stat sheets and upload
 * them to a server, or write them as NDJSON.
 * @module
 */
import { dirname } from "node:path";
import {
  aggregateLoot,
  ApiError,
  chooseScenarioPrefix,
  countScenarioSheets,
  createClient,
  DEFAULT_SCENARIO,
  formatCount,
  formatUploadProgress,
  lastScenarioTimestamp,
  listCheaters,
  MAX_FUTURE_MS,
  type Scenario,
  type ScenarioOptions,
  scenarioStartTime,
  simulateScenario,
  SIMULATION_DEFAULTS,
  type UploadSummary,
  ValidationError,
} from "../lib/mod.ts";
import { SIMULATION_LIMITS } from "../lib/simulate.ts";
import { runMain, StartupError } from "../server/startup.ts";
import {
  createProgressWriter,
  FlagError,
  formatTable,
  noteOverwrite,
  readFlags,
  readIntegerFlag,
  readScenarioFlag,
  readServerUrl,
  red,
  reportUsageError,
  stderrHasColor,
} from "./_terminal.ts";

const USAGE = `Usage: deno task simulate [options]

Generates stat sheets (seeded: the same options give the same sheets) and uploads them.

Options:
  --scenario S        What to simulate: classic (default, the original generator), battle_royale,
                      or a JSON scenario file (see docs/scenarios/example.json)
  --matches N         Matches to simulate (default ${SIMULATION_DEFAULTS.matches})
  --players N         Players per match, classic only (default ${SIMULATION_DEFAULTS.playersPerMatch})
  --items A,B,…       Item names (default ${SIMULATION_DEFAULTS.items.join(",")}); with another
                      scenario, a subset of its drop tables' items (default all of them)
  --max-per-item N    Largest count of one item per player, classic only (default ${SIMULATION_DEFAULTS.maxPerItem})
  --seed N            PRNG seed (default ${SIMULATION_DEFAULTS.seed})
  --start-time ISO    When the first match starts (default ${SIMULATION_DEFAULTS.startTime}, or the
                      scenario's schedule)
  --run-prefix P      Match ids are P_001, P_002, … (default: match for the default settings, else
                      sim + a hash of the settings, or the scenario's name + a hash of it and the
                      settings, so each configuration is stored beside the others)
  --server URL        Server to upload to (env LOOT_SERVER, default http://localhost:5000)
  --batch-size N      Sheets per upload request, 1–5000 (default 500)
  --concurrency N     Upload requests in flight, 1–64 (default 2)
  --cheaters F        Game scenarios: share of players (0–1) who cheat in every match (default 0);
                      who cheated is written to the --cheaters-out file, so detection can be scored
  --cheaters-out PATH Where to list the cheaters (default <--out>.cheaters.json, or
                      outputs/cheaters.json when uploading or writing to stdout)
  --generate-only     Write NDJSON instead of uploading
  --out PATH          With --generate-only: file to write, - for stdout (default outputs/stat_sheets.ndjson)
  --help              Show this text

Environment:
  LOOT_WRITE_KEY      Sent with uploads when the server requires a write key
  LOOT_READ_KEY       Sent with the closing totals when the server requires a read key
                      (keys are never flags: argv is visible to other users)`;

/** Which flag sets each simulation option, to name it in messages. */
const FLAG_OF: Record<string, string> = {
  matches: "--matches",
  playersPerMatch: "--players",
  items: "--items",
  maxPerItem: "--max-per-item",
  seed: "--seed",
  startTime: "--start-time",
  matchPrefix: "--run-prefix",
  cheaters: "--cheaters",
};

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    scenario: { type: "string" },
    matches: { type: "string" },
    players: { type: "string" },
    items: { type: "string" },
    "max-per-item": { type: "string" },
    seed: { type: "string" },
    "start-time": { type: "string" },
    "run-prefix": { type: "string" },
    server: { type: "string" },
    "batch-size": { type: "string" },
    concurrency: { type: "string" },
    "generate-only": { type: "boolean" },
    out: { type: "string" },
    cheaters: { type: "string" },
    "cheaters-out": { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  let scenario: Scenario, options: ScenarioOptions;
  let batchSize: number, concurrency: number, server: string;
  try {
    scenario = readScenarioFlag(values.scenario) ?? DEFAULT_SCENARIO;
    const settings: ScenarioOptions = {
      matches: readIntegerFlag("matches", values.matches, SIMULATION_LIMITS.matches),
      playersPerMatch: readIntegerFlag(
        "players",
        values.players,
        SIMULATION_LIMITS.playersPerMatch,
      ),
      items: values.items?.split(",").map((item) => item.trim()).filter(Boolean),
      maxPerItem: readIntegerFlag(
        "max-per-item",
        values["max-per-item"],
        SIMULATION_LIMITS.maxPerItem,
      ),
      seed: readIntegerFlag("seed", values.seed, SIMULATION_LIMITS.seed),
      startTime: values["start-time"],
      matchPrefix: values["run-prefix"],
      cheaters: readShareFlag("cheaters", values.cheaters),
    };
    options = { ...settings, matchPrefix: chooseScenarioPrefix(scenario, settings) };
    batchSize = readIntegerFlag("batch-size", values["batch-size"], { min: 1, max: 5_000 }) ?? 500;
    concurrency = readIntegerFlag("concurrency", values.concurrency, { min: 1, max: 64 }) ?? 2;
    // Consume one sheet to surface bad options before any output or upload starts.
    simulateScenario(scenario, options).next();
    server = readServerUrl(values.server, Deno.env.get("LOOT_SERVER"));
  } catch (error) {
    if (error instanceof FlagError) return reportUsageError(error.message, USAGE);
    if (!(error instanceof ValidationError)) throw error;
    return reportUsageError(
      error.problems.map((problem) => renameOption(problem.path, problem.message)).join("\n"),
      USAGE,
    );
  }
  if (options.cheaters) {
    const out = values.out ?? "outputs/stat_sheets.ndjson";
    const path = values["cheaters-out"] ??
      (values["generate-only"] && out !== "-" ? `${out}.cheaters.json` : "outputs/cheaters.json");
    await writeCheaters(scenario, options, path);
  }
  if (values["generate-only"]) {
    return await writeNdjson(scenario, options, values.out ?? "outputs/stat_sheets.ndjson");
  }
  return await upload(scenario, options, { server, batchSize, concurrency });
}

/** `playersPerMatch must be …` as the user wrote it: `--players must be …`. */
function renameOption(path: string, message: string): string {
  const flag = FLAG_OF[path];
  if (flag === undefined) return message;
  return message.startsWith(path) ? `${flag}${message.slice(path.length)}` : `${flag}: ${message}`;
}

async function upload(
  scenario: Scenario,
  options: ScenarioOptions,
  { server, batchSize, concurrency }: { server: string; batchSize: number; concurrency: number },
): Promise<number> {
  // The server refuses timestamps more than 24 h ahead of its clock: say so now, not after an hour of uploads.
  const last = lastScenarioTimestamp(scenario, options);
  if (last > Date.now() + MAX_FUTURE_MS) {
    const span = last - Date.parse(scenarioStartTime(scenario, options));
    console.error(
      `This run's timestamps reach ${
        new Date(last).toISOString()
      }, more than 24 h ahead of now, and the server would refuse them.\n` +
        `Start it earlier, e.g. --start-time ${
          new Date(Date.now() - span).toISOString().replace(".000Z", "Z")
        }, or simulate fewer matches.`,
    );
    return 2;
  }
  const key = (name: string) => Deno.env.get(name) || undefined;
  const client = createClient(server, { apiKey: key("LOOT_WRITE_KEY") });
  const reader = createClient(server, { apiKey: key("LOOT_READ_KEY") });
  await requireServer(client.baseUrl);
  const total = countScenarioSheets(scenario, options);
  const prefix = `${options.matchPrefix}_`;
  console.error(
    `Uploading ${formatCount(total)} stat sheets to ${client.baseUrl} (match ids ${prefix}…)`,
  );
  const color = stderrHasColor();
  const styleFailed = (text: string) => red(text, color);
  const progress = createProgressWriter();
  const summary = await client.submitBatch(simulateScenario(scenario, options), {
    chunkSize: batchSize,
    concurrency,
    onProgress: (state) =>
      progress.update(formatUploadProgress({ ...state, total }, { styleFailed })),
  });
  progress.done(formatUploadProgress({ ...summary, total }, { styleFailed }));
  const outcome = describeOutcome(summary, total);
  if (summary.failed > 0) console.error(red(outcome, color));
  else console.error(outcome);

  // The generator is deterministic, so the local totals come from a second pass, not from memory.
  const local = aggregateLoot(simulateScenario(scenario, options));
  let overall, stored;
  try {
    [overall, stored] = await Promise.all([
      reader.aggregate(),
      reader.aggregate({ match_prefix: prefix }),
    ]);
  } catch (error) {
    if (!(error instanceof ApiError) || (error.status !== 401 && error.status !== 403)) throw error;
    console.error(`Cannot read the server's totals: ${error.message} (set LOOT_READ_KEY)`);
    return 1;
  }
  console.log(
    `Server now holds ${formatCount(overall.total_stat_sheets)} stat sheets from ${
      formatCount(overall.total_matches)
    } matches and ${formatCount(overall.total_players)} players; ${
      formatCount(stored.total_stat_sheets)
    } of them under ${prefix}.`,
  );
  const items = new Set([...Object.keys(local.total_items), ...Object.keys(stored.total_items)]);
  const rows = [...items].sort().map((item) => [
    item,
    formatCount(local.total_items[item] ?? 0),
    formatCount(stored.total_items[item] ?? 0),
  ]);
  for (
    const line of formatTable(["Item", "this run", `stored under ${prefix}`], rows, {
      right: [1, 2],
    })
  ) console.log(line);
  return summary.failed > 0 ? 1 : 0;
}

/** Fails with one line when no Loot Telemetry API answers at `baseUrl`. */
async function requireServer(baseUrl: string): Promise<void> {
  let response: Response;
  try {
    response = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(10_000) });
    await response.body?.cancel();
  } catch (error) {
    throw new StartupError(
      `No server answers at ${baseUrl} (${
        (error as Error).message.split("\n")[0]
      }): start one with deno task server, or pass --server URL`,
    );
  }
  if (response.status === 404) {
    throw new StartupError(
      `${baseUrl} answers but has no Loot Telemetry API (GET /api/health gave 404): check --server or LOOT_SERVER`,
    );
  }
  if (!response.ok) {
    throw new StartupError(
      `The server at ${baseUrl} is not healthy (GET /api/health gave ${response.status}): check its log, then retry`,
    );
  }
}

/** "Stored 0 of 200 sheets: 200 refused (409 conflict: …)": what was and was not stored. */
function describeOutcome(summary: UploadSummary, total: number): string {
  const stored = summary.inserted + summary.duplicates;
  const parts = summary.inserted > 0 || stored === 0 && summary.failed === 0
    ? [`${formatCount(summary.inserted)} new`]
    : [];
  if (summary.duplicates > 0) parts.push(`${formatCount(summary.duplicates)} already stored`);
  if (summary.failed > 0) {
    const first = summary.errors[0] ?? "";
    const http = first.match(/HTTP (\d{3}): (.*)$/);
    const status = Number(http?.[1]);
    const reason = http ? `${status} ${STATUS_WORDS[status] ?? "error"}: ${http[2]}` : first;
    const verb = http ? "refused" : "not delivered";
    const hint = status === 409
      ? "; these match ids already hold different sheets: pass another --run-prefix"
      : "";
    parts.push(`${formatCount(summary.failed)} ${verb} (${reason})${hint}`);
  }
  return `Stored ${formatCount(stored)} of ${formatCount(total)} sheets: ${parts.join(", ")}`;
}

const STATUS_WORDS: Record<number, string> = {
  400: "invalid",
  401: "unauthorized",
  403: "forbidden",
  409: "conflict",
  413: "too large",
  429: "rate limited",
  500: "server error",
  503: "unavailable",
};

async function writeNdjson(
  scenario: Scenario,
  options: ScenarioOptions,
  out: string,
): Promise<number> {
  const encoder = new TextEncoder();
  const overwrote = noteOverwrite(out);
  const file = out === "-" ? undefined : await openForWriting(out);
  const writer = (file?.writable ?? Deno.stdout.writable).getWriter();
  let written = 0;
  let buffer = "";
  for (const sheet of simulateScenario(scenario, options)) {
    buffer += `${JSON.stringify(sheet)}\n`;
    written++;
    if (buffer.length > 1 << 20) {
      await writer.write(encoder.encode(buffer));
      buffer = "";
    }
  }
  await writer.write(encoder.encode(buffer));
  await writer.close();
  console.error(`Wrote ${formatCount(written)} stat sheets to ${out === "-" ? "stdout" : out}`);
  const notice = overwrote();
  if (notice) console.error(notice);
  return 0;
}

/** A share from 0 to 1, or undefined when the flag is absent. */
function readShareFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = /^\s*(0|1|0?\.\d+|1\.0*)\s*$/.test(text) ? Number(text) : NaN;
  if (!(value >= 0 && value <= 1)) {
    throw new FlagError(`--${name} must be a share of players from 0 to 1, got ${text}`);
  }
  return value;
}

/** The side file naming who cheated, so a detector can be scored against it. */
async function writeCheaters(
  scenario: Scenario,
  options: ScenarioOptions,
  path: string,
): Promise<void> {
  const players = listCheaters(scenario, options);
  const body = {
    scenario: scenario.name,
    seed: options.seed ?? SIMULATION_DEFAULTS.seed,
    cheaters: options.cheaters,
    match_prefix: options.matchPrefix,
    players,
  };
  const file = await openForWriting(path);
  const writer = file.writable.getWriter();
  await writer.write(new TextEncoder().encode(`${JSON.stringify(body, null, 2)}\n`));
  await writer.close();
  console.error(`Listed ${players.length} cheating players in ${path}`);
}

async function openForWriting(path: string): Promise<Deno.FsFile> {
  try {
    await Deno.mkdir(dirname(path), { recursive: true });
    return await Deno.open(path, { write: true, create: true, truncate: true });
  } catch (error) {
    throw new StartupError(
      `Cannot write ${path} (${
        (error as Error).message.split("\n")[0]
      }): pass a writable --out PATH, or --out - for stdout`,
    );
  }
}

await runMain(main);
