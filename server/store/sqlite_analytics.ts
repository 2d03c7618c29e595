/**
 * Reads of groups, time series and players: from the rollups when the request covers what they
 * keep, by SQL over the sheets otherwise. Each answer equals lib's `groupAggregate`,
 * `buildTimeseries`, `summarizePlayer` and `rankPlayers` over the same sheets.
 * @module
 */
import type { StatementSync } from "node:sqlite";
import {
  type AggregateFilter,
  assembleGroupedAggregate,
  assembleTimeseries,
  type GroupBy,
  type GroupedAggregate,
  type PlayerRow,
  type PlayersRequest,
  type PlayerSummary,
  timeRollupAnswers,
  type TimeRow,
  type Timeseries,
  type TimeseriesRequest,
} from "../../lib/mod.ts";
import { bucketSqlOf, groupKeySql } from "./sqlite_schema.ts";
import { allRows, type SqlParam } from "./sqlite_rows.ts";

type Prepare = (sql: string) => StatementSync;
type Where = { where: string; params: SqlParam[] };

/** Totals per group; from the rollups when `where` is empty (no filter), else by SQL. */
export function readGroupedAggregate(
  prepare: Prepare,
  groupBy: GroupBy,
  { where, params }: Where,
): GroupedAggregate {
  const key = groupKeySql(groupBy);
  const counts = where
    ? allRows<{ key: string; sheets: number; matches: number; players: number }>(
      prepare(
        `SELECT ${key} AS key, COUNT(*) AS sheets, COUNT(DISTINCT match_id) AS matches,
           COUNT(DISTINCT player_id) AS players FROM stat_sheets s ${where} GROUP BY 1`,
      ),
      params,
    )
    : allRows<{ key: string; sheets: number; matches: number; players: number }>(
      prepare("SELECT key, sheets, matches, players FROM rollup_groups WHERE dimension = ?"),
      [groupBy],
    );
  const items = where
    ? allRows<{ key: string; item: string; units: number }>(
      prepare(
        `SELECT ${key} AS key, i.item AS item, SUM(i.count) AS units
         FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id ${where}
         GROUP BY 1, 2 ORDER BY 2`,
      ),
      params,
    )
    : allRows<{ key: string; item: string; units: number }>(
      prepare(
        "SELECT key, item, units FROM rollup_group_items WHERE dimension = ? ORDER BY item",
      ),
      [groupBy],
    );
  return assembleGroupedAggregate(groupBy, counts, items);
}

/**
 * A time series. The rollups answer it unless a match prefix is given or `since`/`until` cut a
 * bucket in two; then SQL over the sheets does, with the same arithmetic.
 */
export function readTimeseries(
  prepare: Prepare,
  request: TimeseriesRequest,
  sheetWhere: (filter: AggregateFilter) => Where,
): Timeseries {
  const rows = timeRollupAnswers(request)
    ? readTimeRollup(prepare, request)
    : readTimeBySql(prepare, request, sheetWhere);
  return assembleTimeseries(request, rows);
}

function readTimeRollup(prepare: Prepare, request: TimeseriesRequest): TimeRow[] {
  const clauses = ["interval = ?"];
  const params: SqlParam[] = [request.interval];
  const add = (clause: string, value: SqlParam | undefined) => {
    if (value === undefined) return;
    clauses.push(clause);
    params.push(value);
  };
  add("game_mode = ?", request.gameMode);
  add("bucket >= ?", request.sinceMs);
  add("bucket < ?", request.untilMs);
  const where = clauses.join(" AND ");
  const items = request.item === undefined
    ? allRows<TimeRow>(
      prepare(
        // One range of the key (interval, item, bucket, game_mode) per item, not the interval's
        // every row: rollup_items lists each item the rollup has (the same fold step keeps both).
        `SELECT bucket, item, SUM(sheets) AS sheets, SUM(units) AS units FROM rollup_time_items
         WHERE ${where} AND item IN (SELECT item FROM rollup_items) GROUP BY bucket, item`,
      ),
      params,
    )
    : allRows<TimeRow>(
      prepare(
        `SELECT bucket, item, SUM(sheets) AS sheets, SUM(units) AS units FROM rollup_time_items
         WHERE ${where} AND item = ? GROUP BY bucket`,
      ),
      [...params, request.item],
    );
  if (request.item !== undefined) return items;
  const totals = allRows<TimeRow>(
    prepare(
      `SELECT bucket, NULL AS item, SUM(sheets) AS sheets, SUM(units) AS units FROM rollup_time
       WHERE ${where} GROUP BY bucket`,
    ),
    params,
  );
  return [...totals, ...items];
}

