import { Hono } from "hono";
import {
  createBatchValidator,
  JsonTextError,
  parseJsonBounded,
  parseStatSheet,
  parseStatSheetBatch,
  prepareSheet,
  prepareSheets,
  ProblemList,
  readNdjson,
  splitJsonArray,
  type StatSheet,
  ValidationError,
} from "../../lib/mod.ts";
import type { AppDeps, AppEnv, IngestLimits } from "../deps.ts";
import { HttpError } from "../http_error.ts";
import { limitBody } from "../middleware.ts";
import {
  createTimeSlicer,
  explainBodyError,
  JSON_MEDIA_TYPES,
  parseJsonText,
  readBodyStream,
  readBodyText,
  requireMediaType,
} from "../request.ts";

const NDJSON = "application/x-ndjson";

/**
 * `POST /api/submit` (one sheet, the original's endpoint) and `POST /api/submit/batch`; mounted at
 * `/api`. Sheets are validated, prepared (`prepareSheets`) and then stored.
 */
export function createIngestRoutes({ store, limits, guard, now }: AppDeps): Hono<AppEnv> {
  const routes = new Hono<AppEnv>();
  const writer = guard.role("write");
  routes.post("/submit", writer, limitBody(limits.maxSheetBytes), async (c) => {
    requireMediaType(c, JSON_MEDIA_TYPES);
    const value = parseJsonText(
      await readBodyText(c, "one JSON stat sheet", limits.maxSheetBytes),
    );
    if (Array.isArray(value)) {
      throw new HttpError(
        400,
        "POST /api/submit takes one stat sheet, got an array: send arrays to /api/submit/batch",
        { code: "use_batch_endpoint" },
      );
    }
    const receivedAt = now();
    const prepared = prepareSheet(parseStatSheet(value), receivedAt);
    const [outcome] = await store.insertSheets([prepared]);
    const { id, duplicate } = outcome!;
    c.set("sheetsStored", duplicate ? 0 : 1);
    return c.json({
      success: true,
      message: duplicate ? "Stat sheet already received" : "Stat sheet received successfully",
      id,
      timestamp: receivedAt.toISOString(),
      ...(duplicate ? { duplicate: true } : {}),
    }, duplicate ? 200 : 201);
  });

  routes.post("/submit/batch", writer, limitBody(limits.maxBatchBytes), async (c) => {
    const mediaType = requireMediaType(c, [...JSON_MEDIA_TYPES, NDJSON]);
    const sheets = mediaType === NDJSON
      ? await readNdjsonBatch(readBodyStream(c, limits.maxBatchBytes), limits)
      : await readJsonArrayBatch(
        await readBodyText(c, "a JSON array of stat sheets", limits.maxBatchBytes),
        limits,
      );
    const outcomes = await store.insertSheets(prepareSheets(sheets, now()));
    const duplicates = outcomes.filter((outcome) => outcome.duplicate).length;
    c.set("sheetsStored", outcomes.length - duplicates);
    return c.json({
      success: true,
      inserted: outcomes.length - duplicates,
      duplicates,
      ids: outcomes.map((outcome) => outcome.id),
    }, 201);
  });
  return routes;
}

/**
 * Parses and validates a JSON array body element by element, pausing every few milliseconds so
 * that an 8 MiB batch never holds the event loop (one `JSON.parse` of it would, for over 100 ms).
 * A body that is not an array is parsed whole, for the validator's own message.
 */
async function readJsonArrayBatch(text: string, limits: IngestLimits): Promise<StatSheet[]> {
  if (!/^\s*\[/.test(text)) {
    return parseStatSheetBatch(parseJsonText(text), { maxSheets: limits.maxBatchSheets });
  }
  const validator = createBatchValidator({ maxSheets: limits.maxBatchSheets });
  const slicer = createTimeSlicer();
  let count = 0;
  try {
    for (const element of splitJsonArray(text)) {
      // Past the limit, the rest is only counted (a scan, no parsing) to name the batch's size.
      if (++count <= limits.maxBatchSheets) validator.add(parseJsonBounded(element));
      await slicer.pause();
    }
  } catch (error) {
    if (error instanceof JsonTextError) {
      throw new HttpError(400, `Malformed JSON: ${error.message}`, { code: "malformed_json" });
    }
    throw error;
  }
  if (count > limits.maxBatchSheets) {
    throw new ValidationError([{
      path: "",
      message: `Batch holds ${count} stat sheets, more than the limit of ${limits.maxBatchSheets}`,
    }], { summary: "Invalid batch" });
  }
  return validator.finish();
}

/**
 * Parses and validates an NDJSON body line by line as it streams in (no second copy of the body as
 * one string), pausing every few milliseconds, stopping early at the byte or sheet limit, and
 * naming every line that is not JSON (at most 100, with the count).
 */
async function readNdjsonBatch(
  body: ReadableStream<Uint8Array> | null,
  limits: IngestLimits,
): Promise<StatSheet[]> {
  const empty = () =>
    new HttpError(400, "Request body is empty: send one stat sheet per line", {
      code: "empty_body",
    });
  if (!body) throw empty();
  const validator = createBatchValidator({ maxSheets: limits.maxBatchSheets });
  const malformed = new ProblemList();
  const slicer = createTimeSlicer();
  let sheets = 0;
  try {
    for await (const entry of readNdjson(body, { maxLineBytes: limits.maxSheetBytes })) {
      if ("error" in entry) {
        const path = `[line ${entry.line}]`;
        malformed.push({ path, message: `${path} is not valid JSON: ${entry.error}` });
      } else {
        validator.add(entry.value);
        sheets++;
      }
      await slicer.pause();
    }
  } catch (error) {
    if (error instanceof ValidationError) throw error;
    explainBodyError(error);
  }
  if (malformed.total > 0) throw new ValidationError(malformed, { summary: "Malformed NDJSON" });
  if (sheets === 0) throw empty();
  return validator.finish();
}
