/**
 * `deno task db-summary`: what a database holds (the original's check_db.py and quick_check.py).
 * Opens the file read-only, so it is safe beside a running server.
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { formatCount } from "../lib/mod.ts";
import { DEFAULT_DB_PATH } from "../server/config.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { readFlags, reportUsageError } from "./_terminal.ts";

const USAGE = `Usage: deno task db-summary [options]

Prints totals, matches, players, items and the newest stat sheets of a database.

Options:
  --db PATH      SQLite file (env LOOT_DB, default ${DEFAULT_DB_PATH})
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
  const newest = Number(values.newest ?? "5");
  if (!Number.isInteger(newest) || newest < 0 || newest > 1_000) {
    return reportUsageError(
      `--newest must be an integer from 0 to 1000, got ${values.newest}`,
      USAGE,
    );
  }
  if (!existsSync(path)) {
    console.error(`No database at ${path}: start the server (deno task server) or pass --db PATH`);
    return 1;
  }
  using store = openSqliteStore(path, { readOnly: true });
  const totals = await store.aggregate();
  // Recent writes sit in the write-ahead log until a checkpoint: count it, or a busy database looks empty.
  const walBytes = existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0;
  const wal = walBytes > 0 ? ` + ${formatCount(walBytes)} in the write-ahead log` : "";
  console.log(`Database     ${path} (${formatCount(statSync(path).size)} bytes${wal})`);
  console.log(`Stat sheets  ${formatCount(totals.total_stat_sheets)}`);
  console.log(`Matches      ${formatCount(totals.total_matches)}`);
  console.log(`Players      ${formatCount(totals.total_players)}`);
  console.log("Items looted");
  const items = Object.entries(totals.total_items).sort(([, a], [, b]) => b - a);
  if (items.length === 0) console.log("  (none yet)");
  for (const [item, total] of items) {
    console.log(`  ${item.padEnd(20)} ${formatCount(total).padStart(12)}`);
  }
  if (newest > 0) {
    const rows = await store.listSheets({ limit: newest });
    console.log(`Newest ${rows.length} stat sheet${rows.length === 1 ? "" : "s"}`);
    for (const row of rows) {
      const units = Object.values(row.looted_items).reduce((sum, count) => sum + count, 0);
      console.log(
        `  #${row.id}  ${row.match_id}  ${row.player_id}  ${row.timestamp}  ${
          formatCount(units)
        } items`,
      );
    }
  }
  return 0;
}

Deno.exit(await main());