function readTimeBySql(
  prepare: Prepare,
  request: TimeseriesRequest,
  sheetWhere: (filter: AggregateFilter) => Where,
): TimeRow[] {
  const { where, params } = sheetWhere({
    matchPrefix: request.matchPrefix,
    gameMode: request.gameMode,
    sinceMs: request.sinceMs,
    untilMs: request.untilMs,
  });
  const bucket = bucketSqlOf(request.interval);
  const itemClause = request.item === undefined ? "" : `${where ? "AND" : "WHERE"} i.item = ?`;
  const itemParams = request.item === undefined ? [] : [request.item];
  const items = allRows<TimeRow>(
    prepare(
      `SELECT ${bucket} AS bucket, i.item AS item, SUM(i.count > 0) AS sheets, SUM(i.count) AS units
       FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id ${where} ${itemClause}
       GROUP BY 1, 2`,
    ),
    [...params, ...itemParams],
  );
  if (request.item !== undefined) return items;
  const totals = allRows<TimeRow>(
    prepare(
      `SELECT ${bucket} AS bucket, NULL AS item, COUNT(*) AS sheets,
         SUM(s.units) AS units
       FROM stat_sheets s ${where} GROUP BY 1`,
    ),
    params,
  );
  return [...totals, ...items];
}

/** One player's matches and totals, by the player index; undefined when unknown. */
export function readPlayer(prepare: Prepare, playerId: string): PlayerSummary | undefined {
  const history = allRows<{
    match_id: string;
    timestamp: string;
    ts_ms: number;
    game_mode: string | null;
    player_level: number | null;
    units: number;
  }>(
    prepare(
      `SELECT match_id, timestamp, ts_ms, game_mode, player_level,
         s.units AS units
       FROM stat_sheets s WHERE player_id = ? ORDER BY ts_ms, match_id`,
    ),
    [playerId],
  );
  if (history.length === 0) return undefined;
  const items = allRows<{ item: string; units: number }>(
    prepare(
      `SELECT i.item AS item, SUM(i.count) AS units
       FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id
       WHERE s.player_id = ? GROUP BY i.item ORDER BY i.item`,
    ),
    [playerId],
  );
  return {
    player_id: playerId,
    matches: history.length,
    first_seen: new Date(history[0]!.ts_ms).toISOString(),
    last_seen: new Date(history.at(-1)!.ts_ms).toISOString(),
    total_items: Object.fromEntries(items.map(({ item, units }) => [item, units])),
    history: history.map(({ ts_ms: _ms, ...match }) => match),
  };
}

/** A page of players, most matches first, from the player rollup and its index. */
export function readPlayers(prepare: Prepare, request: PlayersRequest): PlayerRow[] {
  const params: SqlParam[] = [request.gameMode ?? "*"];
  let after = "";
  if (request.after) {
    after = "AND (matches < ? OR (matches = ? AND player_id > ?))";
    params.push(request.after.matches, request.after.matches, request.after.playerId);
  }
  return allRows<{
    player_id: string;
    matches: number;
    units: number;
    last_level: number | null;
    last_seen_ms: number;
  }>(
    prepare(
      `SELECT player_id, matches, units, last_level, last_seen_ms FROM rollup_players
       WHERE game_mode = ? ${after} ORDER BY matches DESC, player_id LIMIT ?`,
    ),
    [...params, request.limit],
  ).map(({ last_seen_ms, ...row }) => ({
    ...row,
    last_seen: new Date(last_seen_ms).toISOString(),
  }));
}
