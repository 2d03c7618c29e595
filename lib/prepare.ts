/**
 * What gets stored for a sheet, decided once: every path that stores (HTTP ingest, `deno task
 * import`, benchmarks) prepares sheets here, and the store only writes what it is given.
 * @module
 */
import { correctTimestamp, MAX_CLOCK_SKEW_MS, MAX_FUTURE_MS } from "./clock.ts";
import { type Problem, ValidationError } from "./errors.ts";
import { fingerprintSheet } from "./fingerprint.ts";
import { describeTimestampRange, parseIsoTimestamp } from "./timestamps.ts";
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
  /** Content hash that tells a resubmission (same) from a conflict (different): `fingerprintSheet`. */
  fingerprint: string;
}

/**
 * Prepares one sheet for storage at `receivedAt`: corrects its timestamp for clock skew (refusing a
 * `sent_at` more than {@link MAX_CLOCK_SKEW_MS} from `receivedAt`), refuses a timestamp more than
 * {@link MAX_FUTURE_MS} ahead or one the correction moved out of range (a `ValidationError`), and
 * fingerprints it.
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
  const prepared: PreparedSheet[] = [];
  sheets.forEach((sheet, index) => {
    const pathOf = (field: string) => batch ? `[${index}].${field}` : field;
    const skew = sheet.sent_at === undefined
      ? 0
      : received - (parseIsoTimestamp(sheet.sent_at) ?? received);
    if (Math.abs(skew) > MAX_CLOCK_SKEW_MS) {
      const path = pathOf("sent_at");
      problems.push({
        path,
        message: `${path} is ${(Math.abs(skew) / 86_400_000).toFixed(1)} days ${
          skew > 0 ? "behind" : "ahead of"
        } the server clock (at most ${
          MAX_CLOCK_SKEW_MS / 86_400_000
        } days of clock skew is corrected), got ${sheet.sent_at}`,
      });
      return;
    }
    const timestampMs = correctTimestamp(sheet, receivedAt);
    const outOfRange = describeTimestampRange(timestampMs);
    if (outOfRange) {
      const path = pathOf("timestamp");
      problems.push({
        path,
        message: `${path} corrected for clock skew ${outOfRange}, got ${sheet.timestamp}`,
      });
      return;
    }
    const ahead = timestampMs - received;
    if (ahead > MAX_FUTURE_MS) {
      const path = pathOf("timestamp");
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
    prepared.push({
      sheet,
      timestamp: corrected ? new Date(timestampMs).toISOString() : sheet.timestamp ?? receivedIso,
      timestampMs,
      receivedAt: receivedIso,
      clientTimestamp: corrected ? sheet.timestamp ?? null : null,
      fingerprint: fingerprintSheet(sheet),
    });
  });
  if (problems.length > 0) {
    throw new ValidationError(problems, {
      summary: batch ? "Invalid batch" : "Invalid stat sheet",
    });
  }
  return prepared;
}
