import { type AppOptions, createApp } from "./app.ts";
import { describeListenError } from "./startup.ts";
import type { Store } from "./store/store.ts";

/** A running server. */
export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:5000`. */
  url: string;
  port: number;
  /**
   * Drains, then stops: requests in flight finish, requests arriving meanwhile get 503 with
   * `Retry-After` (clients retry them elsewhere or later), then the listener closes. The store stays open.
   */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
}

/**
 * Serves the API over `store` with `Deno.serve`; port 0 picks a free port. Used by `server/main.ts`
 * and by `deno task demo`, which runs the server in-process. A port in use or an address that
 * cannot be bound rejects with a one-line `StartupError` naming the port and the remedy.
 */
export function startServer(
  store: Store,
  options: { port: number; host: string; app?: AppOptions },
): Promise<RunningServer> {
  const closeLive = new AbortController();
  const app = createApp(store, { ...options.app, signal: closeLive.signal });
  let inFlight = 0;
  let draining = false;
  let drained: (() => void) | undefined;
  const handler = async (request: Request, info: Deno.ServeHandlerInfo): Promise<Response> => {
    if (draining) {
      return Response.json({
        error: "The server is shutting down; retry in a moment",
        code: "shutting_down",
      }, {
        status: 503,
        headers: { "retry-after": "1", connection: "close" },
      });
    }
    inFlight++;
    try {
      return await app.fetch(request, info);
    } finally {
      inFlight--;
      if (draining && inFlight === 0) drained?.();
    }
  };
  return new Promise((resolve, reject) => {
    let server: Deno.HttpServer;
    try {
      server = Deno.serve({
        port: options.port,
        hostname: options.host,
        onListen: ({ port }) => {
          const shown = options.host === "0.0.0.0" || options.host === "::"
            ? "localhost"
            : options.host;
          const hostPart = shown.includes(":") ? `[${shown}]` : shown;
          resolve({
            url: `http://${hostPart}:${port}`,
            port,
            async shutdown({ timeoutMs = 30_000 } = {}) {
              draining = true;
              // Live connections never finish by themselves: end them, or the listener would wait on them.
              closeLive.abort();
              if (inFlight > 0) {
                // Deno 2.9's shutdown() makes in-flight request bodies unreadable (denoland/deno#36809), so
                // the listener closes only once nothing is in flight.
                const { promise, resolve: done } = Promise.withResolvers<void>();
                drained = done;
                const timer = setTimeout(done, timeoutMs);
                await promise;
                clearTimeout(timer);
              }
              await server.shutdown();
            },
          });
        },
      }, handler);
    } catch (error) {
      reject(describeListenError(error, options));
    }
  });
}
