import type { Hono } from "hono";
import { parseNdjson, parseStatSheet, parseStatSheetBatch } from "../../lib/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "../http_error.ts";
import { limitBody, rejectOtherMethods } from "../middleware.ts";
import { JSON_MEDIA_TYPES, parseJsonText, readBodyText, requireMediaType } from "../request.ts";

const NDJSON = "application/x-ndjson";

/** `POST /api/submit` (one sheet, the original's endpoint) and `POST /api/submit/batch`. */
export function registerIngestRoutes(app: Hono, { store, options, now }: AppDeps): void {
  app.post("/api/submit", limitBody(options.maxSheetBytes), async (c) => {
    requireMediaType(c, JSON_MEDIA_TYPES);
    const value = parseJsonText(await readBodyText(c, "one JSON stat sheet"));
    if (Array.isArray(value)) {
      throw new HttpError(
        400,
        "POST /api/submit takes one stat sheet, got an array: send arrays to /api/submit/batch",
        {
          code: "use_batch_endpoint",
        },
      );
    }
    const sheet = parseStatSheet(value);
    const receivedAt = now();
    const [outcome] = await store.insertSheets([sheet], { receivedAt });
    const { id, duplicate } = outcome!;
    if (duplicate) {
      return c.json({
        success: true,
        message: "Stat sheet already received",
        id,
        timestamp: receivedAt.toISOString(),
        duplicate: true,
      }, 200);
    }
    return c.json(
      {
        success: true,
        message: "Stat sheet received successfully",
        id,
        timestamp: receivedAt.toISOString(),
      },
      201,
    );
  });
  rejectOtherMethods(app, "/api/submit", ["POST"]);

  app.post("/api/submit/batch", limitBody(options.maxBatchBytes), async (c) => {
    const mediaType = requireMediaType(c, [...JSON_MEDIA_TYPES, NDJSON]);
    const text = await readBodyText(
      c,
      mediaType === NDJSON ? "one stat sheet per line" : "a JSON array of stat sheets",
    );
    const values = mediaType === NDJSON ? parseNdjson(text) : parseJsonText(text);
    const sheets = parseStatSheetBatch(values, { maxSheets: options.maxBatchSheets });
    const outcomes = await store.insertSheets(sheets, { receivedAt: now() });
    const duplicates = outcomes.filter((outcome) => outcome.duplicate).length;
    return c.json({
      success: true,
      inserted: outcomes.length - duplicates,
      duplicates,
      ids: outcomes.map((outcome) => outcome.id),
    }, 201);
  });
  rejectOtherMethods(app, "/api/submit/batch", ["POST"]);
}
