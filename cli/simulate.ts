/**
 * `deno task simulate`: the original `data_generator.py` — generate seeded stat sheets and upload
 * them to a server, or write them as NDJSON.
 * @module
 */
import { dirname } from "node:path";
import {
  aggregateLoot,
  createClient,
  formatCount,
  formatUploadProgress,
  lastSimulatedTimestamp,
  MAX_FUTURE_MS,
  simulateMatches,
  SIMULATION_DEFAULTS,
  type SimulationOptions,
  ValidationError,
} from "../lib/mod.ts";
import { createProgressWriter, readFlags, reportUsageError } from "./_terminal.ts";

const USAGE = `Usage: deno task simulate [options]

Generates stat sheets (seeded: the same options give the same sheets) and uploads them.

Options:
  --matches N        Matches to simulate (default ${SIMULATION_DEFAULTS.matches})
  --players N        Players per match (default ${SIMULATION_DEFAULTS.playersPerMatch})
  --items A,B,…      Item names (default ${SIMULATION_DEFAULTS.items.join(",")})
  --max-per-item N   Largest count of one item per player (default ${SIMULATION_DEFAULTS.maxPerItem})
  --seed N           PRNG seed (default ${SIMULATION_DEFAULTS.seed})
  --start-time ISO   When the first match starts (default ${SIMULATION_DEFAULTS.startTime})
  --server URL       Server to upload to (env LOOT_SERVER, default http://localhost:5000)
  --batch-size N     Sheets per upload request, 1–5000 (default 500)
  --concurrency N    Upload requests in flight (default 2)
  --generate-only    Write NDJSON instead of uploading
  --out PATH         With --generate-only: file to write, - for stdout (default outputs/stat_sheets.ndjson)
  --help             Show this text`;

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    matches: { type: "string" },
    players: { type: "string" },
    items: { type: "string" },
    "max-per-item": { type: "string" },
    seed: { type: "string" },
    "start-time": { type: "string" },
    server: { type: "string" },
    "batch-size": { type: "string" },
    concurrency: { type: "string" },
    "generate-only": { type: "boolean" },
    out: { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  let options: SimulationOptions, batchSize: number, concurrency: number;
  try {
    const integerFlag = (name: keyof typeof values) =>
      readIntegerFlag(name, values[name] as string | undefined);
    options = {
      matches: integerFlag("matches"),
      playersPerMatch: integerFlag("players"),
      items: values.items?.split(",").map((item) => item.trim()).filter(Boolean),
      maxPerItem: integerFlag("max-per-item"),
      seed: integerFlag("seed"),
      startTime: values["start-time"],
    };
    batchSize = integerFlag("batch-size") ?? 500;
    concurrency = integerFlag("concurrency") ?? 2;
    // Consume one sheet to surface bad options before any output or upload starts.
    simulateMatches(options).next();
    if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 5_000)) {
      throw new ValidationError([{
        path: "batch-size",
        message: `--batch-size must be an integer from 1 to 5000, got ${values["batch-size"]}`,
      }]);
    }
    if (!(Number.isInteger(concurrency) && concurrency >= 1 && concurrency <= 64)) {
      throw new ValidationError([{
        path: "concurrency",
        message: `--concurrency must be an integer from 1 to 64, got ${values.concurrency}`,
      }]);
    }
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    return reportUsageError(error.problems.map((problem) => problem.message).join("\n"), USAGE);
  }
  if (values["generate-only"]) {
    return await writeNdjson(options, values.out ?? "outputs/stat_sheets.ndjson");
  }
  return await upload(options, {
    server: values.server ?? Deno.env.get("LOOT_SERVER") ?? "http://localhost:5000",
    batchSize,
    concurrency,
  });
}

async function upload(
  options: SimulationOptions,
  { server, batchSize, concurrency }: { server: string; batchSize: number; concurrency: number },
): Promise<number> {
  // The server refuses timestamps more than 24 h ahead of its clock: say so now, not after an hour of uploads.
  const last = lastSimulatedTimestamp(options);
  if (last > Date.now() + MAX_FUTURE_MS) {
    const span = last - Date.parse(options.startTime ?? SIMULATION_DEFAULTS.startTime);
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
  const client = createClient(server);
  const health = await client.checkHealth();
  if (!health.healthy) {
    console.error(`${health.message}\nStart it with: deno task server   (or pass --server URL)`);
    return 1;
  }
  const total = (options.matches ?? SIMULATION_DEFAULTS.matches) *
    (options.playersPerMatch ?? SIMULATION_DEFAULTS.playersPerMatch);
  console.error(`Uploading ${formatCount(total)} stat sheets to ${client.baseUrl}`);
  const progress = createProgressWriter();
  const summary = await client.submitBatch(simulateMatches(options), {
    chunkSize: batchSize,
    concurrency,
    onProgress: (state) => progress.update(formatUploadProgress({ ...state, total })),
  });
  progress.done(formatUploadProgress({ ...summary, total }));
  for (const error of summary.errors.slice(0, 10)) console.error(`  ${error}`);

  // The generator is deterministic, so the local totals come from a second pass, not from memory.
  const local = aggregateLoot(simulateMatches(options));
  const remote = await client.aggregate();
  console.log(
    `Server now holds ${formatCount(remote.total_stat_sheets)} stat sheets from ${
      formatCount(remote.total_matches)
    } matches and ${formatCount(remote.total_players)} players.`,
  );
  console.log("Item            this run      server");
  const items = new Set([...Object.keys(local.total_items), ...Object.keys(remote.total_items)]);
  for (const item of [...items].sort()) {
    console.log(
      `${item.padEnd(14)} ${formatCount(local.total_items[item] ?? 0).padStart(9)} ${
        formatCount(remote.total_items[item] ?? 0).padStart(11)
      }`,
    );
  }
  return summary.failed > 0 ? 1 : 0;
}

async function writeNdjson(options: SimulationOptions, out: string): Promise<number> {
  const encoder = new TextEncoder();
  const file = out === "-" ? undefined : await openForWriting(out);
  const writer = (file?.writable ?? Deno.stdout.writable).getWriter();
  let written = 0;
  let buffer = "";
  for (const sheet of simulateMatches(options)) {
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
  return 0;
}

async function openForWriting(path: string): Promise<Deno.FsFile> {
  await Deno.mkdir(dirname(path), { recursive: true });
  return await Deno.open(path, { write: true, create: true, truncate: true });
}

function readIntegerFlag(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d{1,15}$/.test(text.trim())) {
    throw new ValidationError([{
      path: name,
      message: `--${name} must be an integer, got ${JSON.stringify(text)}`,
    }]);
  }
  return Number(text);
}

Deno.exit(await main());
