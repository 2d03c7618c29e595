/**
 * Export encoders: stored stat sheets as CSV (RFC 4180) or NDJSON, one page at a time, so an export
 * of any size streams with flat memory; the column layout Parquet shares (the Parquet writer itself
 * is the server's, `server/export_parquet.ts`). Pure: bytes in, bytes out, no I/O.
 * @module
 */
import type { StoredStatSheet } from "./types.ts";

/** Formats `GET /api/export` and `deno task export` write. */
export const EXPORT_FORMATS = ["csv", "ndjson", "parquet"] as const;

/** One of {@link EXPORT_FORMATS}. */
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** Media type and file extension of each format. */
export const EXPORT_MEDIA: Readonly<Record<ExportFormat, { type: string; extension: string }>> =
  Object.freeze({
    csv: { type: "text/csv; charset=utf-8; header=present", extension: "csv" },
    ndjson: { type: "application/x-ndjson", extension: "ndjson" },
    parquet: { type: "application/vnd.apache.parquet", extension: "parquet" },
  });

/** Columns every export row starts with, before the per-item ones. */
export const FIXED_EXPORT_COLUMNS = [
  "id",
  "match_id",
  "player_id",
  "timestamp",
  "created_at",
  "game_mode",
  "match_duration",
  "player_level",
  "extra",
] as const;

/**
 * Per-item column names: `count_<item>`, `x_<item>`, `y_<item>`. Prefixes rather than suffixes,
 * because item names may themselves end in `_x` (an item `medkit_x` would collide with `medkit`'s x).
 */
export function describeItemColumns(item: string): [count: string, x: string, y: string] {
  return [`count_${item}`, `x_${item}`, `y_${item}`];
}

/**
 * Neutralises a text cell against spreadsheet formula injection (OWASP's rule): a value starting
 * with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`, so Excel, LibreOffice and
 * Google Sheets show it as text instead of evaluating it. Numbers are written as numbers, untouched.
 */
export function neutraliseFormula(text: string): string {
  return /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
}

/** One CSV field per RFC 4180: quoted when it holds a comma, a quote, CR or LF; quotes doubled. */
export function formatCsvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const text = neutraliseFormula(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Turns pages of sheets into the bytes of one export file: `start`, then `page` per page, then `finish`. */
export interface SheetEncoder {
  /** Bytes before the first row (the CSV header, Parquet's magic number). */
  start(): Uint8Array<ArrayBuffer>;
  /** The bytes of one page of sheets (a Parquet row group). */
  page(sheets: readonly StoredStatSheet[]): Uint8Array<ArrayBuffer>;
  /** Bytes after the last row (Parquet's footer). */
  finish(): Uint8Array<ArrayBuffer>;
}

/**
 * Creates the CSV or NDJSON encoder; `items` are the CSV's item columns, e.g. the keys of the
 * aggregate's `total_items`.
 * @example
 * const encoder = createTextEncoder("csv", ["medkit"]);
 * const bytes = [encoder.start(), encoder.page(sheets), encoder.finish()];
 */
export function createTextEncoder(
  format: "csv" | "ndjson",
  items: readonly string[],
): SheetEncoder {
  const encoder = new TextEncoder();
  const empty = new Uint8Array(0);
  if (format === "ndjson") {
    return {
      start: () => empty,
      page: (sheets) =>
        encoder.encode(sheets.map((sheet) => `${JSON.stringify(sheet)}\n`).join("")),
      finish: () => empty,
    };
  }
  const header = [...FIXED_EXPORT_COLUMNS, ...items.flatMap(describeItemColumns)];
  return {
    start: () => encoder.encode(`${header.map(formatCsvField).join(",")}\r\n`),
    page: (sheets) => encoder.encode(sheets.map((sheet) => formatCsvRow(sheet, items)).join("")),
    finish: () => empty,
  };
}

/** One sheet as a CSV record, CRLF-terminated. */
export function formatCsvRow(sheet: StoredStatSheet, items: readonly string[]): string {
  const cells: (string | number | null)[] = [
    sheet.id,
    sheet.match_id,
    sheet.player_id,
    sheet.timestamp,
    sheet.created_at,
    sheet.game_mode,
    sheet.match_duration,
    sheet.player_level,
    sheet.extra === null ? null : JSON.stringify(sheet.extra),
  ];
  for (const item of items) {
    const point = Object.hasOwn(sheet.locations, item) ? sheet.locations[item] : undefined;
    cells.push(
      Object.hasOwn(sheet.looted_items, item) ? sheet.looted_items[item]! : null,
      point?.[0] ?? null,
      point?.[1] ?? null,
    );
  }
  return `${cells.map(formatCsvField).join(",")}\r\n`;
}

/** The download's file name: `loot_sheets_<UTC time>.<extension>`, safe on every file system. */
export function formatExportFileName(format: ExportFormat, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return `loot_sheets_${stamp}.${EXPORT_MEDIA[format].extension}`;
}
