import type { Problem } from "./errors.ts";
import { parseIsoTimestamp } from "./timestamps.ts";
import type { StatSheet } from "./types.ts";

/** How far ahead of the server's clock a (corrected) timestamp may be. */
export const MAX_FUTURE_MS = 24 * 60 * 60 * 1000;

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

/** Problems for sheets whose corrected timestamp lies more than 24 h after `receivedAt`, each with its index. */
export function findFutureTimestamps(
  sheets: readonly StatSheet[],
  receivedAt: Date,
  options: { batch?: boolean } = {},
): Problem[] {
  const problems: Problem[] = [];
  sheets.forEach((sheet, index) => {
    const ahead = correctTimestamp(sheet, receivedAt) - receivedAt.getTime();
    if (ahead > MAX_FUTURE_MS) {
      const path = options.batch ? `[${index}].timestamp` : "timestamp";
      problems.push({
        path,
        message: `${path} is ${
          (ahead / 3_600_000).toFixed(1)
        } h ahead of the server clock (at most 24 h is accepted), got ${sheet.timestamp}`,
      });
    }
  });
  return problems;
}
