import { Hono } from "hono";
import {
  parseStatSheet,
  parseStatSheetBatch,
  prepareSheet,
  prepareSheets,
  type Problem,
  readNdjson,
  ValidationError,
} from "../../lib/mod.ts";
import type { AppDeps, AppEnv, IngestLimits } from "../deps.ts";
import { HttpError } from "../http_error.ts";
import { limitBody } from "../middleware.ts";
import {
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
    const values = mediaType === NDJSON
      ? await readNdjsonBody(readBodyStream(c, limits.maxBatchBytes), limits)
      : parseJsonText(await readBodyText(c, "a JSON array of stat sheets", limits.maxBatchBytes));
    const sheets = parseStatSheetBatch(values, { maxSheets: limits.maxBatchSheets });
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
 * Parses an NDJSON body line by line as it streams in (no second copy of the body as one string),
 * stopping early at the byte or sheet limit and naming every line that is not JSON.
 */
async function readNdjsonBody(
  body: ReadableStream<Uint8Array> | null,
  limits: IngestLimits,
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
