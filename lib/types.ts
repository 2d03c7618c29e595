/** Item name → number of units a player looted in one match. */
export type LootCounts = Record<string, number>;

/** Where an item was found on the map, as `[x, y]` (Python clients send tuples, which arrive as arrays). */
export type ItemLocation = [x: number, y: number];

/** Item name → where that item was found. */
export type ItemLocations = Record<string, ItemLocation>;

/** One player's telemetry for one match, as a game client sends it (snake_case is the wire format). */
export interface StatSheet {
  /** Match id, 1 to `SHEET_LIMITS.maxIdLength` characters, no control characters. */
  match_id: string;
  /** Player id, same rules as `match_id`; (`match_id`, `player_id`) is the sheet's key. */
  player_id: string;
  /** ISO 8601 as the client sent it; the server uses its receipt time when absent. */
  timestamp?: string;
  /** When the client sent the sheet, by its own clock: lets the server correct `timestamp` for clock skew. */
  sent_at?: string;
  /** Units looted per item, each an integer from 0 to `SHEET_LIMITS.maxCount`. */
  looted_items: LootCounts;
  /** Where each item of `looted_items` was found; optional on the wire (parsed as `{}`). */
  locations: ItemLocations;
  /** Match length in seconds, a non-negative integer (the simulator sends 300–1800). */
  match_duration?: number;
  /** Player's level, a non-negative integer (the simulator sends 1–50). */
  player_level?: number;
  /** Game mode of the match (`solo`, `squads`…), same pattern as item names; absent for old clients. */
  game_mode?: string;
  /** A/B experiment the player takes part in (item-name pattern); requires `variant`. */
  experiment?: string;
  /** The player's variant in `experiment` (item-name pattern, e.g. `control`). */
  variant?: string;
  /** Unknown top-level fields the client sent, kept verbatim and returned by listings. */
  extra?: Record<string, unknown>;
}

/** A stat sheet as the server stores and lists it. */
export interface StoredStatSheet {
  /** Id the server assigned, increasing with insertion; listings page by it (`cursor`). */
  id: number;
  /** Match id as sent. */
  match_id: string;
  /** Player id as sent. */
  player_id: string;
  /** ISO 8601: as sent, corrected for clock skew when `sent_at` came; the receipt time if absent. */
  timestamp: string;
  /** Units looted per item, as sent. */
  looted_items: LootCounts;
  /** Where each looted item was found, as sent (`{}` when none was). */
  locations: ItemLocations;
  /** When the server stored the sheet (ISO 8601, server clock). */
  created_at: string;
  /** When the server received the sheet (the same instant as `created_at`). */
  received_at: string;
  /** The timestamp as the client sent it, when the server corrected it with `sent_at`. */
  client_timestamp?: string;
  /** The client's `sent_at` as sent; absent when it sent none. */
  sent_at?: string;
  /** Match length in seconds; null when the client did not send it. */
  match_duration: number | null;
  /** Player's level; null when the client did not send it. */
  player_level: number | null;
  /** Game mode of the match; null when the client did not send one. */
  game_mode: string | null;
  /** A/B experiment of the sheet; null when the client sent none. */
  experiment: string | null;
  /** Variant in `experiment`; null when the client sent none. */
  variant: string | null;
  /** Unknown top-level fields the client sent, verbatim; null when there were none. */
  extra: Record<string, unknown> | null;
}

/** Totals across stat sheets: the `data` of `GET /api/aggregate`. */
export interface Aggregate {
  /** Units looted per item across the sheets, sorted by item name. */
  total_items: LootCounts;
  /** Distinct `match_id`s among the sheets. */
  total_matches: number;
  /** Distinct `player_id`s among the sheets (a player in several matches counts once). */
  total_players: number;
  /** Number of stat sheets counted. */
  total_stat_sheets: number;
}

/** Map extent that heatmap bins cover, in map units. */
export interface MapSize {
  /** Extent along x, from 0, in map units. */
  width: number;
  /** Extent along y, from 0, in map units. */
  height: number;
}

/** Looted units of one item binned over the map: `grid[row][column]`, row 0 at y = 0. */
export interface HeatmapGrid {
  /** Item whose looted units the grid counts. */
  item_name: string;
  /** Cells per axis (the grid is `bins` × `bins`), 1 to `MAX_BINS`. */
  bins: number;
  /** Extent along x the grid covers, in map units. */
  width: number;
  /** Extent along y the grid covers, in map units. */
  height: number;
  /** Width of one column, `width / bins`, in map units. */
  cell_width: number;
  /** Height of one row, `height / bins`, in map units. */
  cell_height: number;
  /** Units inside the map (summed over the grid). */
  count: number;
  /** Units whose location lies outside the map and so in no cell. */
  outside: number;
  /** Units per cell as `grid[row][column]`: the row follows y, the column x. */
  grid: number[][];
}

/** Every looted unit's location for one item: the `data` of `GET /api/heatmap/:item`. */
export interface HeatmapPoints {
  /** Item whose locations these are. */
  item_name: string;
  /** One `[x, y]` per looted unit, repeated per unit; sheets with no location for the item add none. */
  locations: ItemLocation[];
  /** Number of units located, equal to `locations.length`. */
  count: number;
}
