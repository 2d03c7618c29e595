import type { Hono } from "hono";
import {
  findFutureTimestamps,
  parseStatSheet,
  parseStatSheetBatch,
  type Problem,
  readNdjson,
  type StatSheet,
  ValidationError,
} from "../../lib/mod.ts";
import type { AppDeps } from "../app.ts";
import { requireRole } from "../guards.ts";
import { HttpError } from "../http_error.ts";
import { limitBody, rejectOtherMethods } from "../middleware.ts";
import {
  explainBodyError,
  JSON_MEDIA_TYPES,
  parseJsonText,
  readBodyStream,
  readBodyText,
  requireMediaType,
} from "../request.ts";

const NDJSON = "application/x-ndjson";

/** `POST /api/submit` (one sheet, the original's endpoint) and `POST /api/submit/batch`. */
export function registerIngestRoutes(app: Hono, { store, options, keys, now }: AppDeps): void {
  const writer = requireRole(keys, "write");
  app.post("/api/submit", writer, limitBody(options.maxSheetBytes), async (c) => {
    requireMediaType(c, JSON_MEDIA_TYPES);
    const value = parseJsonText(
      await readBodyText(c, "one JSON stat sheet", options.maxSheetBytes),
    );
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
    rejectFutureTimestamps([sheet], receivedAt, false);
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

  app.post("/api/submit/batch", writer, limitBody(options.maxBatchBytes), async (c) => {
    const mediaType = requireMediaType(c, [...JSON_MEDIA_TYPES, NDJSON]);
    const values = mediaType === NDJSON
      ? await readNdjsonBody(readBodyStream(c, options.maxBatchBytes), options)
      : parseJsonText(await readBodyText(c, "a JSON array of stat sheets", options.maxBatchBytes));
    const sheets = parseStatSheetBatch(values, { maxSheets: options.maxBatchSheets });
    const receivedAt = now();
    rejectFutureTimestamps(sheets, receivedAt, true);
    const outcomes = await store.insertSheets(sheets, { receivedAt });
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
  body: ReadableStream<Uint8Array> | null,
  limits: { maxBatchBytes: number; maxBatchSheets: number },
): Promise<unknown[]> {
  if (!body) {
    throw new HttpError(400, "Request body is empty: send one stat sheet per line", {
      code: "empty_body",
    });
  }
  const values: unknown[] = [];
  const problems: Problem[] = [];
  try {
    for await (const entry of readNdjson(body)) {
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
    if (error instanceof ValidationError) throw error;
    explainBodyError(error);
  }
  if (problems.length > 0) throw new ValidationError(problems, { summary: "Malformed NDJSON" });
  if (values.length === 0) {
    throw new HttpError(400, "Request body is empty: send one stat sheet per line", {
      code: "empty_body",
    });
  }
  return values;
}

function rejectFutureTimestamps(
  sheets: readonly StatSheet[],
  receivedAt: Date,
  batch: boolean,
): void {
  const problems = findFutureTimestamps(sheets, receivedAt, { batch });
  if (problems.length > 0) {
    throw new ValidationError(problems, {
      summary: batch ? "Invalid batch" : "Invalid stat sheet",
    });
  }
}
