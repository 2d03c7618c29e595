import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { ConflictError, LimitExceededError, NotFoundError, ValidationError } from "../lib/mod.ts";
import { cors } from "hono/cors";
import { type AppEnv, type AppOptions, resolveDeps } from "./deps.ts";
import { limitRate } from "./guards.ts";
import { HttpError } from "./http_error.ts";
import { logAccess } from "./middleware.ts";
import { createAdminRoutes } from "./routes/admin.ts";
import { createAggregateRoutes } from "./routes/aggregate.ts";
import { createDashboardRoutes } from "./routes/dashboard.ts";
import { createExportRoutes } from "./routes/export.ts";
import { createHeatmapRoutes } from "./routes/heatmap.ts";
import { createHomeRoutes } from "./routes/home.ts";
import { createIngestRoutes } from "./routes/ingest.ts";
import { createLiveRoutes } from "./routes/live.ts";
import { createPlayersRoutes } from "./routes/players.ts";
import { createAnomaliesRoutes, createExperimentsRoutes } from "./routes/experiments.ts";
import { createStatsRoutes } from "./routes/stats.ts";
import { createTimeseriesRoutes } from "./routes/timeseries.ts";
import { isStoreUnavailable, type Store } from "./store/store.ts";

export type { AppOptions } from "./deps.ts";

/**
 * Builds the HTTP API over a store: one Hono sub-app per resource, mounted here. No I/O of its own:
 * `server/main.ts` serves it, tests call `app.request()` in-process.
 * @example
 * const app = createApp(openSqliteStore(":memory:"));
 * const response = await app.request("/api/health");
 */
export function createApp(store: Store, options: AppOptions = {}): Hono<AppEnv> {
  const deps = resolveDeps(store, options);
  const logError = options.logError ??
    ((error: unknown) => console.error("Unexpected error:", error));
  const app = new Hono<AppEnv>();

  if (options.accessLog) app.use(logAccess(options.accessLog));
  const corsOrigins = options.corsOrigins ?? [];
  if (corsOrigins.length > 0) {
    const allowed = new Set(corsOrigins);
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
  if (options.rateLimit) app.use("/api/*", limitRate(options.rateLimit, deps.keys));

  app.route("/", createHomeRoutes());
  app.route("/", createDashboardRoutes());
  app.route("/api", createAdminRoutes(deps));
  app.route("/api", createIngestRoutes(deps));
  app.route("/api/stats", createStatsRoutes(deps));
  app.route("/api/aggregate", createAggregateRoutes(deps));
  app.route("/api/heatmap", createHeatmapRoutes(deps));
  app.route("/api/timeseries", createTimeseriesRoutes(deps));
  app.route("/api/players", createPlayersRoutes(deps));
  app.route("/api/experiments", createExperimentsRoutes(deps));
  app.route("/api/anomalies", createAnomaliesRoutes(deps));
  app.route("/api/export", createExportRoutes(deps));
  app.route("/api/live", createLiveRoutes(deps));

  const allowedMethods = indexRouteMethods(app);
  app.notFound((c) => {
    const allowed = allowedMethods(c.req.path);
    if (allowed.length > 0) {
      const notAllowed = new HttpError(
        405,
        `Method ${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`,
        {
          code: "method_not_allowed",
          headers: { allow: [...allowed, ...(allowed.includes("GET") ? ["HEAD"] : [])].join(", ") },
        },
      );
      const { status, body, headers } = describeError(notAllowed, logError);
      return c.json(body, status, headers);
    }
    return c.json({
      error: `No endpoint at ${c.req.method} ${c.req.path}; see GET / for the list`,
      code: "not_found",
    }, 404);
  });
  app.onError((error, c) => {
    const { status, body, headers } = describeError(error, logError);
    return c.json(body, status, headers);
  });
  return app;
}

/**
 * From the mounted routes, a lookup of the methods a path answers, so an unknown method on a known
 * path is a 405 naming them rather than a 404, with no per-route code.
 */
function indexRouteMethods(app: Hono<AppEnv>): (path: string) => string[] {
  const patterns = new Map<string, { pattern: RegExp; methods: Set<string> }>();
  for (const { method, path } of app.routes) {
    if (method === "ALL") continue; // middleware, not an endpoint
    const entry = patterns.get(path) ?? {
      pattern: new RegExp(
        `^${path.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/:[^/]+/g, "[^/]+")}$`,
      ),
      methods: new Set<string>(),
    };
    entry.methods.add(method);
    patterns.set(path, entry);
  }
  return (path) => {
    for (const { pattern, methods } of patterns.values()) {
      if (pattern.test(path)) return [...methods];
    }
    return [];
  };
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
      body: {
        error: error.message,
        code: "invalid_input",
        problems: error.problems,
        ...(error.totalProblems > error.problems.length
          ? { problem_count: error.totalProblems }
          : {}),
      },
    };
  }
  if (error instanceof ConflictError) {
    return {
      status: 409,
      body: { error: error.message, code: "conflict", id: error.existingId, index: error.index },
    };
  }
  if (error instanceof LimitExceededError) {
    return {
      status: 422,
      body: { error: error.message, code: "limit_exceeded", limit: error.limit },
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
  if (isStoreUnavailable(error)) {
    // The database is down or restarting: nothing was stored, and a retry may succeed.
    return {
      status: 503,
      body: { error: "The database does not answer; retry shortly", code: "unavailable" },
      headers: { "retry-after": "1" },
    };
  }
  logError(error);
  return { status: 500, body: { error: "Internal server error", code: "internal" } };
}
