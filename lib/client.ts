import type { Aggregate, HeatmapGrid, HeatmapPoints, StatSheet, StoredStatSheet } from "./types.ts";
import type { AnomalyRow } from "./anomalies.ts";
import type { ExperimentAnalysis, ExperimentListing } from "./experiment.ts";
import type {
  GroupBy,
  GroupedAggregate,
  PlayerRow,
  PlayerSummary,
  TimeInterval,
  Timeseries,
} from "./analytics.ts";

/** An HTTP answer other than 2xx, carrying the server's JSON error. */
export class ApiError extends Error {
  /** Always `"ApiError"`. */
  override name = "ApiError";
  /** HTTP status of the answer (4xx or 5xx). */
  readonly status: number;
  /** The answer parsed as JSON (`{ error, code, … }` from this server), else its text. */
  readonly body: unknown;

  /** Builds the message `HTTP <status>: <error>` from the body's `error` field, else the body. */
  constructor(status: number, body: unknown, options?: { cause?: unknown }) {
    const detail = typeof body === "object" && body !== null && "error" in body
      ? String((body as { error: unknown }).error)
      : String(body);
    super(`HTTP ${status}: ${detail}`, options);
    this.status = status;
    this.body = body;
  }
}

/** How the client talks to a server. */
export interface ClientOptions {
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /** Per-request timeout (default 30 s). */
  timeoutMs?: number;
  /** Retries after a network error, a 5xx or a 429 (default 4). */
  retries?: number;
  /** First backoff delay, doubled on each retry (default 200 ms). */
  retryDelayMs?: number;
  /** Replaces global fetch, e.g. with a Hono app's `fetch` for in-process use. */
  fetch?: (request: Request) => Response | Promise<Response>;
}

/** `GET /api/health` answer. */
export interface HealthReport {
  /** `"healthy"` from this server; a 503 `"unhealthy"` answer throws {@link ApiError} instead. */
  status: string;
  /** Server clock when it answered (ISO 8601). */
  timestamp: string;
  /** Human-readable status, e.g. "Loot Telemetry Server is running". */
  message: string;
}

/** Outcome of one `POST /api/submit`. */
export interface SubmitResult {
  /** Id of the stored sheet: the existing one when `duplicate` is true. */
  id: number;
  /** True when an identical sheet was already stored (HTTP 200), false when it was new (201). */
  duplicate: boolean;
  /** When the server received the sheet (ISO 8601, server clock), not the sheet's own timestamp. */
  timestamp: string;
}

/** Progress of {@link LootClient.submitBatch}, reported after every chunk. */
export interface UploadProgress {
  /** Sheets sent so far, whether stored, duplicate or failed. */
  sent: number;
  /** Sheets the server stored as new. */
  inserted: number;
  /** Sheets identical to ones already stored, so not stored again. */
  duplicates: number;
  /** Sheets in chunks that still failed after their retries. */
  failed: number;
  /** Sheets to send, when known in advance (an array was given). */
  total: number | undefined;
  /** Milliseconds since the upload started. */
  elapsedMs: number;
  /** Sheets sent per second of `elapsedMs`. */
  sheetsPerSecond: number;
}

/** Final tally of {@link LootClient.submitBatch}. */
export interface UploadSummary extends UploadProgress {
  /** Requests made, one per chunk, failed ones included. */
  chunks: number;
  /** One message per chunk that failed after its retries, naming the chunk's first sheet. */
  errors: string[];
}

/** Options of {@link LootClient.submitBatch}. */
export interface UploadOptions {
  /** Sheets per request (default 500, at most the server's 5,000). */
  chunkSize?: number;
  /** Requests in flight at once (default 2). */
  concurrency?: number;
  /** Called after every chunk, failed ones included, with the running totals. */
  onProgress?: (progress: UploadProgress) => void;
}

/** Filters of `GET /api/stats`. */
export interface StatsQuery {
  /** Only sheets of this exact match. */
  match_id?: string;
  /** Only sheets whose `match_id` starts with this. */
  match_prefix?: string;
  /** Only sheets of this exact player. */
  player_id?: string;
  /** Only sheets that looted at least one unit of this item. */
  item?: string;
  /** Only sheets timestamped at or after this instant (ISO 8601). */
  since?: string;
  /** Only sheets timestamped before this instant (ISO 8601). */
  until?: string;
  /** Sheets per page, 1 to 10,000 (server default 1,000). */
  limit?: number;
  /** Sheets to skip; prefer `cursor`, which stays stable while inserts continue. */
  offset?: number;
  /** The `next` of the previous page. */
  cursor?: string;
}

