import { type AppOptions, createApp } from "./app.ts";
import type { Store } from "./store/store.ts";

/** A running server. */
export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:5000`. */
  url: string;
  port: number;
  /** Stops accepting connections and waits for in-flight requests; the store stays open. */
  shutdown(): Promise<void>;
}

/**
 * Serves the API over `store` with `Deno.serve`; port 0 picks a free port. Used by `server/main.ts`
 * and by `deno task demo`, which runs the server in-process.
 */
export function startServer(
  store: Store,
  options: { port: number; host: string; app?: AppOptions; signal?: AbortSignal },
): Promise<RunningServer> {
  const app = createApp(store, options.app);
  return new Promise((resolve) => {
    const server = Deno.serve({
      port: options.port,
      hostname: options.host,
      signal: options.signal,
      onListen: ({ port }) => {
        const shown = options.host === "0.0.0.0" || options.host === "::"
          ? "localhost"
          : options.host;
        const hostPart = shown.includes(":") ? `[${shown}]` : shown;
        resolve({
          url: `http://${hostPart}:${port}`,
          port,
          shutdown: () => server.shutdown(),
        });
      },
    }, app.fetch);
  });
}
