/**
 * A stored sheet as both engines keep it: the `stat_sheets` columns a listing reads, and how a
 * row of them becomes the `StoredStatSheet` the API returns.
 * @module
 */
import type { StoredStatSheet } from "../../lib/mod.ts";

/** The columns of `stat_sheets` a listing reads, as either engine returns them. */
export interface SheetRow {
  id: number;
  match_id: string;
  player_id: string;
  timestamp: string;
  looted_items: string;
  locations: string;
  created_at: string;
  match_duration: number | null;
  player_level: number | null;
  game_mode: string | null;
  experiment: string | null;
  variant: string | null;
  extra: string | null;
  client_timestamp: string | null;
  sent_at: string | null;
}

/** {@link SheetRow}'s columns, for a SELECT list. */
export const SHEET_COLUMNS =
  "id, match_id, player_id, timestamp, looted_items, locations, created_at, match_duration, player_level, game_mode, experiment, variant, extra, client_timestamp, sent_at";

/** A row as the API returns it: JSON columns parsed, clock-correction fields only when corrected. */
export function toStoredSheet(row: SheetRow): StoredStatSheet {
  const sheet: StoredStatSheet = {
    id: row.id,
    match_id: row.match_id,
    player_id: row.player_id,
    timestamp: row.timestamp,
    looted_items: JSON.parse(row.looted_items),
    locations: JSON.parse(row.locations),
    created_at: row.created_at,
    received_at: row.created_at,
    match_duration: row.match_duration,
    player_level: row.player_level,
    game_mode: row.game_mode,
    experiment: row.experiment,
    variant: row.variant,
    extra: row.extra === null ? null : JSON.parse(row.extra),
  };
  if (row.sent_at !== null) {
    sheet.sent_at = row.sent_at;
    if (row.client_timestamp !== null) sheet.client_timestamp = row.client_timestamp;
  }
  return sheet;
}
