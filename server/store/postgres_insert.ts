/**
 * One `insertSheets` call as one PostgreSQL transaction, in a handful of set-based statements
 * whatever the batch size: ids drawn, sheets inserted (`ON CONFLICT DO NOTHING RETURNING`),
 * resubmissions told from conflicts by fingerprint, items inserted, then every rollup upserted
 * (`postgres_rollups.ts`), pipelined in one round trip.
 * @module
 */
import { ConflictError, isFingerprintOf, type PreparedSheet } from "../../lib/mod.ts";
import type { PostgresTransaction } from "./postgres_connect.ts";
import { ROLLUP_STATEMENTS } from "./postgres_rollups.ts";
import { ROLLUP_SHARDS } from "./postgres_schema.ts";
import type { InsertOutcome } from "./store.ts";

/**
 * What a committed batch did: an outcome per sheet, the sheets newly stored (in batch order), and
 * when it stored any, the transaction id and id range its commit notice names.
 */
export interface BatchResult {
  outcomes: InsertOutcome[];
  stored: PreparedSheet[];
  notice?: Omit<CommitNotice, "origin">;
}

const SHEET_RECORD = `id bigint, match_id text, player_id text, timestamp text, looted_items text,
  locations text, created_at text, ts_ms bigint, match_duration bigint, player_level bigint,
  game_mode text, experiment text, variant text, extra text, fingerprint text,
  client_timestamp text, sent_at text, units bigint`;

/**
 * Rows are inserted in key order, so two writers whose batches share keys wait for each other
 * in one order (never a deadlock); the ids, drawn first, still follow the batch's order (and
 * of two sheets under one key in a batch, the earlier is stored and the later compared with it). A
 * second writer inserting a key the first holds uncommitted waits for its commit, then sees the
 * stored row (a duplicate or a conflict) — the unique key in the database decides, not a read.
 */
const INSERT_SHEETS = `INSERT INTO stat_sheets (id, match_id, player_id, timestamp, looted_items,
    locations, created_at, ts_ms, match_duration, player_level, game_mode, experiment, variant,
    extra, fingerprint, client_timestamp, sent_at, units)
  SELECT id, match_id, player_id, timestamp, looted_items, locations, created_at, ts_ms,
    match_duration, player_level, game_mode, experiment, variant, extra, fingerprint,
    client_timestamp, sent_at, units
  FROM json_to_recordset($1::text::json) AS t (${SHEET_RECORD})
  ORDER BY match_id COLLATE "C", player_id COLLATE "C", id
  ON CONFLICT (match_id, player_id) DO NOTHING
  RETURNING id`;

const FIND_STORED = `SELECT s.id, s.match_id, s.player_id, s.fingerprint
  FROM json_to_recordset($1::text::json) AS k (match_id text, player_id text)
  JOIN stat_sheets s ON s.match_id = k.match_id AND s.player_id = k.player_id`;

const INSERT_ITEMS = `INSERT INTO sheet_items (sheet_id, item, count, x, y)
  SELECT * FROM json_to_recordset($1::text::json)
    AS t (sheet_id bigint, item text, count bigint, x double precision, y double precision)`;

/** The channel a commit is announced on, so other servers' live feeds hear of it. */
export const COMMIT_CHANNEL = "loot_sheets";

/**
 * What a commit announces on {@link COMMIT_CHANNEL}: the store that made it, and its sheets as an
 * id range and a transaction id, since the ids of concurrent transactions interleave and a list
 * of 5,000 ids would not fit a notification (8,000 bytes).
 */
export interface CommitNotice {
  origin: string;
  xid: string;
  from: number;
  to: number;
}

/** First key of the advisory locks that claim rollup shards (the second is the shard). */
const SHARD_LOCK = 0x4c6f6f74; // "Loot"

/**
 * Claims a rollup shard for the transaction: the first, from a random start, that no other
 * running transaction holds (`pg_try_advisory_xact_lock` never waits, so it adds no lock
 * cycle). While at most {@link ROLLUP_SHARDS} writers run, no two share a shard and none waits
 * for another's rollup rows; past that, the random start's shard is shared (and waited for).
 */
const CLAIM_SHARD = `SELECT COALESCE((
    SELECT s FROM (SELECT s FROM generate_series(0, ${ROLLUP_SHARDS - 1}) AS s
      ORDER BY (s + $1::integer) % ${ROLLUP_SHARDS}) o
    WHERE pg_try_advisory_xact_lock(${SHARD_LOCK}, s) LIMIT 1
  ), $1::integer) AS shard`;

/**
 * Writes `sheets` in transaction `tx`, adding its rollup deltas to a shard it claims. Throws
 * `ConflictError` (for the first sheet in batch order that conflicts) so the caller's
 * transaction rolls back.
 */
