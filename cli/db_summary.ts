/**
 * `deno task db-summary`: what a database holds (the original's check_db.py and quick_check.py).
 * Opens the database read-only (a SQLite file, or PostgreSQL in a read-only transaction mode), so
 * it is safe beside a running server.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { formatCount } from "../lib/mod.ts";
import { DEFAULT_DB_PATH } from "../server/config.ts";
import { isPostgresUrl, openStore, runMain } from "../server/startup.ts";
import {
  FlagError,
  formatTable,
  readFlags,
  readIntegerFlag,
  reportUsageError,
} from "./_terminal.ts";

const USAGE = `Usage: deno task db-summary [options]

Prints totals, matches, players, items and the newest stat sheets of a database.

Options:
  --db PATH|URL  SQLite file, or a postgres:// URL (env LOOT_DB, default ${DEFAULT_DB_PATH})
  --newest N     How many of the newest sheets to list (default 5)
  --help         Show this text`;

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    db: { type: "string" },
    newest: { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  const path = values.db ?? Deno.env.get("LOOT_DB") ?? DEFAULT_DB_PATH;
  let newest: number;
  try {
    newest = readIntegerFlag("newest", values.newest, { min: 0, max: 1_000 }) ?? 5;
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return reportUsageError(error.message, USAGE);
  }
  const postgres = isPostgresUrl(path);
  if (!postgres && !existsSync(path)) {
    console.error(`No database at ${path}: start the server (deno task server) or pass --db PATH`);
    return 1;
  }
  using store = await openStore(path, { readOnly: true });
  const totals = await store.aggregate();
  if (postgres) console.log(`Database     ${store.description}`);
  else {
    // Recent writes sit in the write-ahead log until a checkpoint: count it, or a busy database looks empty.
    const walBytes = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
    const wal = walBytes > 0 ? ` + ${formatCount(walBytes)} in the write-ahead log` : "";
    console.log(`Database     ${path} (${formatCount(statSync(path).size)} bytes${wal})`);
  }
  console.log(`Stat sheets  ${formatCount(totals.total_stat_sheets)}`);
  console.log(`Matches      ${formatCount(totals.total_matches)}`);
  console.log(`Players      ${formatCount(totals.total_players)}`);
  const items = Object.entries(totals.total_items).sort(([, a], [, b]) => b - a);
  console.log("Units looted per item");
  if (items.length === 0) console.log("  (none yet)");
  else {
    const rows = items.map(([item, total]) => [item, formatCount(total)]);
    for (const line of formatTable(["Item", "Units"], rows, { right: [1], indent: "  " })) {
      console.log(line);
    }
  }
  if (newest > 0) {
    const sheets = await store.listSheets({ limit: newest });
    console.log(`Newest ${sheets.length} stat sheet${sheets.length === 1 ? "" : "s"}`);
    const rows = sheets.map((sheet) => [
      `#${sheet.id}`,
      sheet.match_id,
      sheet.player_id,
      sheet.timestamp,
      formatCount(Object.values(sheet.looted_items).reduce((sum, count) => sum + count, 0)),
    ]);
    const header = ["Id", "Match", "Player", "Timestamp", "Units"];
    for (const line of formatTable(header, rows, { right: [0, 4], indent: "  " })) {
      console.log(line);
    }
  }
  return 0;
}

await runMain(main);
