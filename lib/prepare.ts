/**
 * What gets stored for a sheet, decided once: every path that stores (HTTP ingest, `deno task
 * import`, benchmarks) prepares sheets here, and the store only writes what it is given.
 * @module
 */
import { correctTimestamp, MAX_FUTURE_MS } from "./clock.ts";
import { type Problem, ValidationError } from "./errors.ts";
import { fingerprintStatSheet } from "./fingerprint.ts";
import type { StatSheet } from "./types.ts";

/** A validated sheet with everything the store writes beside it. */
export interface PreparedSheet {
  /** The validated sheet as sent; the store writes its fields verbatim. */
  sheet: StatSheet;
  /** The timestamp stored: corrected for clock skew when `sent_at` was sent, else as sent, else the receipt time. */
  timestamp: string;
  /** {@link PreparedSheet.timestamp} in epoch ms, for range queries. */
  timestampMs: number;
  /** When the server received the sheet (ISO 8601). */
  receivedAt: string;
  /** The client's own timestamp when it was corrected with `sent_at`; null otherwise. */
  clientTimestamp: string | null;
  /** Content hash that tells a resubmission (same) from a conflict (different). */
  fingerprint: string;
}

/**
 * Prepares one sheet for storage at `receivedAt`: corrects its timestamp for clock skew, refuses one
 * more than {@link MAX_FUTURE_MS} ahead (a `ValidationError`), and fingerprints it.
 * @example
 * const prepared = prepareSheet(parseStatSheet(body), new Date());
 */
export function prepareSheet(sheet: StatSheet, receivedAt: Date): PreparedSheet {
  return prepareSheets([sheet], receivedAt, { batch: false })[0]!;
}

/**
 * Prepares a batch, all or nothing: every problem is collected with its index (`[3].timestamp`)
 * before a `ValidationError` is thrown.
 */
export function prepareSheets(
  sheets: readonly StatSheet[],
  receivedAt: Date,
  options: { batch?: boolean } = {},
): PreparedSheet[] {
  const batch = options.batch ?? true;
  const received = receivedAt.getTime();
  const receivedIso = receivedAt.toISOString();
  const problems: Problem[] = [];
  const prepared = sheets.map((sheet, index) => {
    const timestampMs = correctTimestamp(sheet, receivedAt);
    const ahead = timestampMs - received;
    if (ahead > MAX_FUTURE_MS) {
      const path = batch ? `[${index}].timestamp` : "timestamp";
      problems.push({
        path,
        message: `${path} is ${
          (ahead / 3_600_000).toFixed(1)
        } h ahead of the server clock (at most ${
          MAX_FUTURE_MS / 3_600_000
        } h is accepted), got ${sheet.timestamp}`,
      });
    }
    const corrected = sheet.sent_at !== undefined;
    return {
      sheet,
      timestamp: corrected ? new Date(timestampMs).toISOString() : sheet.timestamp ?? receivedIso,
      timestampMs,
      receivedAt: receivedIso,
      clientTimestamp: corrected ? sheet.timestamp ?? null : null,
      fingerprint: fingerprintStatSheet(sheet),
    };
  });
  if (problems.length > 0) {
    throw new ValidationError(problems, {
      summary: batch ? "Invalid batch" : "Invalid stat sheet",
    });
  }
  return prepared;
}
