/**
 * Reads of groups, time series and players on PostgreSQL: from the rollups (summed over their
 * shards) when the request covers what they keep, by SQL over the sheets otherwise, as the SQLite
 * store does. Each answer equals lib's `groupAggregate`, `buildTimeseries`, `summarizePlayer` and
 * `rankPlayers` over the same sheets.
 * @module
 */
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
import type { PostgresSql } from "./postgres_connect.ts";
import { bucketPostgresSql, groupKeyPostgresSql } from "./postgres_schema.ts";

type Where = { where: string; params: (string | number)[] };

/** Totals per group; from the rollups when `where` is empty (no filter), else by SQL. */
export async function readGroupedAggregate(
  sql: PostgresSql,
  groupBy: GroupBy,
  { where, params }: Where,
): Promise<GroupedAggregate> {
  const key = groupKeyPostgresSql(groupBy, "s.");
  type CountRow = { key: string; sheets: number; matches: number; players: number };
  type ItemRow = { key: string; item: string; units: number };
  const [counts, items] = where
    ? await Promise.all([
      sql.unsafe<CountRow[]>(
        `SELECT ${key} AS key, COUNT(*) AS sheets, COUNT(DISTINCT s.match_id) AS matches,
           COUNT(DISTINCT s.player_id) AS players FROM stat_sheets s ${where} GROUP BY 1`,
        params,
        { prepare: true },
      ),
      sql.unsafe<ItemRow[]>(
        `SELECT ${key} AS key, i.item, SUM(i.count) AS units
         FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id ${where}
         GROUP BY 1, 2 ORDER BY 2`,
        params,
        { prepare: true },
      ),
    ])
    : await Promise.all([
      sql<CountRow[]>`
        SELECT key, SUM(sheets) AS sheets, SUM(matches) AS matches, SUM(players) AS players
        FROM rollup_groups WHERE dimension = ${groupBy} GROUP BY key`,
      sql<ItemRow[]>`
        SELECT key, item, SUM(units) AS units FROM rollup_group_items
        WHERE dimension = ${groupBy} GROUP BY key, item ORDER BY item`,
    ]);
  return assembleGroupedAggregate(groupBy, counts, items);
}

/**
 * A time series. The rollups answer it unless a match prefix is given or `since`/`until` cut a
 * bucket in two; then SQL over the sheets does, with the same arithmetic.
 */
export async function readTimeseries(
  sql: PostgresSql,
  request: TimeseriesRequest,
  sheetWhere: (filter: AggregateFilter) => Where,
): Promise<Timeseries> {
  const rows = timeRollupAnswers(request)
    ? await readTimeRollup(sql, request)
    : await readTimeBySql(sql, request, sheetWhere);
  return assembleTimeseries(request, rows);
}

async function readTimeRollup(sql: PostgresSql, request: TimeseriesRequest): Promise<TimeRow[]> {
  const params: (string | number)[] = [request.interval];
  const clauses = ["interval = $1"];
  const add = (clause: string, value: string | number | undefined) => {
    if (value === undefined) return;
    params.push(value);
    clauses.push(`${clause} $${params.length}`);
  };
  add("game_mode =", request.gameMode);
  add("bucket >=", request.sinceMs);
  add("bucket <", request.untilMs);
  add("item =", request.item);
  const itemWhere = clauses.join(" AND ");
  const items = sql.unsafe<TimeRow[]>(
    `SELECT bucket, item, SUM(sheets) AS sheets, SUM(units) AS units FROM rollup_time_items
     WHERE ${itemWhere} GROUP BY bucket, item`,
    params,
    { prepare: true },
  );
  if (request.item !== undefined) return await items;
  const totals = sql.unsafe<TimeRow[]>(
    `SELECT bucket, NULL AS item, SUM(sheets) AS sheets, SUM(units) AS units FROM rollup_time
     WHERE ${itemWhere} GROUP BY bucket`,
    params,
    { prepare: true },
  );
  return [...await totals, ...await items];
}

async function readTimeBySql(
  sql: PostgresSql,
  request: TimeseriesRequest,
  sheetWhere: (filter: AggregateFilter) => Where,
): Promise<TimeRow[]> {
  const { where, params } = sheetWhere({
    matchPrefix: request.matchPrefix,
    gameMode: request.gameMode,
    sinceMs: request.sinceMs,
    untilMs: request.untilMs,
  });
  const bucket = bucketPostgresSql(request.interval, "s.ts_ms");
  const itemClause = request.item === undefined
    ? ""
    : `${where ? "AND" : "WHERE"} i.item = $${params.length + 1}`;
  const items = sql.unsafe<TimeRow[]>(
    `SELECT ${bucket} AS bucket, i.item, COUNT(*) FILTER (WHERE i.count > 0) AS sheets,
       SUM(i.count) AS units
     FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id ${where} ${itemClause}
     GROUP BY 1, 2`,
    request.item === undefined ? params : [...params, request.item],
    { prepare: true },
  );
  if (request.item !== undefined) return await items;
  const totals = sql.unsafe<TimeRow[]>(
    `SELECT ${bucket} AS bucket, NULL AS item, COUNT(*) AS sheets, SUM(s.units) AS units
     FROM stat_sheets s ${where} GROUP BY 1`,
    params,
    { prepare: true },
  );
  return [...await totals, ...await items];
}

/** One player's matches and totals, by the player index; undefined when unknown. */
export async function readPlayer(
  sql: PostgresSql,
  playerId: string,
): Promise<PlayerSummary | undefined> {
  const [history, items] = await Promise.all([
    sql<{
      match_id: string;
      timestamp: string;
      ts_ms: number;
      game_mode: string | null;
      player_level: number | null;
      units: number;
    }[]>`
      SELECT match_id, timestamp, ts_ms, game_mode, player_level, units
      FROM stat_sheets WHERE player_id = ${playerId} ORDER BY ts_ms, match_id`,
    sql<{ item: string; units: number }[]>`
      SELECT i.item, SUM(i.count) AS units
      FROM stat_sheets s JOIN sheet_items i ON i.sheet_id = s.id
      WHERE s.player_id = ${playerId} GROUP BY i.item ORDER BY i.item`,
  ]);
  if (history.length === 0) return undefined;
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
export async function readPlayers(
  sql: PostgresSql,
  request: PlayersRequest,
): Promise<PlayerRow[]> {
  const params: (string | number)[] = [request.gameMode ?? "*"];
  let after = "";
  if (request.after) {
    params.push(request.after.matches, request.after.playerId);
    after = "AND (matches < $2 OR (matches = $2 AND player_id > $3))";
  }
  params.push(request.limit);
  const rows = await sql.unsafe<{
    player_id: string;
    matches: number;
    units: number;
    last_level: number | null;
    last_seen_ms: number;
  }[]>(
    `SELECT player_id, matches, units, last_level, last_seen_ms FROM rollup_players
     WHERE game_mode = $1 ${after} ORDER BY matches DESC, player_id LIMIT $${params.length}`,
    params,
    { prepare: true },
  );
  return rows.map(({ last_seen_ms, ...row }) => ({
    ...row,
    last_seen: new Date(last_seen_ms).toISOString(),
  }));
}
