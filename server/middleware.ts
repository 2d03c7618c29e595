import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { AppEnv } from "./deps.ts";
import { HttpError } from "./http_error.ts";

/** Refuses bodies over `maxBytes` while reading them (413 naming the limit), not after buffering. */
export function limitBody(maxBytes: number): MiddlewareHandler {
  return bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new HttpError(413, `Request body exceeds the limit of ${formatBytes(maxBytes)}`, {
        code: "payload_too_large",
      });
    },
  });
}

/** Formats a byte count as the largest whole unit that fits (`8 MiB`, `1500 bytes`). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

/**
 * One access-log line per request: time, method, path (no query, no keys, no body), status,
 * duration and sheets stored.
 * @example
 * // 2026-11-25T21:40:00.123Z POST /api/submit/batch 201 12.3 ms stored=500
 */
export function logAccess(write: (line: string) => void): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    try {
      await next();
    } finally {
      const ms = (performance.now() - started).toFixed(1);
      const stored = c.get("sheetsStored");
      write(
        `${new Date().toISOString()} ${c.req.method} ${c.req.path} ${c.res.status} ${ms} ms${
          stored === undefined ? "" : ` stored=${stored}`
        }`,
      );
    }
  };
}
