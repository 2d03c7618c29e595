/**
 * What every route receives: the store, the resolved options and the clock. Its own module so that
 * `app.ts` and `routes/` both import it and never each other.
 * @module
 */
import { type AccessKeys, createKeyGuard, type KeyGuard } from "./guards.ts";
import { LiveHub, LiveTickets } from "./live.ts";
import type { RateLimit } from "./rate_limit.ts";
import type { Store } from "./store/store.ts";

/** Options of `createApp`; every one has a documented default. */
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
  /** Clock, replaceable in tests. */
  now?: () => Date;
  /** Where unexpected errors are reported, with their stack (default console.error). */
  logError?: (error: unknown) => void;
  /** Receives one access-log line per request; no log when unset. */
  accessLog?: (line: string) => void;
  /** Concurrent live clients (`/api/live`, `/api/live/events`); 503 beyond (default 100). */
  maxLiveClients?: number;
  /** Closes every live connection when aborted (server shutdown), so draining does not wait on them. */
  signal?: AbortSignal;
}

/** Limits the ingest routes enforce, resolved from {@link AppOptions}. */
export interface IngestLimits {
  maxBatchSheets: number;
  maxBatchBytes: number;
  maxSheetBytes: number;
}

/** What route modules receive. */
export interface AppDeps {
  store: Store;
  limits: IngestLimits;
  keys: AccessKeys;
  /** Key checks with the per-address failure limit, shared by every route. */
  guard: KeyGuard;
  now: () => Date;
  /** The live feed's hub and its tickets. */
  live: LiveHub;
  tickets: LiveTickets;
}

/** Hono's typed context variables: what a route tells the access log. */
export interface AppEnv {
  Variables: {
    /** Sheets a request newly stored (not duplicates). */
    sheetsStored: number | undefined;
  };
}

/** Fills in {@link AppOptions}' defaults. */
export function resolveDeps(store: Store, options: AppOptions): AppDeps {
  const keys = { writeKey: options.writeKey, readKey: options.readKey, adminKey: options.adminKey };
  return {
    store,
    keys,
    guard: createKeyGuard(keys),
    limits: {
      maxBatchSheets: options.maxBatchSheets ?? 5_000,
      maxBatchBytes: options.maxBatchBytes ?? 8 * 1024 * 1024,
      maxSheetBytes: options.maxSheetBytes ?? 1024 * 1024,
    },
    now: options.now ?? (() => new Date()),
    live: createLiveHub(store, options),
    tickets: new LiveTickets(),
  };
}

function createLiveHub(store: Store, options: AppOptions): LiveHub {
  const live = new LiveHub(store, { maxClients: options.maxLiveClients });
  options.signal?.addEventListener(
    "abort",
    () => live.closeAll("The server is shutting down: reconnect in a moment"),
    { once: true },
  );
  return live;
}
