/**
 * `deno task export`: downloads every matching sheet from a server's `GET /api/export` into a
 * CSV, NDJSON or Parquet file, streaming (memory stays flat), with a progress bar. The file is
 * written beside its final name and renamed at the end, so a failed export leaves no partial file.
 * @module
 */
import {
  ApiError,
  createClient,
  EXPORT_FORMATS,
  EXPORT_MEDIA,
  type ExportFormat,
  type ExportQuery,
  formatCount,
  formatProgressBar,
} from "../lib/mod.ts";
import { runMain } from "../server/startup.ts";
import {
  createProgressWriter,
  FlagError,
  noteOverwrite,
  readFlags,
  readServerUrl,
  reportUsageError,
} from "./_terminal.ts";

const USAGE = `Usage: deno task export [options]

Downloads stored stat sheets from a Loot Telemetry server (GET /api/export) into a file.

Options:
  --format F          csv, ndjson or parquet (default csv)
  --out PATH          File to write (default outputs/loot_sheets.<format>); - for stdout
  --server URL        Server to export from (env LOOT_SERVER, default http://localhost:5000)
  --match-id ID       Only this match
  --match-prefix P    Only matches whose id starts with P
  --player-id ID      Only this player
  --item NAME         Only sheets that looted this item
  --game-mode MODE    Only this game mode
  --since ISO         Only sheets timestamped at or after this instant
  --until ISO         Only sheets timestamped before this instant
  --help              Show this text

Environment:
  LOOT_READ_KEY       Sent as the read key when the server requires one (never a flag: argv is visible)

CSV: RFC 4180, one row per sheet, columns id, match_id, player_id, timestamp, created_at,
game_mode, match_duration, player_level, extra, then count_<item>, x_<item>, y_<item> per item;
text cells starting with = + - @ get a leading ' so spreadsheets never run them as formulas.`;

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    format: { type: "string" },
    out: { type: "string" },
    server: { type: "string" },
    "match-id": { type: "string" },
    "match-prefix": { type: "string" },
    "player-id": { type: "string" },
    item: { type: "string" },
    "game-mode": { type: "string" },
    since: { type: "string" },
    until: { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  const format = (values.format ?? "csv") as ExportFormat;
  if (!EXPORT_FORMATS.includes(format)) {
    return reportUsageError(
      `--format must be one of ${EXPORT_FORMATS.join(", ")}, got ${JSON.stringify(values.format)}`,
      USAGE,
    );
  }
  let server: string;
  try {
    server = readServerUrl(values.server, Deno.env.get("LOOT_SERVER"));
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return reportUsageError(error.message, USAGE);
  }
  const query: ExportQuery = {
    match_id: values["match-id"],
    match_prefix: values["match-prefix"],
    player_id: values["player-id"],
    item: values.item,
    game_mode: values["game-mode"],
    since: values.since,
    until: values.until,
  };
  const out = values.out ?? `outputs/loot_sheets.${EXPORT_MEDIA[format].extension}`;
  const client = createClient(server, { apiKey: Deno.env.get("LOOT_READ_KEY") || undefined });

  // The bar's total: the aggregate counts the sheets when the filters are ones it takes.
  let total: number | undefined;
  if (query.player_id === undefined && query.item === undefined) {
    try {
      total = (await client.aggregate({
        match_id: query.match_id,
        match_prefix: query.match_prefix,
        game_mode: query.game_mode,
        since: query.since,
        until: query.until,
      })).total_stat_sheets;
    } catch {
      // The export request below reports what is wrong (no server, a bad filter, a key).
    }
  }
  let download;
  try {
    download = await client.exportSheets(format, query);
  } catch (error) {
    if (error instanceof ApiError) {
      console.error(`Export refused by ${server}: ${error.message}`);
    } else {
      console.error(
        `No server answers at ${server} (${
          (error as Error).message.split("\n")[0]
        }): start one with deno task server, or pass --server URL`,
      );
    }
    return 1;
  }

  const overwrite = noteOverwrite(out);
  const partial = out === "-" ? undefined : `${out}.partial`;
  let file: Deno.FsFile | undefined;
  if (partial) {
    try {
      await Deno.mkdir(partial.replace(/[^/]*$/, "") || ".", { recursive: true });
      file = await Deno.open(partial, { write: true, create: true, truncate: true });
    } catch (error) {
      await download.body.cancel();
      console.error(
        `Cannot write ${out} (${
          (error as Error).message.split("\n")[0]
        }): pass a writable --out PATH`,
      );
      return 1;
    }
  }
  const progress = createProgressWriter(1_000);
  const started = performance.now();
  let bytes = 0;
  let rows = 0;
  const countsRows = format !== "parquet";
  const line = () => {
    const seconds = Math.max((performance.now() - started) / 1000, 1e-3);
    const done = countsRows ? Math.max(rows - (format === "csv" ? 1 : 0), 0) : undefined;
    const bar = done !== undefined && total ? `${formatProgressBar(done / total)} ` : "";
    const sheets = done === undefined
      ? ""
      : `${formatCount(done)}${total === undefined ? "" : `/${formatCount(total)}`} sheets · `;
    return `${bar}${sheets}${(bytes / 2 ** 20).toFixed(1)} MiB · ${
      (bytes / 2 ** 20 / seconds).toFixed(1)
    } MiB/s`;
  };
  const writer = (file?.writable ?? Deno.stdout.writable).getWriter();
  try {
    for await (const chunk of download.body) {
      bytes += chunk.byteLength;
      if (countsRows) { for (const byte of chunk) if (byte === 10) rows++; }
      await writer.write(chunk);
      progress.update(line());
    }
    await writer.close();
  } catch (error) {
    progress.done(line());
    await writer.abort().catch(() => {});
    if (partial) await Deno.remove(partial).catch(() => {});
    console.error(`Export stopped after ${formatCount(bytes)} bytes: ${(error as Error).message}`);
    return 1;
  }
  progress.done(line());
  if (partial) {
    await Deno.rename(partial, out);
    const note = overwrite();
    if (note) console.error(note);
    console.error(
      `Exported ${
        countsRows
          ? `${formatCount(Math.max(rows - (format === "csv" ? 1 : 0), 0))} sheets as `
          : ""
      }${format} to ${out} (${(bytes / 2 ** 20).toFixed(1)} MiB in ${
        ((performance.now() - started) / 1000).toFixed(1)
      } s)`,
    );
  }
  return 0;
}

await runMain(main);