/** Filters of `GET /api/aggregate`. */
export interface AggregateQuery {
  /** Only sheets of this exact match. */
  match_id?: string;
  /** Only sheets whose `match_id` starts with this. */
  match_prefix?: string;
  /** Only sheets of this game mode. */
  game_mode?: string;
  /** Only sheets timestamped at or after this instant (ISO 8601). */
  since?: string;
  /** Only sheets timestamped before this instant (ISO 8601). */
  until?: string;
}

/** Filters of `GET /api/timeseries`. */
export interface TimeseriesQuery {
  /** Only this item: `units` its units, `sheets` the sheets that looted it. */
  item?: string;
  /** Only sheets of this game mode. */
  game_mode?: string;
  /** Only sheets whose `match_id` starts with this. */
  match_prefix?: string;
  /** First bucket: the one holding this instant (ISO 8601). */
  since?: string;
  /** Sheets before this instant (ISO 8601). */
  until?: string;
}

/** One page of `GET /api/players`. */
export interface PlayersPage {
  /** Most matches first. */
  data: PlayerRow[];
  /** Cursor of the next page; null on the last. */
  next: string | null;
}

/** Filters of `GET /api/export`: those of `/api/stats` without paging, plus `game_mode`. */
export interface ExportQuery extends Omit<StatsQuery, "limit" | "offset" | "cursor"> {
  /** Only sheets of this game mode. */
  game_mode?: string;
}

/** An export being downloaded: its bytes as they arrive (already un-gzipped) and its file name. */
export interface ExportDownload {
  /** The file's bytes, streamed. */
  body: ReadableStream<Uint8Array>;
  /** The server's suggested file name (`Content-Disposition`). */
  fileName: string;
}

/** A typed client for the Loot Telemetry API. */
export interface LootClient {
  /** Server root the client was created with, without a trailing slash. */
  readonly baseUrl: string;
  /** `GET /api/health`; throws {@link ApiError} 503 when the server's database does not answer. */
  health(): Promise<HealthReport>;
  /** Like {@link health} but never throws: says whether the server answers, and why not. */
  checkHealth(): Promise<{ healthy: boolean; message: string }>;
  /** `POST /api/submit`; a different sheet already stored under its key throws {@link ApiError} 409. */
  submit(sheet: StatSheet): Promise<SubmitResult>;
  /** Uploads sheets in chunks; safe to retry because ingestion is idempotent. */
  submitBatch(
    sheets: Iterable<StatSheet> | AsyncIterable<StatSheet>,
    options?: UploadOptions,
  ): Promise<UploadSummary>;
  /** One page of `GET /api/stats`, newest first (1,000 sheets unless `query.limit` says so). */
  stats(query?: StatsQuery): Promise<StoredStatSheet[]>;
  /** Every sheet matching `query`, page by page through the keyset cursor, newest first. */
  allStats(query?: Omit<StatsQuery, "cursor" | "offset">): AsyncGenerator<StoredStatSheet>;
  /** Totals of `GET /api/aggregate` over the sheets matching `query` (all sheets by default). */
  aggregate(query?: AggregateQuery): Promise<Aggregate>;
  /** Totals per game mode, player level, hour or day: `GET /api/aggregate?group_by=`. */
  aggregateBy(groupBy: GroupBy, query?: AggregateQuery): Promise<GroupedAggregate>;
  /** Sheets and units per bucket, gaps filled: `GET /api/timeseries`. */
  timeseries(interval: TimeInterval, query?: TimeseriesQuery): Promise<Timeseries>;
  /** One player's matches and totals: `GET /api/players/:player_id` (404 as {@link ApiError}). */
  player(playerId: string): Promise<PlayerSummary>;
  /** One page of players, most matches first: `GET /api/players`. */
  players(query?: { limit?: number; cursor?: string; game_mode?: string }): Promise<PlayersPage>;
  /** Every looted unit's location for `item` (`GET /api/heatmap/:item`), optionally filtered. */
  heatmap(
    item: string,
    options?: { match_prefix?: string; game_mode?: string },
  ): Promise<HeatmapPoints>;
  /** `item`'s units binned into a `bins` × `bins` grid (1–200): `GET /api/heatmap/:item?bins=N`. */
  heatmapGrid(
    item: string,
    options: { bins: number; match_prefix?: string; game_mode?: string },
  ): Promise<HeatmapGrid>;
  /** Deletes every stored sheet; needs the server's admin key. */
  clear(adminKey: string): Promise<{ deleted: number }>;
  /** Every experiment with its variants' sheets and players: `GET /api/experiments`. */
  experiments(): Promise<ExperimentListing[]>;
  /** Welch's t-tests against control and the SRM check: `GET /api/experiments/:name`. */
  experiment(name: string, query?: ExperimentQuery): Promise<ExperimentAnalysis>;
  /** One page of flagged sheets, newest first: `GET /api/anomalies`. */
  anomalies(
    query?: { limit?: number; cursor?: string; game_mode?: string },
  ): Promise<AnomaliesPage>;
  /**
   * Starts `GET /api/export` and resolves once the server answers; read `body` to download. A
   * refused request (a bad filter) throws {@link ApiError}. Not retried: the body is a stream.
   */
  exportSheets(format: "csv" | "ndjson" | "parquet", query?: ExportQuery): Promise<ExportDownload>;
}

