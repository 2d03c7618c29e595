const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an ISO 8601 date or date-time to epoch milliseconds, or returns undefined when it is not one.
 * A time without an offset is read as UTC, as Python's `datetime.isoformat()` output from game
 * clients carries none. Fractions beyond milliseconds (Python sends microseconds) are truncated.
 * @example
 * parseIsoTimestamp("2025-10-23T10:30:00"); // 1761215400000
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", offset = "Z"] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[];
  if (month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  const daysInMonth = new Date(Date.UTC(year!, month!, 0)).getUTCDate();
  if (day! < 1 || day! > daysInMonth) return undefined;
  const millis = Number(fraction.padEnd(3, "0").slice(0, 3));
  const utc = Date.UTC(year!, month! - 1, day!, hour!, minute!, second!, millis);
  return utc - parseOffsetMinutes(offset) * 60_000;
}

function parseOffsetMinutes(offset: string): number {
  if (offset === "Z" || offset === "z") return 0;
  const sign = offset.startsWith("-") ? -1 : 1;
  const digits = offset.slice(1).replace(":", "");
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0"));
}

/** Formats epoch milliseconds as ISO 8601 UTC with milliseconds (`2025-10-23T10:30:00.000Z`). */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
