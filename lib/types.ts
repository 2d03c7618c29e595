/** Item name → number of units a player looted in one match. */
export type LootCounts = Record<string, number>;

/** Where an item was found on the map, as `[x, y]` (Python clients send tuples, which arrive as arrays). */
export type ItemLocation = [x: number, y: number];

/** Item name → where that item was found. */
export type ItemLocations = Record<string, ItemLocation>;

/** One player's telemetry for one match, as a game client sends it (snake_case is the wire format). */
export interface StatSheet {
  match_id: string;
  player_id: string;
  /** ISO 8601 as the client sent it; the server uses its receipt time when absent. */
  timestamp?: string;
  /** When the client sent the sheet, by its own clock: lets the server correct `timestamp` for clock skew. */
  sent_at?: string;
  looted_items: LootCounts;
  locations: ItemLocations;
  match_duration?: number;
  player_level?: number;
  /** Unknown top-level fields the client sent, kept verbatim and returned by listings. */
  extra?: Record<string, unknown>;
}

/** A stat sheet as the server stores and lists it. */
export interface StoredStatSheet {
  id: number;
  match_id: string;
  player_id: string;
  timestamp: string;
  looted_items: LootCounts;
  locations: ItemLocations;
  created_at: string;
  /** When the server received the sheet (the same instant as `created_at`). */
  received_at: string;
  /** The timestamp as the client sent it, when the server corrected it with `sent_at`. */
  client_timestamp?: string;
  sent_at?: string;
  match_duration: number | null;
  player_level: number | null;
  extra: Record<string, unknown> | null;
}

/** Totals across stat sheets: the `data` of `GET /api/aggregate`. */
export interface Aggregate {
  total_items: LootCounts;
  total_matches: number;
  total_players: number;
  total_stat_sheets: number;
}

/** Map extent that heatmap bins cover, in map units. */
export interface MapSize {
  width: number;
  height: number;
}

/** Looted units of one item binned over the map: `grid[row][column]`, row 0 at y = 0. */
export interface HeatmapGrid {
  item_name: string;
  bins: number;
  width: number;
  height: number;
  cell_width: number;
  cell_height: number;
  /** Units inside the map (summed over the grid). */
  count: number;
  /** Units whose location lies outside the map and so in no cell. */
  outside: number;
  grid: number[][];
}

/** Every looted unit's location for one item: the `data` of `GET /api/heatmap/:item`. */
export interface HeatmapPoints {
  item_name: string;
  locations: ItemLocation[];
  count: number;
}
