/**
 * From rows of per-bucket sums to a {@link Timeseries}: the part of a time series both storage
 * engines share, whatever SQL produced the rows (a rollup or the sheets themselves).
 * @module
 */
import {
  bucketStartOf,
  formatBucketStart,
  INTERVAL_MS,
  MAX_TIME_BUCKETS,
  type TimeBucket,
  type Timeseries,
} from "./analytics.ts";
import { ValidationError } from "./errors.ts";
import { countBuckets, describeTooManyBuckets, type TimeseriesRequest } from "./query.ts";

/** One row of a series: per bucket start (epoch ms), totals (`item` null) or one item's sums. */
export interface TimeRow {
  /** Start of the bucket, epoch ms. */
  bucket: number;
  /** The item these sums are of, or null for the bucket's totals. */
  item: string | null;
  /** Sheets (for an item: sheets that looted it). */
  sheets: number;
  /** Units looted. */
  units: number;
}

/**
 * Whether the time rollups can answer `request`: they have no match prefix, and their buckets
 * must not be cut in two by `since` or `until`.
 */
export function timeRollupAnswers(request: TimeseriesRequest): boolean {
  const width = INTERVAL_MS[request.interval];
  const aligned = (ms: number | undefined) => ms === undefined || ms % width === 0;
  return request.matchPrefix === undefined && aligned(request.sinceMs) &&
    aligned(request.untilMs);
}

/**
 * Sums `rows` per bucket and fills the empty buckets between the first and the last (or `since`
 * and `until`), items sorted by name; a `ValidationError` past `MAX_TIME_BUCKETS` buckets.
 */
export function assembleTimeseries(
  request: TimeseriesRequest,
  rows: Iterable<TimeRow>,
): Timeseries {
  const { interval, item } = request;
  const width = INTERVAL_MS[interval];
  const byBucket = new Map<number, TimeBucket>();
  for (const row of rows) {
    if (item !== undefined && row.sheets === 0) continue;
    const bucket = byBucket.get(row.bucket) ??
      { start: formatBucketStart(row.bucket), sheets: 0, units: 0, total_items: {} };
    if (row.item === null) {
      bucket.sheets += row.sheets;
      bucket.units += row.units;
    } else {
      bucket.total_items[row.item] = (bucket.total_items[row.item] ?? 0) + row.units;
      if (item !== undefined) {
        bucket.sheets += row.sheets;
        bucket.units += row.units;
      }
    }
    byBucket.set(row.bucket, bucket);
  }
  const starts = [...byBucket.keys()];
  if (starts.length === 0 && (request.sinceMs === undefined || request.untilMs === undefined)) {
    return { interval, buckets: [] };
  }
  const first = request.sinceMs !== undefined
    ? bucketStartOf(request.sinceMs, interval)
    : Math.min(...starts);
  const last = request.untilMs !== undefined
    ? bucketStartOf(request.untilMs - 1, interval)
    : Math.max(...starts);
  const total = countBuckets(first, last + 1, interval);
  if (total > MAX_TIME_BUCKETS) {
    throw new ValidationError([{ path: "", message: describeTooManyBuckets(total, interval) }], {
      summary: "Invalid query",
    });
  }
  const buckets: TimeBucket[] = [];
  for (let start = first; start <= last; start += width) {
    const bucket = byBucket.get(start) ??
      { start: formatBucketStart(start), sheets: 0, units: 0, total_items: {} };
    bucket.total_items = Object.fromEntries(
      Object.entries(bucket.total_items).sort(([a], [b]) => (a < b ? -1 : 1)),
    );
    buckets.push(bucket);
  }
  return { interval, buckets };
}
