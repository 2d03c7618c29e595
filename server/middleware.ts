import type { Hono, MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
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

/** Answers 405 with an `Allow` header for methods a known path does not take. Register after its handlers. */
export function rejectOtherMethods(app: Hono, path: string, allowed: readonly string[]): void {
  const allow = allowed.includes("GET") ? [...allowed, "HEAD"] : [...allowed];
  app.all(path, (c) => {
    throw new HttpError(
      405,
      `Method ${c.req.method} is not allowed on ${c.req.path}; use ${allowed.join(" or ")}`,
      {
        code: "method_not_allowed",
        headers: { allow: allow.join(", ") },
      },
    );
  });
}

/** Formats a byte count as the largest whole unit that fits (`8 MiB`, `1500 bytes`). */
export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes >= 1024 && bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}
