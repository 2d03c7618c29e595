/**
 * `deno task server`: the only place that reads flags and the environment for the server.
 * @module
 */
import { ValidationError } from "../lib/mod.ts";
import { isLoopback, parseServerConfig, SERVER_USAGE } from "./config.ts";
import { startServer } from "./serve.ts";
import { openSqliteStore } from "./store/sqlite.ts";

async function main(): Promise<number> {
  let config;
  try {
    config = parseServerConfig(Deno.args, Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.error(
      `${error.problems.map((problem) => problem.message).join("\n")}\n\n${SERVER_USAGE}`,
    );
    return 2;
  }
  if (config.help) {
    console.log(SERVER_USAGE);
    return 0;
  }
  if (!isLoopback(config.host) && !config.writeKey) {
    console.warn(
      [
        "WARNING: listening on a non-loopback address without a write key.",
        `  Anyone who can reach ${config.host}:${config.port} can submit stat sheets.`,
        "  Set --write-key (or LOOT_WRITE_KEY), and --read-key for queries, before exposing the server.",
      ].join("\n"),
    );
  }
  const store = openSqliteStore(config.db);
  const server = await startServer(store, {
    port: config.port,
    host: config.host,
    app: {
      adminKey: config.adminKey,
      writeKey: config.writeKey,
      readKey: config.readKey,
      corsOrigins: config.corsOrigins,
      rateLimit: config.rateLimit,
    },
  });
  const guarded = [config.writeKey && "write", config.readKey && "read", config.adminKey && "admin"]
    .filter(Boolean);
  console.log(
    `Loot Telemetry server on ${server.url} (database: ${store.description}; keys: ${
      guarded.join(", ") || "none"
    })`,
  );

  const { promise: stopped, resolve: stop } = Promise.withResolvers<string>();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => stop(signal));
  }
  const signal = await stopped;
  console.log(`${signal} received: finishing in-flight requests, then closing the database`);
  await server.shutdown();
  store.close();
  return 0;
}

Deno.exit(await main());
