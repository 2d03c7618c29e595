import { createHash, timingSafeEqual } from "node:crypto";
import type { Context } from "hono";
import { HttpError } from "./http_error.ts";

/** Reads the key a request presents, from `Authorization: Bearer …` or `X-API-Key`. */
export function readPresentedKey(c: Context): string | undefined {
  const authorization = c.req.header("authorization");
  const bearer = authorization?.match(/^Bearer\s+(.+)$/i)?.[1]?.trim();
  return bearer || c.req.header("x-api-key")?.trim() || undefined;
}

/** Compares keys in constant time (hashing first, so unequal lengths leak nothing either). */
export function keysMatch(presented: string, expected: string): boolean {
  const digest = (key: string) => createHash("sha256").update(key).digest();
  return timingSafeEqual(digest(presented), digest(expected));
}

/**
 * Throws 401 when the request carries no key and 403 when it carries a wrong one.
 * `role` names the key in messages ("admin key"); the keys themselves are never echoed.
 */
export function requireKey(c: Context, expected: string, role: string): void {
  const presented = readPresentedKey(c);
  if (!presented) {
    throw new HttpError(
      401,
      `This endpoint needs the ${role}: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"`,
      {
        code: "unauthorized",
        headers: { "www-authenticate": 'Bearer realm="loot-telemetry"' },
      },
    );
  }
  if (!keysMatch(presented, expected)) {
    throw new HttpError(403, `The key sent is not the ${role}`, { code: "forbidden" });
  }
}