export async function writeBatch(
  tx: PostgresTransaction,
  sheets: readonly PreparedSheet[],
): Promise<BatchResult> {
  const [, , [{ shard }], drawn] = await Promise.all([
    // Taken before ids are drawn (writers do not block each other by it): a `clear()`, which
    // restarts the ids, then waits for this transaction or runs wholly before it, so no id drawn
    // before a restart is inserted after it.
    tx`LOCK TABLE stat_sheets IN ROW EXCLUSIVE MODE`,
    // Generic plans for this transaction's statements: the rollup statements are costly to plan
    // afresh per batch (custom plans), and the generic plans reach the new rows by index.
    tx`SET LOCAL plan_cache_mode = force_generic_plan`,
    tx.unsafe<[{ shard: number }]>(
      CLAIM_SHARD,
      [Math.floor(Math.random() * ROLLUP_SHARDS)],
      { prepare: true },
    ),
    tx<{ id: number }[]>`
      SELECT nextval('stat_sheets_id_seq') AS id
      FROM generate_series(1, ${sheets.length}::integer)`,
  ]);
  const ids = drawn.map((row) => row.id).sort((a, b) => a - b);
  const records = sheets.map((prepared, index) => toRecord(prepared, ids[index]!));
  const inserted = new Set(
    (await tx.unsafe<{ id: number }[]>(INSERT_SHEETS, [JSON.stringify(records)], { prepare: true }))
      .map((row) => row.id),
  );
  const outcomes: InsertOutcome[] = ids.map((id) => ({ id, duplicate: !inserted.has(id) }));
  if (inserted.size < sheets.length) await resolveExisting(tx, sheets, outcomes);
  const stored: PreparedSheet[] = [];
  const items: unknown[] = [];
  sheets.forEach((prepared, index) => {
    if (outcomes[index]!.duplicate) return;
    stored.push(prepared);
    const { looted_items: looted, locations } = prepared.sheet;
    for (const [item, count] of Object.entries(looted)) {
      const point = Object.hasOwn(locations, item) ? locations[item] : undefined;
      items.push({
        sheet_id: ids[index],
        item,
        count,
        x: point?.[0] ?? null,
        y: point?.[1] ?? null,
      });
    }
  });
  if (stored.length === 0) return { outcomes, stored };
  const newIds = `{${[...inserted].join(",")}}`;
  let from = Infinity, to = -Infinity;
  for (const id of inserted) [from, to] = [Math.min(from, id), Math.max(to, id)];
  // Sent together: the connection pipelines them and the server runs them in this order.
  const [[transaction]] = await Promise.all([
    tx<[{ xid: string }]>`SELECT pg_current_xact_id()::xid::text AS xid`,
    tx.unsafe(INSERT_ITEMS, [JSON.stringify(items)], { prepare: true }),
    ...ROLLUP_STATEMENTS.map((statement) =>
      tx.unsafe(statement, statement.includes("$2") ? [newIds, shard] : [newIds], {
        prepare: true,
      })
    ),
  ]);
  return { outcomes, stored, notice: { xid: transaction.xid, from, to } };
}

/**
 * Fills in the outcome of each sheet the insert skipped: the stored sheet's id when the
 * fingerprints match (a resubmission, possibly of a sheet earlier in this batch), else a
 * `ConflictError`.
 */
async function resolveExisting(
  tx: PostgresTransaction,
  sheets: readonly PreparedSheet[],
  outcomes: InsertOutcome[],
): Promise<void> {
  const keys = sheets.flatMap((prepared, index) =>
    outcomes[index]!.duplicate
      ? [{ match_id: prepared.sheet.match_id, player_id: prepared.sheet.player_id }]
      : []
  );
  const rows = await tx.unsafe<
    { id: number; match_id: string; player_id: string; fingerprint: string }[]
  >(FIND_STORED, [JSON.stringify(keys)], { prepare: true });
  const byKey = new Map(rows.map((row) => [keyOf(row.match_id, row.player_id), row]));
  sheets.forEach(({ sheet, fingerprint }, index) => {
    const outcome = outcomes[index]!;
    if (!outcome.duplicate) return;
    const existing = byKey.get(keyOf(sheet.match_id, sheet.player_id));
    if (!existing) {
      throw new Error(`Sheet ${sheet.match_id}/${sheet.player_id} was neither inserted nor found`);
    }
    if (!isFingerprintOf(existing.fingerprint, sheet, fingerprint)) {
      throw new ConflictError(
        `A different stat sheet for match_id ${sheet.match_id} and player_id ${sheet.player_id} is already stored (id ${existing.id})`,
        { existingId: existing.id, index },
      );
    }
    outcome.id = existing.id;
  });
}

function keyOf(matchId: string, playerId: string): string {
  return `${matchId}\u0000${playerId}`;
}

function toRecord(prepared: PreparedSheet, id: number): Record<string, unknown> {
  const { sheet } = prepared;
  let units = 0;
  for (const count of Object.values(sheet.looted_items)) units += count;
  return {
    id,
    match_id: sheet.match_id,
    player_id: sheet.player_id,
    timestamp: prepared.timestamp,
    looted_items: JSON.stringify(sheet.looted_items),
    locations: JSON.stringify(sheet.locations),
    created_at: prepared.receivedAt,
    ts_ms: prepared.timestampMs,
    match_duration: sheet.match_duration ?? null,
    player_level: sheet.player_level ?? null,
    game_mode: sheet.game_mode ?? null,
    experiment: sheet.experiment ?? null,
    variant: sheet.variant ?? null,
    extra: sheet.extra === undefined ? null : JSON.stringify(sheet.extra),
    fingerprint: prepared.fingerprint,
    client_timestamp: prepared.clientTimestamp,
    sent_at: sheet.sent_at ?? null,
    units,
  };
}
