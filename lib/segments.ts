/**
 * Player segments: k-means (`ml-kmeans`, seeded, k-means++ initialisation) over per-player
 * profiles: each item's share of the player's units, units per match and level. Features are
 * standardised (z-scores) first, so units per match does not drown the shares.
 * @module
 */
import { kmeans } from "ml-kmeans";
import type { StatSheet } from "./types.ts";

/** One player's profile: what the clustering sees, unstandardised. */
export interface PlayerProfile {
  /** The player. */
  player_id: string;
  /** Matches (sheets) played. */
  matches: number;
  /** Units looted per match, on average. */
  units_per_match: number;
  /** Level in the latest sheet that has one (0 when none does). */
  level: number;
  /** Item → its share of the player's units (0 when the player looted nothing). */
  shares: Record<string, number>;
}

/** Builds per-player profiles from sheets; `items` fixes the share columns (default: every item seen). */
export function buildPlayerProfiles(
  sheets: Iterable<Pick<StatSheet, "player_id" | "looted_items" | "player_level">>,
  options: { items?: readonly string[] } = {},
): { items: string[]; profiles: PlayerProfile[] } {
  const players = new Map<
    string,
    { matches: number; units: number; level: number; items: Record<string, number> }
  >();
  const seen = new Set<string>(options.items ?? []);
  for (const sheet of sheets) {
    const row = players.get(sheet.player_id) ?? { matches: 0, units: 0, level: 0, items: {} };
    row.matches++;
    for (const [item, count] of Object.entries(sheet.looted_items)) {
      row.units += count;
      row.items[item] = (row.items[item] ?? 0) + count;
      if (!options.items) seen.add(item);
    }
    if (sheet.player_level !== undefined && sheet.player_level !== null) {
      row.level = sheet.player_level;
    }
    players.set(sheet.player_id, row);
  }
  const items = [...seen].sort();
  const profiles = [...players.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map((
    [player_id, row],
  ) => ({
    player_id,
    matches: row.matches,
    units_per_match: row.units / row.matches,
    level: row.level,
    shares: Object.fromEntries(
      items.map((item) => [item, row.units > 0 ? (row.items[item] ?? 0) / row.units : 0]),
    ),
  }));
  return { items, profiles };
}

/** One segment: who is in it and what its members look like on average. */
export interface Segment {
  /** 0-based segment number, largest segment first. */
  segment: number;
  /** Players in the segment. */
  players: number;
  /** Mean units per match of its players. */
  units_per_match: number;
  /** Mean level of its players. */
  level: number;
  /** Mean share of each item. */
  shares: Record<string, number>;
  /** The item whose share is most above the all-player mean. */
  signature_item: string;
  /** A plain-words description, e.g. "High-loot veterans, medkit-heavy". */
  description: string;
}

/** The result of {@link segmentPlayers}. */
export interface Segmentation {
  /** Item share columns, sorted. */
  items: string[];
  /** Segments, largest first. */
  segments: Segment[];
  /** Each profiled player with their segment number. */
  assignments: (PlayerProfile & { segment: number })[];
}

/**
 * Clusters players into `k` segments by k-means over standardised profiles, seeded so the same
 * sheets always give the same segments.
 * @example
 * const { segments } = segmentPlayers(sheets, { k: 4, seed: 42 });
 */
export function segmentPlayers(
  sheets: Iterable<Pick<StatSheet, "player_id" | "looted_items" | "player_level">>,
  options: { k?: number; seed?: number; items?: readonly string[] } = {},
): Segmentation {
  const { items, profiles } = buildPlayerProfiles(sheets, options);
  const k = Math.max(1, Math.min(options.k ?? 4, profiles.length));
  if (profiles.length === 0) return { items, segments: [], assignments: [] };
  const raw = profiles.map((profile) => [
    profile.units_per_match,
    profile.level,
    ...items.map((item) => profile.shares[item]!),
  ]);
  const columns = raw[0]!.length;
  const means = Array.from(
    { length: columns },
    (_, column) => raw.reduce((sum, row) => sum + row[column]!, 0) / raw.length,
  );
  const deviations = Array.from(
    { length: columns },
    (_, column) =>
      Math.sqrt(
        raw.reduce((sum, row) => sum + (row[column]! - means[column]!) ** 2, 0) / raw.length,
      ) ||
      1,
  );
  const data = raw.map((row) =>
    row.map((value, column) => (value - means[column]!) / deviations[column]!)
  );
  const { clusters } = kmeans(data, k, { seed: options.seed ?? 42, initialization: "kmeans++" });
  const groups = Array.from(
    { length: k },
    (_, cluster) => profiles.filter((_, index) => clusters[index] === cluster),
  );
  const order = groups.map((members, cluster) => ({ members, cluster }))
    .filter(({ members }) => members.length > 0)
    .sort((a, b) => b.members.length - a.members.length || a.cluster - b.cluster);
  const renumber = new Map(order.map(({ cluster }, index) => [cluster, index]));
  const average = (members: PlayerProfile[], pick: (profile: PlayerProfile) => number) =>
    members.reduce((sum, profile) => sum + pick(profile), 0) / members.length;
  const overallUnits = average(profiles, (profile) => profile.units_per_match);
  const overallLevel = average(profiles, (profile) => profile.level);
  const overallShares = Object.fromEntries(
    items.map((item) => [item, average(profiles, (profile) => profile.shares[item]!)]),
  );
  const segments = order.map(({ members }, index) => {
    const shares = Object.fromEntries(
      items.map((item) => [item, average(members, (profile) => profile.shares[item]!)]),
    );
    const signature = items.reduce(
      (best, item) =>
        shares[item]! - overallShares[item]! > shares[best]! - overallShares[best]! ? item : best,
      items[0] ?? "",
    );
    const units = average(members, (profile) => profile.units_per_match);
    const level = average(members, (profile) => profile.level);
    const loot = units > overallUnits * 1.15
      ? "High-loot"
      : units < overallUnits * 0.85
      ? "Low-loot"
      : "Typical-loot";
    const experience = level > overallLevel * 1.15
      ? "veterans"
      : level < overallLevel * 0.85
      ? "newcomers"
      : "regulars";
    return {
      segment: index,
      players: members.length,
      units_per_match: units,
      level,
      shares,
      signature_item: signature,
      description: `${loot} ${experience}${signature ? `, ${signature}-heavy` : ""}`,
    };
  });
  return {
    items,
    segments,
    assignments: profiles.map((profile, index) => ({
      ...profile,
      segment: renumber.get(clusters[index]!)!,
    })),
  };
}
