/**
 * Checks that scan a whole SQLite database: for tests, the crash test and benchmarks, never for
 * request paths. Each opens its own read-only connection to the file, so a store can stay open
 * beside it.
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { binIndexSql, ROLLUP_RESOLUTIONS, type SheetFilter } from "../../lib/mod.ts";
import { buildListSql } from "./sqlite.ts";
import {
  type FoldStep,
  KEPT_MEMBERS_SQL,
  readFoldState,
  readRollupAggregate,
  readStepWatermarks,
  type RollupTable,
  STEP_OF_TABLE,
} from "./sqlite_rollups.ts";
import {
  ANALYTICS_RECOUNTS,
  EXPERIMENT_RECOUNTS,
  LOCATION_X_SQL,
  LOCATION_Y_SQL,
} from "./sqlite_schema.ts";
import { allRows, firstRow } from "./sqlite_rows.ts";

/**
 * Recounts every rollup from the sheets it has folded and lists each disagreement (none when
 * consistent). Sheets stored after the fold step that keeps a rollup are left out of its recount,
 * as they are of the rollup until that step runs: temporary views named `stat_sheets` and
 * `sheet_items` (found before the tables of the same name) show the recount queries only the
 * sheets through the step's watermark.
 */
export function checkRollups(path: string): string[] {
  using db = openReadOnly(path);
  // One read transaction, so every query sees the same commit: a fold committing between two of
  // them would make the rollups disagree with a recount of the sheets folded before it.
  db.exec("BEGIN");
  try {
    return checkRollupsInSnapshot(db);
  } finally {
    db.exec("COMMIT");
  }
}

function checkRollupsInSnapshot(db: DatabaseSync): string[] {
  const problems: string[] = [];
  const { last } = readFoldState((sql) => db.prepare(sql));
  const marks = readStepWatermarks((sql) => db.prepare(sql));
  for (const [step, folded] of Object.entries(marks)) {
    if (folded > last) {
      problems.push(`${step} rollups are folded through sheet ${folded}, past the last, ${last}`);
    }
  }
  const foldedBy = (step: FoldStep) => restrictToFolded(db, marks[step]);
  foldedBy("counters");
  const recount = firstRow<{ sheets: number; matches: number; players: number }>(
    db.prepare(
      `SELECT COUNT(*) AS sheets, COUNT(DISTINCT match_id) AS matches, COUNT(DISTINCT player_id) AS players
       FROM stat_sheets`,
    ),
  );
  const stored = readRollupAggregate((sql) => db.prepare(sql));
  const counters = [
    ["sheets", stored.total_stat_sheets],
    ["matches", stored.total_matches],
    ["players", stored.total_players],
  ] as const;
  for (const [name, value] of counters) {
    if (recount[name] !== value) {
      problems.push(`rollup ${name} is ${value}, recount ${recount[name]}`);
    }
  }
  foldedBy("items");
  const recountItems = Object.fromEntries(
    allRows<{ item: string; units: number }>(
      db.prepare("SELECT item, SUM(count) AS units FROM sheet_items GROUP BY item"),
    ).map(({ item, units }) => [item, units]),
  );
  for (const item of new Set([...Object.keys(recountItems), ...Object.keys(stored.total_items)])) {
    if (recountItems[item] !== stored.total_items[item]) {
      problems.push(
        `rollup units of ${item} is ${stored.total_items[item]}, recount ${recountItems[item]}`,
      );
    }
  }
  foldedBy("cells");
  for (const bins of ROLLUP_RESOLUTIONS) {
    const recountCells = `SELECT item, ${binIndexSql("x", bins)} AS col, ${
      binIndexSql("y", bins)
    } AS row, SUM(count) AS units
      FROM sheet_items WHERE count > 0 AND x IS NOT NULL GROUP BY 1, 2, 3`;
    const storedCells =
      `SELECT item, col, row, units FROM rollup_cells WHERE bins = ${bins} AND units != 0`;
    const { differing } = firstRow<{ differing: number }>(db.prepare(
      `SELECT (SELECT COUNT(*) FROM (${storedCells} EXCEPT ${recountCells})) +
              (SELECT COUNT(*) FROM (${recountCells} EXCEPT ${storedCells})) AS differing`,
    ));
    if (differing > 0) {
      problems.push(`heatmap rollup at ${bins} bins differs from a recount in ${differing} cells`);
    }
  }
  const { wrongUnits } = firstRow<{ wrongUnits: number }>(db.prepare(
    `SELECT COUNT(*) AS wrongUnits FROM main.stat_sheets s
     WHERE units != (SELECT COALESCE(SUM(count), 0) FROM main.sheet_items WHERE sheet_id = s.id)`,
  ));
  if (wrongUnits > 0) problems.push(`${wrongUnits} sheets' units differ from their looted_items`);
  for (const { table, recount } of [...ANALYTICS_RECOUNTS, ...EXPERIMENT_RECOUNTS]) {
    if (table === "rollup_groups") {
      problems.push(...checkGroups(db, recount, foldedBy));
      continue;
    }
    // Only the players of some groups are kept as member rows (migrations 11 and 13); the recount
    // of migration 5 lists every member.
    const kept = table === "rollup_group_members"
      ? `WITH recount (dimension, key, kind, member) AS (${recount})
         SELECT * FROM recount WHERE kind = 'p' AND ${KEPT_MEMBERS_SQL}`
      : recount;
    foldedBy(STEP_OF_TABLE[table as RollupTable]);
    const differing = countDiffering(db, `SELECT * FROM ${table}`, kept);
    if (differing > 0) problems.push(`${table} differs from a recount in ${differing} rows`);
  }
  return problems;
}

