/**
 * Parquet export through hyparquet-writer (pure JavaScript, no native or WASM code, and it writes
 * row group by row group into a writer that can be drained, which a streamed export needs).
 * @module
 */
import { ByteWriter, ParquetWriter } from "hyparquet-writer";
import { describeItemColumns, type SheetEncoder } from "../lib/mod.ts";

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
export function createParquetEncoder(items: readonly string[]): SheetEncoder {
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