/** Options of `GET /api/experiments/:name`. */
export interface ExperimentQuery {
  /** `units` (default) or `item:<item>`. */
  metric?: string;
  /** The control variant (default `control`). */
  control?: string;
  /** Planned shares per variant in variant-name order, e.g. `[0.5, 0.5]` (default equal). */
  split?: readonly number[];
  /** Significance level (default 0.05). */
  alpha?: number;
}

/** One page of `GET /api/anomalies`. */
export interface AnomaliesPage {
  /** Flagged sheets, newest first. */
  data: AnomalyRow[];
  /** Cursor of the next page; null on the last. */
  next: string | null;
}

/**
 * Creates a client for a Loot Telemetry server (or the original Flask one, for the shared endpoints).
 * @example
 * const client = createClient("http://localhost:5000");
 * const summary = await client.submitBatch(simulateMatches(), { onProgress: console.log });
 */
export function createClient(baseUrl: string, options: ClientOptions = {}): LootClient {
  const root = baseUrl.replace(/\/+$/, "");
  const send = createSender(root, options);

  return {
    baseUrl: root,
    health: () => send<HealthReport>("GET", "/api/health"),
    async checkHealth() {
      try {
        const report = await send<HealthReport>("GET", "/api/health", { retries: 0 });
        return { healthy: true, message: `${report.message} at ${root}` };
      } catch (error) {
        const reason = error instanceof ApiError
          ? error.message
          : `no answer (${(error as Error).message})`;
        return { healthy: false, message: `Server at ${root} is not available: ${reason}` };
      }
    },
    async submit(sheet) {
      const body = await send<{ id: number; duplicate?: boolean; timestamp: string }>(
        "POST",
        "/api/submit",
        {
          body: sheet,
        },
      );
      return { id: body.id, duplicate: body.duplicate === true, timestamp: body.timestamp };
    },
    submitBatch: (sheets, uploadOptions) => uploadInChunks(send, sheets, uploadOptions),
    async stats(query = {}) {
      return (await send<{ data: StoredStatSheet[] }>("GET", `/api/stats${toQuery(query)}`)).data;
    },
    async *allStats(query = {}) {
      let cursor: string | null | undefined;
      do {
        const page = await send<{ data: StoredStatSheet[]; next: string | null }>(
          "GET",
          `/api/stats${toQuery({ ...query, cursor: cursor ?? undefined })}`,
        );
        yield* page.data;
        cursor = page.next;
      } while (cursor);
    },
    async aggregate(query = {}) {
      return (await send<{ data: Aggregate }>("GET", `/api/aggregate${toQuery(query)}`)).data;
    },
    async heatmap(item, options = {}) {
      const path = `/api/heatmap/${encodeURIComponent(item)}${toQuery(options)}`;
      return (await send<{ data: HeatmapPoints }>("GET", path)).data;
    },
    async aggregateBy(groupBy, query = {}) {
      const path = `/api/aggregate${toQuery({ ...query, group_by: groupBy })}`;
      return (await send<{ data: GroupedAggregate }>("GET", path)).data;
    },
    async timeseries(interval, query = {}) {
      const path = `/api/timeseries${toQuery({ ...query, interval })}`;
      return (await send<{ data: Timeseries }>("GET", path)).data;
    },
    async player(playerId) {
      const path = `/api/players/${encodeURIComponent(playerId)}`;
      return (await send<{ data: PlayerSummary }>("GET", path)).data;
    },
    async players(query = {}) {
      const { data, next } = await send<PlayersPage>("GET", `/api/players${toQuery(query)}`);
      return { data, next };
    },
    async heatmapGrid(item, { bins, ...filter }) {
      const path = `/api/heatmap/${encodeURIComponent(item)}${toQuery({ bins, ...filter })}`;
      return (await send<{ data: HeatmapGrid }>("GET", path)).data;
    },
    async experiments() {
      return (await send<{ data: ExperimentListing[] }>("GET", "/api/experiments")).data;
    },
    async experiment(name, query = {}) {
      const path = `/api/experiments/${encodeURIComponent(name)}${
        toQuery({ ...query, split: query.split?.join(",") })
      }`;
      return (await send<{ data: ExperimentAnalysis }>("GET", path)).data;
    },
    async anomalies(query = {}) {
      const { data, next } = await send<AnomaliesPage>("GET", `/api/anomalies${toQuery(query)}`);
      return { data, next };
    },
    async exportSheets(format, query = {}) {
      const doFetch = options.fetch ?? ((request: Request) => fetch(request));
      const headers: Record<string, string> = {};
      if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
      const response = await doFetch(
        new Request(`${root}/api/export${toQuery({ ...query, format })}`, { headers }),
      );
      if (!response.ok || !response.body) {
        throw new ApiError(response.status, await readPayload(response));
      }
      const disposition = response.headers.get("content-disposition") ?? "";
      const fileName = disposition.match(/filename="([^"]+)"/)?.[1] ?? `loot_sheets.${format}`;
      return { body: response.body, fileName };
    },
    async clear(adminKey) {
      const body = await send<{ deleted: number }>("POST", "/api/clear", {
        apiKey: adminKey,
        retries: 0,
      });
      return { deleted: body.deleted };
    },
  };
}

