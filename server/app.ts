import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConflictError, type MapSize, NotFoundError, ValidationError } from "../lib/mod.ts";
import { cors } from "hono/cors";
import { type AccessKeys, limitRate } from "./guards.ts";
import { HttpError } from "./http_error.ts";
import type { RateLimit } from "./rate_limit.ts";
import { registerAdminRoutes } from "./routes/admin.ts";
import { registerHomeRoutes } from "./routes/home.ts";
import { registerIngestRoutes } from "./routes/ingest.ts";
import { registerQueryRoutes } from "./routes/query.ts";
import type { Store } from "./store/store.ts";

/** Options of {@link createApp}; every one has a documented default. */
export interface AppOptions extends AccessKeys {
  /** Origins allowed to call the API from a browser (CORS); none by default, so only same-origin pages can. */
  corsOrigins?: readonly string[];
  /** Per-client token bucket; unlimited when unset. */
  rateLimit?: RateLimit;
  /** Largest batch in sheets (default 5,000). */
  maxBatchSheets?: number;
  /** Largest batch body (default 8 MiB). */
  maxBatchBytes?: number;
  /** Largest single-sheet body (default 1 MiB). */
  maxSheetBytes?: number;
  /** Extent heatmap bins cover (default 100 × 100, the simulator's map). */
  mapSize?: MapSize;
  /** Clock, replaceable in tests. */
  now?: () => Date;
  /** Where unexpected errors are reported (default console.error). */
  logError?: (error: unknown) => void;
  /** Receives one access-log line per request; no access log when undefined. */
  accessLog?: (line: string) => void;
}

/** What route modules receive: the store, resolved options and the clock. */
export interface AppDeps {
  store: Store;
  options: Required<
    Omit<AppOptions, keyof AccessKeys | "now" | "logError" | "rateLimit" | "accessLog">
  >;
  keys: AccessKeys;
  now: () => Date;
}

/**
 * Builds the HTTP API over a store. No I/O of its own: `server/main.ts` serves it, tests call
 * `app.request()` in-process.
 * @example
 * const app = createApp(openSqliteStore(":memory:"));
 * const response = await app.request("/api/health");
 */
export function createApp(store: Store, options: AppOptions = {}): Hono {
  const deps: AppDeps = {
    store,
    keys: { writeKey: options.writeKey, readKey: options.readKey, adminKey: options.adminKey },
    options: {
      corsOrigins: options.corsOrigins ?? [],
      maxBatchSheets: options.maxBatchSheets ?? 5_000,
      maxBatchBytes: options.maxBatchBytes ?? 8 * 1024 * 1024,
      maxSheetBytes: options.maxSheetBytes ?? 1024 * 1024,
      mapSize: options.mapSize ?? { width: 100, height: 100 },
    },
    now: options.now ?? (() => new Date()),
  };
  const logError = options.logError ??
    ((error: unknown) => console.error("Unexpected error:", error));
  const app = new Hono();

  if (deps.options.corsOrigins.length > 0) {
    const allowed = new Set(deps.options.corsOrigins);
    app.use(
      "/api/*",
      cors({
        origin: (origin) => (allowed.has(origin) ? origin : null),
        allowMethods: ["GET", "POST", "OPTIONS"],
        allowHeaders: ["Content-Type", "Content-Encoding", "Authorization", "X-API-Key"],
        maxAge: 600,
      }),
    );
  }
  if (options.rateLimit) app.use("/api/*", limitRate(options.rateLimit));

  registerHomeRoutes(app, deps);
  registerAdminRoutes(app, deps);
  registerIngestRoutes(app, deps);
  registerQueryRoutes(app, deps);

  app.notFound((c) =>
    c.json({
      error: `No endpoint at ${c.req.method} ${c.req.path}; see GET / for the list`,
      code: "not_found",
    }, 404)
  );
  app.onError((error, c) => {
    const { status, body, headers } = describeError(error, logError);
    return c.json(body, status, headers);
  });
  return app;
}

/** Maps any thrown value to one JSON error shape: `{ error, code, …details }`. Unknown errors become a bare 500. */
function describeError(
  error: unknown,
  logError: (error: unknown) => void,
): {
  status: ContentfulStatusCode;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
} {
  if (error instanceof ValidationError) {
    return {
      status: 400,
      body: { error: error.message, code: "invalid_input", problems: error.problems },
    };
  }
  if (error instanceof ConflictError) {
    return {
      status: 409,
      body: { error: error.message, code: "conflict", id: error.existingId, index: error.index },
    };
  }
  if (error instanceof NotFoundError) {
    return { status: 404, body: { error: error.message, code: "not_found" } };
  }
  if (error instanceof HttpError) {
    return {
      status: error.status,
      body: { error: error.message, code: error.code },
      headers: error.headers,
    };
  }
  if (error instanceof Error && error.name === "BadResource") {
    // The client went away while its body was being read: nobody is left to answer, and nothing was stored.
    return {
      status: 400,
      body: {
        error: "Request body could not be read: the connection closed",
        code: "unreadable_body",
      },
    };
  }
  if (error instanceof HTTPException) {
    return {
      status: error.status as ContentfulStatusCode,
      body: { error: error.message, code: "http_error" },
    };
  }
  logError(error);
  return { status: 500, body: { error: "Internal server error", code: "internal" } };
}
