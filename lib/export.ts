/**
 * Export encoders: stored stat sheets as CSV (RFC 4180), NDJSON or Parquet, one page at a time, so
 * an export of any size streams with flat memory. Pure: bytes in, bytes out, no I/O.
 * @module
 */
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
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
 * Creates the encoder of `format`; `items` are the item columns (CSV and Parquet), e.g. the keys
 * of the aggregate's `total_items`.
 * @example
 * const encoder = createSheetEncoder("csv", ["medkit"]);
 * const bytes = [encoder.start(), encoder.page(sheets), encoder.finish()];
 */
export function createSheetEncoder(format: ExportFormat, items: readonly string[]): SheetEncoder {
  if (format === "parquet") return createParquetEncoder(items);
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

type ParquetElement = {
  name: string;
  type?: "INT32" | "INT64" | "DOUBLE" | "BYTE_ARRAY";
  repetition_type?: "REQUIRED" | "OPTIONAL";
  converted_type?: "UTF8";
  logical_type?: { type: "TIMESTAMP"; isAdjustedToUTC: boolean; unit: "MILLIS" };
  num_children?: number;
};

/**
 * Parquet through hyparquet-writer, one row group per page. Its writer keeps only the row-group
 * metadata between pages; each group's bytes are handed back and dropped.
 */
function createParquetEncoder(items: readonly string[]): SheetEncoder {
  const text = (name: string, optional = false): ParquetElement => ({
    name,
    type: "BYTE_ARRAY",
    converted_type: "UTF8",
    repetition_type: optional ? "OPTIONAL" : "REQUIRED",
  });
  const instant = (name: string): ParquetElement => ({
    name,
    type: "INT64",
    repetition_type: "REQUIRED",
    logical_type: { type: "TIMESTAMP", isAdjustedToUTC: true, unit: "MILLIS" },
  });
  const optional = (name: string, type: "INT32" | "INT64" | "DOUBLE"): ParquetElement => ({
    name,
    type,
    repetition_type: "OPTIONAL",
  });
  const columns: ParquetElement[] = [
    { name: "id", type: "INT64", repetition_type: "REQUIRED" },
    text("match_id"),
    text("player_id"),
    instant("timestamp"),
    instant("created_at"),
    text("game_mode", true),
    optional("match_duration", "INT64"),
    optional("player_level", "INT64"),
    text("extra", true),
    ...items.flatMap((item) => {
      const [count, x, y] = describeItemColumns(item);
      return [optional(count, "INT32"), optional(x, "DOUBLE"), optional(y, "DOUBLE")];
    }),
  ];
  const bytes = new ByteWriter();
  const writer = new ParquetWriter({
    writer: bytes,
    schema: [{ name: "root", num_children: columns.length }, ...columns],
    createdBy: "Loot Telemetry (hyparquet-writer)",
  });
  const take = (): Uint8Array<ArrayBuffer> => {
    const chunk = bytes.getBytes().slice();
    bytes.index = 0; // offset keeps counting: the footer's row-group offsets stay absolute
    return chunk;
  };
  return {
    start: take,
    page(sheets) {
      if (sheets.length === 0) return new Uint8Array(0);
      const data: unknown[][] = columns.map(() => new Array(sheets.length));
      sheets.forEach((sheet, row) => {
        const fixed = [
          BigInt(sheet.id),
          sheet.match_id,
          sheet.player_id,
          new Date(sheet.timestamp),
          new Date(sheet.created_at),
          sheet.game_mode,
          sheet.match_duration === null ? null : BigInt(sheet.match_duration),
          sheet.player_level === null ? null : BigInt(sheet.player_level),
          sheet.extra === null ? null : JSON.stringify(sheet.extra),
        ];
        fixed.forEach((value, column) => data[column]![row] = value);
        let column = fixed.length;
        for (const item of items) {
          const point = Object.hasOwn(sheet.locations, item) ? sheet.locations[item] : undefined;
          data[column++]![row] = Object.hasOwn(sheet.looted_items, item)
            ? sheet.looted_items[item]
            : null;
          data[column++]![row] = point?.[0] ?? null;
          data[column++]![row] = point?.[1] ?? null;
        }
      });
      writer.write({
        columnData: columns.map((column, index) => ({ name: column.name, data: data[index]! })),
        rowGroupSize: sheets.length,
      });
      return take();
    },
    finish() {
      writer.finish();
      return take();
    },
  };
}

/** The download's file name: `loot_sheets_<UTC time>.<extension>`, safe on every file system. */
export function formatExportFileName(format: ExportFormat, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  return `loot_sheets_${stamp}.${EXPORT_MEDIA[format].extension}`;
}
