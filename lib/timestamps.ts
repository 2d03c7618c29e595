/**
 * Date-times as clients send them: ISO 8601 / RFC 3339 text, read exactly (no two-digit-year
 * rules, offsets checked), and the range a stored timestamp may take.
 * @module
 */

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?([Zz]|[+-]\d{2}:\d{2})?$/;

/** Earliest timestamp a sheet may carry: the Unix epoch. */
export const MIN_TIMESTAMP_MS: number = Date.UTC(1970, 0, 1);
/** Latest timestamp a sheet may carry: the end of year 9999, the last a four-digit year writes. */
export const MAX_TIMESTAMP_MS: number = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/**
 * Parses an ISO 8601 date or date-time to epoch milliseconds, or returns undefined when it is not one.
 * A time without an offset is read as UTC, as Python's `datetime.isoformat()` output from game
 * clients carries none; an offset is `Z` or `±hh:mm` with hh 00–23 and mm 00–59 (RFC 3339).
 * Years are taken as written (0099 is the year 99, not 1999). Fractions beyond milliseconds
 * (Python sends microseconds) are truncated.
 * @example
 * parseIsoTimestamp("2025-10-23T10:30:00"); // 1761215400000
 */
export function parseIsoTimestamp(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (!match) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", fraction = "", offset = "Z"] = match;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as number[];
  if (month! < 1 || month! > 12 || hour! > 23 || minute! > 59 || second! > 59) return undefined;
  if (day! < 1 || day! > daysInMonth(year!, month!)) return undefined;
  const offsetMinutes = parseOffsetMinutes(offset);
  if (offsetMinutes === undefined) return undefined;
  const millis = Number(fraction.padEnd(3, "0").slice(0, 3));
  // setUTCFullYear takes the year as given; Date.UTC would map 0–99 onto 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year!, month! - 1, day!);
  date.setUTCHours(hour!, minute!, second!, millis);
  return date.getTime() - offsetMinutes * 60_000;
}

/**
 * Says why an instant cannot be a sheet's timestamp (outside 1970-01-01 to 9999-12-31 UTC), or
 * returns undefined when it can.
 */
export function describeTimestampRange(epochMs: number): string | undefined {
  if (epochMs >= MIN_TIMESTAMP_MS && epochMs <= MAX_TIMESTAMP_MS) return undefined;
  return "must lie between 1970-01-01T00:00:00Z and 9999-12-31T23:59:59Z";
}

function daysInMonth(year: number, month: number): number {
  const probe = new Date(0);
  probe.setUTCFullYear(year, month, 0);
  return probe.getUTCDate();
}

/** Minutes east of UTC, or undefined for an offset RFC 3339 does not allow (`+24:00`, `-23:60`). */
function parseOffsetMinutes(offset: string): number | undefined {
  if (offset === "Z" || offset === "z") return 0;
  const hours = Number(offset.slice(1, 3));
  const minutes = Number(offset.slice(4, 6));
  if (hours > 23 || minutes > 59) return undefined;
  return (offset.startsWith("-") ? -1 : 1) * (hours * 60 + minutes);
}

/** Formats epoch milliseconds as ISO 8601 UTC with milliseconds (`2025-10-23T10:30:00.000Z`). */
export function formatTimestamp(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
