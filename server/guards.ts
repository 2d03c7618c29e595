import { createHash } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { keysMatch, readPresentedKey, requireKey } from "./auth.ts";
import { HttpError } from "./http_error.ts";
import { type RateLimit, RateLimiter } from "./rate_limit.ts";

/** Keys the server may require; each unset key leaves its endpoints open. */
export interface AccessKeys {
  /** Ingest (`POST /api/submit*`). */
  writeKey?: string;
  /** Queries (`GET /api/stats`, `/api/aggregate`, `/api/heatmap`). */
  readKey?: string;
  /** Destructive operations; also accepted wherever a read or write key is asked for. */
  adminKey?: string;
}

/**
 * Requires `role`'s key when it is configured (401 without a key, 403 with a wrong one); the admin
 * key always passes.
 */
export function requireRole(keys: AccessKeys, role: "write" | "read"): MiddlewareHandler {
  const expected = role === "write" ? keys.writeKey : keys.readKey;
  return async (c, next) => {
    if (expected) {
      const presented = readPresentedKey(c);
      if (!(presented && keys.adminKey && keysMatch(presented, keys.adminKey))) {
        requireKey(c, expected, `${role} key`);
      }
    }
    await next();
  };
}

/**
 * Per-client token bucket: 429 with `Retry-After` once a client exceeds its rate. A client is its
 * key (hashed, never kept in the clear) when it sends one, else its address.
 */
export function limitRate(limit: RateLimit): MiddlewareHandler {
  const limiter = new RateLimiter(limit);
  return async (c, next) => {
    const wait = limiter.take(identifyClient(c));
    if (wait > 0) {
      const seconds = Math.max(1, Math.ceil(wait));
      throw new HttpError(
        429,
        `Rate limit exceeded: at most ${limit.perSecond} requests per second (bursts of ${limit.burst}) per client; retry after ${seconds} s`,
        { code: "rate_limited", headers: { "retry-after": String(seconds) } },
      );
    }
    await next();
  };
}

function identifyClient(c: Context): string {
  const key = readPresentedKey(c);
  if (key) return `key:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return `addr:${info?.remoteAddr?.hostname ?? "unknown"}`;
}
