import { parseArgs } from "node:util";
import { ValidationError } from "../lib/mod.ts";

/** Everything `deno task server` can be told. */
export interface ServerConfig {
  port: number;
  host: string;
  db: string;
  adminKey: string | undefined;
  help: boolean;
}

/** Default database path, shared with the CLI. */
export const DEFAULT_DB_PATH = "data/loot_telemetry.db";

/** `--help` text of the server. */
export const SERVER_USAGE = `Usage: deno task server [options]

Runs the Loot Telemetry HTTP API over a SQLite database.

Options:
  --port N          Port to listen on (env PORT, default 5000 like the original server)
  --host ADDRESS    Address to bind (default 127.0.0.1; 0.0.0.0 exposes it to the network)
  --db PATH         SQLite file, created with its folder on first run; :memory: for a throwaway
                    database (env LOOT_DB, default ${DEFAULT_DB_PATH})
  --admin-key KEY   Key that POST /api/clear requires (env LOOT_ADMIN_KEY); clearing is refused without one
  --help            Show this text`;

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
    ({ values } = parseArgs({
      args: [...args],
      options: {
        port: { type: "string" },
        host: { type: "string" },
        db: { type: "string" },
        "admin-key": { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new ValidationError([{ path: "args", message: (error as Error).message }], {
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
  return {
    port,
    host: values.host ?? "127.0.0.1",
    db,
    adminKey: values["admin-key"] ?? (env.LOOT_ADMIN_KEY || undefined),
    help: values.help ?? false,
  };
}
