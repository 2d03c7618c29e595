import { FlagError, parseFlags } from "../cli/_terminal.ts";
import { ValidationError } from "../lib/mod.ts";
import type { RateLimit } from "./rate_limit.ts";

/** Everything `deno task server` can be told. */
export interface ServerConfig {
  port: number;
  host: string;
  db: string;
  adminKey: string | undefined;
  writeKey: string | undefined;
  readKey: string | undefined;
  corsOrigins: string[];
  rateLimit: RateLimit | undefined;
  /** Concurrent live clients (WebSocket and SSE); 503 beyond. */
  maxLiveClients: number;
  /** No access log line per request. */
  quiet: boolean;
  help: boolean;
}

/** Default database path, shared with the CLI. */
export const DEFAULT_DB_PATH = "data/loot_telemetry.db";

/** `--help` text of the server. */
export const SERVER_USAGE = `Usage: deno task server [options]

Runs the Loot Telemetry HTTP API over a SQLite database (the default) or PostgreSQL.

Options:
  --port N          Port to listen on (env PORT, default 5000 like the original server)
  --host ADDRESS    Address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)
  --db PATH|URL     SQLite file, created with its folder on first run; :memory: for a throwaway
                    database; or a postgres://user:pass@host:port/dbname URL for PostgreSQL
                    (env LOOT_DB, default ${DEFAULT_DB_PATH})
  --write-key KEY   Key that ingest (POST /api/submit*) requires (env LOOT_WRITE_KEY); open when unset
  --read-key KEY    Key that queries (stats, aggregate, heatmap) require (env LOOT_READ_KEY); open when unset
  --admin-key KEY   Key that POST /api/clear requires, also valid for reads and writes (env LOOT_ADMIN_KEY);
                    clearing is refused without one
  --cors-origin O   Origins allowed to call the API from a browser, comma-separated
                    (env LOOT_CORS_ORIGINS, default none: same-origin only)
  --rate-limit N    Requests per second per client (its key, else its address); 429 beyond
                    (env LOOT_RATE_LIMIT, default unlimited)
  --rate-burst N    Requests a client may send at once before the rate applies (env LOOT_RATE_BURST,
                    default twice the rate)
  --max-live-clients N  Concurrent live clients (/api/live, /api/live/events); 503 beyond
                    (env LOOT_MAX_LIVE_CLIENTS, default 100)
  --quiet           No access log line per request (env LOOT_QUIET=1)
  --help            Show this text

Keys are sent as "Authorization: Bearer KEY" or "X-API-Key: KEY" and are never logged.`;

/**
 * Reads the server's configuration from command-line arguments, then the environment, then defaults.
 * Throws {@link ValidationError} naming the bad flag or variable.
 */
export function parseServerConfig(
  args: readonly string[],
  env: Record<string, string | undefined>,
): ServerConfig {
  let values;
  try {
    ({ values } = parseFlags(args, {
      port: { type: "string" },
      host: { type: "string" },
      db: { type: "string" },
      "admin-key": { type: "string" },
      "write-key": { type: "string" },
      "read-key": { type: "string" },
      "cors-origin": { type: "string" },
      "rate-limit": { type: "string" },
      "rate-burst": { type: "string" },
      "max-live-clients": { type: "string" },
      quiet: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    }));
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    throw new ValidationError([{ path: "args", message: error.message }], {
      summary: "Invalid arguments",
    });
  }
  const portText = values.port ?? env.PORT ?? "5000";
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 0 && port <= 65_535)) {
    const source = values.port !== undefined ? "--port" : "PORT";
    throw new ValidationError([{
      path: source,
      message: `${source} must be a port number from 0 to 65535, got ${JSON.stringify(portText)}`,
    }], {
      summary: "Invalid configuration",
    });
  }
  const db = values.db ?? env.LOOT_DB ?? DEFAULT_DB_PATH;
  if (db.trim() === "") {
    throw new ValidationError([{ path: "db", message: "--db must not be empty" }], {
      summary: "Invalid configuration",
    });
  }
  const corsText = values["cors-origin"] ?? env.LOOT_CORS_ORIGINS ?? "";
  const corsOrigins = corsText.split(",").map((origin) => origin.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new ValidationError([{
        path: "cors-origin",
        message:
          `--cors-origin takes origins such as https://dashboard.example.com (scheme and host, no path), got ${
            JSON.stringify(origin)
          }`,
      }], { summary: "Invalid configuration" });
    }
  }
  const perSecond = readPositive(values["rate-limit"] ?? env.LOOT_RATE_LIMIT, "--rate-limit");
  const burst = readPositive(values["rate-burst"] ?? env.LOOT_RATE_BURST, "--rate-burst");
  const liveText = values["max-live-clients"] ?? env.LOOT_MAX_LIVE_CLIENTS ?? "100";
  const maxLiveClients = /^\d{1,6}$/.test(liveText) ? Number(liveText) : NaN;
  if (!(maxLiveClients >= 1 && maxLiveClients <= 100_000)) {
    const source = values["max-live-clients"] !== undefined
      ? "--max-live-clients"
      : "LOOT_MAX_LIVE_CLIENTS";
    throw new ValidationError([{
      path: source,
      message: `${source} must be an integer from 1 to 100000, got ${JSON.stringify(liveText)}`,
    }], { summary: "Invalid configuration" });
  }
  return {
    port,
    host: values.host ?? "127.0.0.1",
    db,
    adminKey: values["admin-key"] ?? (env.LOOT_ADMIN_KEY || undefined),
    writeKey: values["write-key"] ?? (env.LOOT_WRITE_KEY || undefined),
    readKey: values["read-key"] ?? (env.LOOT_READ_KEY || undefined),
    corsOrigins,
    rateLimit: perSecond === undefined
      ? undefined
      : { perSecond, burst: burst ?? Math.max(1, 2 * perSecond) },
    maxLiveClients,
    quiet: values.quiet ?? ["1", "true", "yes"].includes(env.LOOT_QUIET?.toLowerCase() ?? ""),
    help: values.help ?? false,
  };
}

function readPositive(text: string | undefined, flag: string): number | undefined {
  if (text === undefined || text === "") return undefined;
  const value = Number(text);
  if (!(value > 0 && value <= 1_000_000)) {
    throw new ValidationError([{
      path: flag,
      message: `${flag} must be a number from 0 to 1000000, above 0, got ${JSON.stringify(text)}`,
    }], {
      summary: "Invalid configuration",
    });
  }
  return value;
}

/** True for addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\./.test(host);
}
