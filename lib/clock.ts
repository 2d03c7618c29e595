import { parseIsoTimestamp } from "./timestamps.ts";
import type { StatSheet } from "./types.ts";

/** How far ahead of the server's clock a (corrected) timestamp may be: 24 hours. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

/**
 * How far a client's `sent_at` may be from the server's clock and still be corrected for: 7 days.
 * A clock further off than that is not skew but a wrong date, and correcting by it would move the
 * timestamp anywhere.
 */
export const MAX_CLOCK_SKEW_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The sheet's timestamp in epoch ms, corrected for the client's clock: when the client says when it
 * sent the sheet (`sent_at`, by its own clock), the offset between that and the server's receipt time
 * is the client clock's error, and is added to `timestamp`. Without a timestamp, the receipt time.
 * @example
 * // The client clock runs 10 minutes slow: its 10:00 is the server's 10:10.
 * correctTimestamp({ ...sheet, timestamp: "…T10:00:00Z", sent_at: "…T10:05:00Z" }, receivedAt_10_15);
 */
export function correctTimestamp(sheet: StatSheet, receivedAt: Date): number {
  const received = receivedAt.getTime();
  if (sheet.timestamp === undefined) return received;
  const timestamp = parseIsoTimestamp(sheet.timestamp) ?? received;
  if (sheet.sent_at === undefined) return timestamp;
  const sentAt = parseIsoTimestamp(sheet.sent_at);
  return sentAt === undefined ? timestamp : timestamp + (received - sentAt);
}
