/**
 * `deno task import FILE.ndjson`: loads stat sheets from NDJSON straight into a database, streaming
 * (memory stays flat for any file size), validating every line, with a progress bar.
 * @module
 */
import {
  ConflictError,
  formatCount,
  formatProgressBar,
  parseStatSheet,
  type PreparedSheet,
  prepareSheet,
  readNdjson,
  ValidationError,
} from "../lib/mod.ts";
import { DEFAULT_DB_PATH } from "../server/config.ts";
import { openStore, runMain } from "../server/startup.ts";
import {
  createProgressWriter,
  FlagError,
  readFlags,
  readIntegerFlag,
  reportUsageError,
} from "./_terminal.ts";

const USAGE = `Usage: deno task import FILE.ndjson [options]

Loads stat sheets (one JSON object per line, as simulate --generate-only writes) into a database.
Sheets already stored are counted as duplicates; the import can be rerun safely.

Options:
  --db PATH|URL      SQLite file, or a postgres:// URL (env LOOT_DB, default ${DEFAULT_DB_PATH})
  --batch-size N     Sheets per transaction (default 5000)
  --skip-invalid     Skip lines that are not valid stat sheets (and conflicting ones) instead of stopping
  --help             Show this text`;

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    db: { type: "string" },
    "batch-size": { type: "string" },
    "skip-invalid": { type: "boolean" },
  }, { positionals: true });
  if (typeof flags === "number") return flags;
  const { values, positionals } = flags;
  if (positionals.length !== 1) {
    return reportUsageError(
      `Name exactly one NDJSON file to import, got ${positionals.length}${
        positionals.length > 1 ? `: ${positionals.join(" ")}` : ""
      }`,
      USAGE,
    );
  }
  let batchSize: number;
  try {
    batchSize = readIntegerFlag("batch-size", values["batch-size"], { min: 1, max: 100_000 }) ??
      5_000;
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return reportUsageError(error.message, USAGE);
  }
  const path = positionals[0]!;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "no such file"
      : error instanceof Deno.errors.IsADirectory
      ? "it is a folder"
      : (error as Error).message.split("\n")[0];
    console.error(`Cannot read ${path} (${reason}): name an NDJSON file that exists`);
    return 1;
  }
  const totalBytes = (await file.stat()).size;
  const skipInvalid = values["skip-invalid"] ?? false;
  using store = await openStore(values.db ?? Deno.env.get("LOOT_DB") ?? DEFAULT_DB_PATH);
  const progress = createProgressWriter(1_000);
  const started = performance.now();
  const tally = { inserted: 0, duplicates: 0, skipped: 0, bytes: 0 };
  const line = () => {
    const seconds = (performance.now() - started) / 1000;
    const done = tally.inserted + tally.duplicates;
    return `${formatProgressBar(tally.bytes / Math.max(totalBytes, 1))} ${
      formatCount(done)
    } sheets · ${formatCount(done / Math.max(seconds, 1e-3))} sheets/s · ${
      formatCount(tally.duplicates)
    } duplicates · ${formatCount(tally.skipped)} skipped`;
  };
  const counted = file.readable.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        tally.bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );

  let batch: PreparedSheet[] = [];
  const flush = async () => {
    while (batch.length > 0) {
      try {
        const outcomes = await store.insertSheets(batch);
        const duplicates = outcomes.filter((outcome) => outcome.duplicate).length;
        tally.duplicates += duplicates;
        tally.inserted += outcomes.length - duplicates;
        batch = [];
      } catch (error) {
        if (!(error instanceof ConflictError) || !skipInvalid) throw error;
        // Drop the conflicting sheet and retry the rest: the batch was rolled back as a whole.
        console.error(`  skipped: ${error.message}`);
        batch.splice(error.index, 1);
        tally.skipped++;
      }
    }
    progress.update(line());
  };
  try {
    for await (const entry of readNdjson(counted)) {
      let sheet: PreparedSheet | undefined;
      let problem: string | undefined;
      if ("error" in entry) problem = `not valid JSON: ${entry.error}`;
      else {
        try {
          // The same rules as HTTP ingest (clock correction, the future limit), decided in lib.
          sheet = prepareSheet(parseStatSheet(entry.value), new Date());
        } catch (error) {
          if (!(error instanceof ValidationError)) throw error;
          problem = error.problems.map((item) => item.message).join("; ");
        }
      }
      if (problem !== undefined) {
        if (!skipInvalid) throw new Error(`Line ${entry.line} of ${path}: ${problem}`);
        console.error(`  skipped line ${entry.line}: ${problem}`);
        tally.skipped++;
        continue;
      }
      batch.push(sheet!);
      if (batch.length >= batchSize) await flush();
    }
    await flush();
  } catch (error) {
    progress.done(line());
    console.error(`Import stopped: ${(error as Error).message}`);
    console.error(
      "Everything before that point is stored; fix the file (or pass --skip-invalid) and rerun.",
    );
    return 1;
  }
  progress.done(line());
  console.log(
    `Imported ${formatCount(tally.inserted)} new stat sheets (${
      formatCount(tally.duplicates)
    } already stored, ${formatCount(tally.skipped)} skipped) into ${store.description} in ${
      ((performance.now() - started) / 1000).toFixed(1)
    } s`,
  );
  return 0;
}

await runMain(main);
