/**
 * `deno task server`: the only place that reads flags and the environment for the server.
 * @module
 */
import { describeHelpHint } from "../cli/_terminal.ts";
import { ValidationError } from "../lib/mod.ts";
import { isLoopback, parseServerConfig, SERVER_USAGE } from "./config.ts";
import { createLineBuffer, writeStdout } from "./middleware.ts";
import { startServer } from "./serve.ts";
import { openStore, runMain } from "./startup.ts";

async function main(): Promise<number> {
  // --help wins over any other mistake on the line, as in every task.
  if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
    console.log(SERVER_USAGE);
    return 0;
  }
  let config;
  try {
    config = parseServerConfig(Deno.args, Deno.env.toObject());
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    console.error(
      `${error.problems.map((problem) => problem.message).join("\n")}\n${
        describeHelpHint(SERVER_USAGE)
      }`,
    );
    return 2;
  }
  if (config.help) {
    console.log(SERVER_USAGE);
    return 0;
  }
  const store = await openStore(config.db);
  const accessLog = config.quiet ? undefined : createLineBuffer(writeStdout);
  let server;
  try {
    server = await startServer(store, {
      port: config.port,
      host: config.host,
      app: {
        adminKey: config.adminKey,
        writeKey: config.writeKey,
        readKey: config.readKey,
        corsOrigins: config.corsOrigins,
        rateLimit: config.rateLimit,
        maxLiveClients: config.maxLiveClients,
        accessLog: accessLog?.write,
      },
    });
  } catch (error) {
    store.close();
    throw error;
  }
  // Warned once listening, so a start-up failure stays one line.
  if (!isLoopback(config.host) && !config.writeKey) {
    console.warn(
      [
        "WARNING: listening on a non-loopback address without a write key.",
        `  Anyone who can reach ${config.host}:${config.port} can submit stat sheets.`,
        "  Set --write-key (or LOOT_WRITE_KEY), and --read-key for queries, before exposing the server.",
      ].join("\n"),
    );
  }
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
  accessLog?.flush();
  console.log(`${signal} received: finishing in-flight requests, then closing the database`);
  await server.shutdown();
  accessLog?.flush();
  // An engine with a network pool closes it cleanly before the process exits.
  if (Symbol.asyncDispose in store) await (store as AsyncDisposable)[Symbol.asyncDispose]();
  else store.close();
  return 0;
}

await runMain(main);