type Sender = <T>(
  method: string,
  path: string,
  request?: { body?: unknown; retries?: number; apiKey?: string },
) => Promise<T>;

function createSender(root: string, options: ClientOptions): Sender {
  const doFetch = options.fetch ?? ((request: Request) => fetch(request));
  const timeoutMs = options.timeoutMs ?? 30_000;
  const retryDelayMs = options.retryDelayMs ?? 200;
  return async function send<T>(
    method: string,
    path: string,
    request: { body?: unknown; retries?: number; apiKey?: string } = {},
  ): Promise<T> {
    const retries = request.retries ?? options.retries ?? 4;
    const headers: Record<string, string> = { accept: "application/json" };
    const apiKey = request.apiKey ?? options.apiKey;
    if (apiKey) headers.authorization = `Bearer ${apiKey}`;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    if (body !== undefined) headers["content-type"] = "application/json";
    for (let attempt = 0;; attempt++) {
      let response: Response;
      try {
        response = await doFetch(
          new Request(`${root}${path}`, {
            method,
            headers,
            body,
            signal: AbortSignal.timeout(timeoutMs),
          }),
        );
      } catch (error) {
        if (attempt >= retries) throw error;
        await sleep(backoffMs(attempt, retryDelayMs));
        continue;
      }
      const payload = await readPayload(response);
      if (response.ok) return payload as T;
      const retryable = response.status >= 500 || response.status === 429;
      if (!retryable || attempt >= retries) throw new ApiError(response.status, payload);
      await sleep(
        retryAfterMs(response.headers.get("retry-after")) ?? backoffMs(attempt, retryDelayMs),
      );
    }
  };
}

async function uploadInChunks(
  send: Sender,
  sheets: Iterable<StatSheet> | AsyncIterable<StatSheet>,
  options: UploadOptions = {},
): Promise<UploadSummary> {
  const chunkSize = Math.max(1, Math.min(options.chunkSize ?? 500, 5_000));
  const concurrency = Math.max(1, options.concurrency ?? 2);
  const started = performance.now();
  const total = Array.isArray(sheets) ? sheets.length : undefined;
  const summary: UploadSummary = {
    sent: 0,
    inserted: 0,
    duplicates: 0,
    failed: 0,
    total,
    elapsedMs: 0,
    sheetsPerSecond: 0,
    chunks: 0,
    errors: [],
  };
  const chunks = readChunks(sheets, chunkSize);
  const worker = async () => {
    // Each worker pulls the next chunk only when it is free: memory stays bounded for any input size.
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
      const chunk = next.value;
      try {
        const result = await send<{ inserted: number; duplicates: number }>(
          "POST",
          "/api/submit/batch",
          {
            body: chunk,
          },
        );
        summary.inserted += result.inserted;
        summary.duplicates += result.duplicates;
      } catch (error) {
        summary.failed += chunk.length;
        const first = chunk[0]!;
        summary.errors.push(
          `Chunk from ${first.match_id}/${first.player_id}: ${(error as Error).message}`,
        );
      }
      summary.sent += chunk.length;
      summary.chunks++;
      summary.elapsedMs = performance.now() - started;
      summary.sheetsPerSecond = summary.sent / Math.max(summary.elapsedMs / 1000, 1e-6);
      const { chunks: _chunks, errors: _errors, ...progress } = summary;
      options.onProgress?.(progress);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return summary;
}

/** Groups an (async) iterable into arrays; a shared iterator that several workers may pull from. */
async function* readChunks<T>(
  items: Iterable<T> | AsyncIterable<T>,
  size: number,
): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of items) {
    chunk.push(item);
    if (chunk.length === size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

async function readPayload(response: Response): Promise<unknown> {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function toQuery(params: object): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(key, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}

/** Reads `Retry-After` (seconds or an HTTP date) as a delay in ms, capped at 60 s. */
function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), 60_000) : undefined;
}

function backoffMs(attempt: number, base: number): number {
  return base * 2 ** attempt * (0.5 + Math.random() / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
