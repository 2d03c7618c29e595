/** How an item is shown in tables and charts. */
export interface ItemInfo {
  /** Item name as on the wire and in `looted_items`, e.g. `rubber_duck`. */
  name: string;
  /** Human-readable name, sentence case, e.g. "Rubber duck". */
  label: string;
  /** One emoji shown beside the label (🎁 for items outside {@link DEFAULT_ITEMS}). */
  emoji: string;
}

/** Item names are data: any name matching this is accepted end to end. */
export const ITEM_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;

/** The five items of the original simulator, in its order. */
export const DEFAULT_ITEMS: readonly ItemInfo[] = Object.freeze([
  { name: "rubber_duck", label: "Rubber duck", emoji: "🦆" },
  { name: "medkit", label: "Medkit", emoji: "🩹" },
  { name: "ammo_box", label: "Ammo box", emoji: "📦" },
  { name: "grenade", label: "Grenade", emoji: "💣" },
  { name: "gold_coin", label: "Gold coin", emoji: "🪙" },
]);

/** Names of {@link DEFAULT_ITEMS}. */
export const DEFAULT_ITEM_NAMES: readonly string[] = Object.freeze(
  DEFAULT_ITEMS.map((item) => item.name),
);

/**
 * Tells why `name` is not a usable item name, or returns undefined when it is.
 * Names inherited by every object (`constructor`) are refused so a name can never shadow one.
 */
export function describeBadItemName(name: string): string | undefined {
  if (!ITEM_NAME_PATTERN.test(name)) {
    return `must match ${ITEM_NAME_PATTERN.source} (lowercase letter first, then up to 63 of a-z 0-9 _), got ${
      JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…` : name)
    }`;
  }
  if (name in Object.prototype) return `${JSON.stringify(name)} is reserved`;
  return undefined;
}

/** Returns the catalogue entry for `name`, deriving a label ("gold_coin" → "Gold coin") for unknown items. */
export function describeItem(name: string): ItemInfo {
  const known = DEFAULT_ITEMS.find((item) => item.name === name);
  if (known) return known;
  const words = name.replaceAll("_", " ").trim();
  return { name, label: words.charAt(0).toUpperCase() + words.slice(1), emoji: "🎁" };
}