/**
 * Checks `rollup_groups` against its recount column by column, each against the sheets its fold
 * step has folded: the players of a named game mode through the players step, the rest through
 * the groups step. A group one step has reached and the other not yet shows zeros in the other's
 * columns, so those are left out (a recounted group has at least one sheet and one player).
 */
function checkGroups(
  db: DatabaseSync,
  recount: string,
  foldedBy: (step: FoldStep) => void,
): string[] {
  const byMode = "dimension = 'game_mode' AND key != ''";
  const withRecount = `WITH recount (dimension, key, sheets, matches, players) AS (${recount})`;
  foldedBy("groups");
  const groups = countDiffering(
    db,
    `SELECT dimension, key, sheets, matches, CASE WHEN ${byMode} THEN 0 ELSE players END
     FROM rollup_groups WHERE sheets > 0`,
    `${withRecount} SELECT dimension, key, sheets, matches,
       CASE WHEN ${byMode} THEN 0 ELSE players END FROM recount`,
  );
  foldedBy("players");
  const modePlayers = countDiffering(
    db,
    `SELECT key, players FROM rollup_groups WHERE ${byMode} AND players > 0`,
    `${withRecount} SELECT key, players FROM recount WHERE ${byMode}`,
  );
  const differing = groups + modePlayers;
  return differing > 0 ? [`rollup_groups differs from a recount in ${differing} rows`] : [];
}

/** Rows in one query's result and not the other's, either way. */
function countDiffering(db: DatabaseSync, stored: string, recounted: string): number {
  return firstRow<{ differing: number }>(db.prepare(
    `SELECT (SELECT COUNT(*) FROM (SELECT * FROM (${stored}) EXCEPT SELECT * FROM (${recounted}))) +
            (SELECT COUNT(*) FROM (SELECT * FROM (${recounted}) EXCEPT SELECT * FROM (${stored})))
       AS differing`,
  )).differing;
}

/** Points the temporary views `stat_sheets` and `sheet_items` at the sheets through id `folded`. */
function restrictToFolded(db: DatabaseSync, folded: number): void {
  db.exec(`DROP VIEW IF EXISTS temp.sheet_items; DROP VIEW IF EXISTS temp.stat_sheets;
    CREATE TEMP VIEW stat_sheets AS SELECT * FROM main.stat_sheets WHERE id <= ${folded};
    CREATE TEMP VIEW sheet_items (sheet_id, item, count, x, y) AS
      SELECT s.id, j.key, j.value, ${LOCATION_X_SQL}, ${LOCATION_Y_SQL}
      FROM temp.stat_sheets s, json_each(s.looted_items) j;`);
}

/** SQLite's plan for a listing, for tests that every filter is served by an index. */
export function explainListSheets(path: string, filter: SheetFilter): string[] {
  using db = openReadOnly(path);
  const { sql, params } = buildListSql(filter);
  return allRows<{ detail: string }>(db.prepare(`EXPLAIN QUERY PLAN ${sql}`), params)
    .map((row) => row.detail);
}

function openReadOnly(path: string): DatabaseSync & Disposable {
  const db = new DatabaseSync(path, { readOnly: true });
  return Object.assign(db, { [Symbol.dispose]: () => db.close() });
}
