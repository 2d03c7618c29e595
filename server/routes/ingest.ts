import type { Hono } from "hono";
import {
  NdjsonTooLargeError,
  parseStatSheet,
  parseStatSheetBatch,
  type Problem,
  readNdjson,
  ValidationError,
} from "../../lib/mod.ts";
import type { AppDeps } from "../app.ts";
import { HttpError } from "../http_error.ts";
import { formatBytes, limitBody, rejectOtherMethods } from "../middleware.ts";
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
    const values = mediaType === NDJSON
      ? await readNdjsonBody(c.req.raw, options)
      : parseJsonText(await readBodyText(c, "a JSON array of stat sheets"));
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

/**
 * Parses an NDJSON body line by line as it streams in (no second copy of the body as one string),
 * stopping early at the byte or sheet limit and naming every line that is not JSON.
 */
async function readNdjsonBody(
  request: Request,
  limits: { maxBatchBytes: number; maxBatchSheets: number },
): Promise<unknown[]> {
  if (!request.body) {
    throw new HttpError(400, "Request body is empty: send one stat sheet per line", {
      code: "empty_body",
    });
  }
  const values: unknown[] = [];
  const problems: Problem[] = [];
  try {
    for await (const entry of readNdjson(request.body, { maxBytes: limits.maxBatchBytes })) {
      if ("error" in entry) {
        const path = `[line ${entry.line}]`;
        problems.push({ path, message: `${path} is not valid JSON: ${entry.error}` });
      } else if (values.push(entry.value) > limits.maxBatchSheets) {
        throw new ValidationError([{
          path: "",
          message: `Batch holds more than the limit of ${limits.maxBatchSheets} stat sheets`,
        }], { summary: "Invalid batch" });
      }
    }
  } catch (error) {
    if (error instanceof NdjsonTooLargeError) {
      throw new HttpError(
        413,
        `Request body exceeds the limit of ${formatBytes(limits.maxBatchBytes)}`,
        {
          code: "payload_too_large",
        },
      );
    }
    throw error;
  }
  if (problems.length > 0) throw new ValidationError(problems, { summary: "Malformed NDJSON" });
  if (values.length === 0) {
    throw new HttpError(400, "Request body is empty: send one stat sheet per line", {
      code: "empty_body",
    });
  }
  return values;
}
