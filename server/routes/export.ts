import { Hono } from "hono";
import {
  createTextEncoder,
  EXPORT_MEDIA,
  type ExportRequest,
  formatExportFileName,
  parseExportQuery,
  type SheetEncoder,
  STATS_PAGE,
  type StoredStatSheet,
} from "../../lib/mod.ts";
import { createParquetEncoder } from "../export_parquet.ts";
import type { AppDeps, AppEnv } from "../deps.ts";
import { searchParamsOf } from "../request.ts";
import type { Store } from "../store/store.ts";

/**
 * Sheets read per page: small enough that one page's listing and encoding hold the event loop for
 * a few milliseconds, except Parquet, where a page is a row group and larger groups compress and
 * scan better.
 */
const PAGE_SHEETS = { csv: 2_000, ndjson: 2_000, parquet: STATS_PAGE.max } as const;

/**
 * `GET /api/export?format=csv|ndjson|parquet` with the `/api/stats` filters: every matching sheet,
 * newest first, streamed page by page through the keyset cursor (memory stays flat at any size),
 * gzipped when the client accepts it (CSV and NDJSON; Parquet is compressed inside). Mounted at
 * `/api/export`.
 */
export function createExportRoutes({ store, guard, now }: AppDeps): Hono<AppEnv> {
  return new Hono<AppEnv>().get("/", guard.role("read"), (c) => {
    const request = parseExportQuery(searchParamsOf(c));
    const media = EXPORT_MEDIA[request.format];
    let body = streamExport(store, request);
    const headers: Record<string, string> = {
      "content-type": media.type,
      "content-disposition": `attachment; filename="${
        formatExportFileName(request.format, now())
      }"`,
      "cache-control": "no-store",
      vary: "accept-encoding",
    };
    if (request.format !== "parquet" && acceptsGzip(c.req.header("accept-encoding"))) {
      body = body.pipeThrough(new CompressionStream("gzip"));
      headers["content-encoding"] = "gzip";
    }
    return c.body(body, 200, headers);
  });
}

/** True when an Accept-Encoding header allows gzip (and does not refuse it with `q=0`). */
export function acceptsGzip(header: string | undefined): boolean {
  if (!header) return false;
  return header.split(",").some((part) => {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    return (coding === "gzip" || coding === "x-gzip") &&
      (q === undefined || Number(q.slice(2)) > 0);
  });
}

/**
 * The export file as a byte stream, produced as the client reads it: one page of sheets per pull,
 * so a slow client holds the server to one page. The item columns are read after the first page,
 * so every sheet exported (none newer than that page) has its items among them.
 */
export function streamExport(
  store: Store,
  request: ExportRequest,
): ReadableStream<Uint8Array<ArrayBuffer>> {
  const limit = PAGE_SHEETS[request.format];
  let encoder: SheetEncoder | undefined;
  let beforeId: number | undefined;
  let done = false;
  const readPage = (): Promise<StoredStatSheet[]> =>
    store.listSheets({ ...request.filter, limit, beforeId });
  return new ReadableStream<Uint8Array<ArrayBuffer>>({
    async pull(controller) {
      if (done) return;
      const sheets = await readPage();
      if (!encoder) {
        const items = Object.keys((await store.aggregate()).total_items);
        encoder = request.format === "parquet"
          ? createParquetEncoder(items)
          : createTextEncoder(request.format, items);
        enqueue(controller, encoder.start());
      }
      enqueue(controller, encoder.page(sheets));
      beforeId = sheets.at(-1)?.id;
      if (sheets.length < limit) {
        done = true;
        enqueue(controller, encoder.finish());
        controller.close();
      }
    },
  }, { highWaterMark: 0 });
}

function enqueue(
  controller: ReadableStreamDefaultController<Uint8Array<ArrayBuffer>>,
  bytes: Uint8Array<ArrayBuffer>,
) {
  if (bytes.byteLength > 0) controller.enqueue(bytes);
}
