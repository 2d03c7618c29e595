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
 * Failed authentications an address may make: 10 at once, then one every 6 s. Past that, every
 * key check from that address answers 429 until the bucket refills, right key or wrong, so keys
 * cannot be guessed at line rate.
 */
export const AUTH_FAILURE_LIMIT: RateLimit = Object.freeze({ perSecond: 1 / 6, burst: 10 });

/** Checks keys, counting failures per address. One per app, shared by every route. */
export interface KeyGuard {
  /** Middleware requiring `role`'s key when one is configured; the admin key always passes. */
  role(role: "write" | "read"): MiddlewareHandler;
  /** Throws 429 past the failure limit, 401 without a key, 403 with a wrong one. */
  check(c: Context, expected: string, name: string): void;
}

/** Creates the app's {@link KeyGuard}. */
export function createKeyGuard(
  keys: AccessKeys,
  failureLimit: RateLimit = AUTH_FAILURE_LIMIT,
): KeyGuard {
  const failures = new RateLimiter(failureLimit);
  const check = (c: Context, expected: string, name: string) => {
    const address = addressOf(c);
    const wait = failures.wait(address);
    if (wait > 0) {
      throw tooManyRequests(
        wait,
        `Too many failed authentications from this address: at most ${failureLimit.burst}, then one every ${
          Math.round(1 / failureLimit.perSecond)
        } s`,
      );
    }
    try {
      requireKey(c, expected, name);
    } catch (error) {
      failures.take(address);
      throw error;
    }
  };
  return {
    check,
    role(role) {
      const expected = role === "write" ? keys.writeKey : keys.readKey;
      return async (c, next) => {
        if (expected) {
          const presented = readPresentedKey(c);
          if (!(presented && keys.adminKey && keysMatch(presented, keys.adminKey))) {
            check(c, expected, `${role} key`);
          }
        }
        await next();
      };
    },
  };
}

/**
 * Per-client token bucket: 429 with `Retry-After` once a client exceeds its rate. A client is its
 * key (hashed, never kept in the clear) when it sends one of the server's keys, else its address:
 * random or wrong keys do not buy a fresh bucket each.
 */
export function limitRate(limit: RateLimit, keys: AccessKeys): MiddlewareHandler {
  const limiter = new RateLimiter(limit);
  const known = [keys.writeKey, keys.readKey, keys.adminKey].filter((key) => key !== undefined);
  return async (c, next) => {
    const wait = limiter.take(identifyClient(c, known));
    if (wait > 0) {
      throw tooManyRequests(
        wait,
        `Rate limit exceeded: at most ${limit.perSecond} requests per second (bursts of ${limit.burst}) per client`,
      );
    }
    await next();
  };
}

function tooManyRequests(waitSeconds: number, reason: string): HttpError {
  const seconds = Math.max(1, Math.ceil(waitSeconds));
  return new HttpError(429, `${reason}; retry after ${seconds} s`, {
    code: "rate_limited",
    headers: { "retry-after": String(seconds) },
  });
}

function identifyClient(c: Context, knownKeys: readonly string[]): string {
  const key = readPresentedKey(c);
  if (key && knownKeys.some((known) => keysMatch(key, known))) {
    return `key:${createHash("sha256").update(key).digest("hex").slice(0, 16)}`;
  }
  return addressOf(c);
}

function addressOf(c: Context): string {
  const info = c.env as { remoteAddr?: { hostname?: string } } | undefined;
  return `addr:${info?.remoteAddr?.hostname ?? "unknown"}`;
}
