/** Token-bucket settings: a client may burst up to `burst` requests, refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** A token bucket per client key; `take` says whether a request may pass and, if not, when to retry. */
export class RateLimiter {
  readonly #limit: RateLimit;
  readonly #buckets = new Map<string, { tokens: number; updated: number }>();
  readonly #now: () => number;

  constructor(limit: RateLimit, now: () => number = () => performance.now()) {
    this.#limit = limit;
    this.#now = now;
  }

  /** Takes a token for `client`; returns 0 when allowed, else the seconds until a token is free. */
  take(client: string): number {
    const bucket = this.#refill(client);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return (1 - bucket.tokens) / this.#limit.perSecond;
  }

  /** The seconds until `client` has a token (0 when it has one now), taking none. */
  wait(client: string): number {
    const bucket = this.#buckets.get(client);
    if (!bucket) return 0;
    const tokens = Math.min(
      this.#limit.burst,
      bucket.tokens + ((this.#now() - bucket.updated) / 1000) * this.#limit.perSecond,
    );
    return tokens >= 1 ? 0 : (1 - tokens) / this.#limit.perSecond;
  }

  #refill(client: string): { tokens: number; updated: number } {
    const now = this.#now();
    const bucket = this.#buckets.get(client) ?? { tokens: this.#limit.burst, updated: now };
    bucket.tokens = Math.min(
      this.#limit.burst,
      bucket.tokens + ((now - bucket.updated) / 1000) * this.#limit.perSecond,
    );
    bucket.updated = now;
    this.#buckets.set(client, bucket);
    if (this.#buckets.size > 100_000) this.#forgetFullBuckets(now);
    return bucket;
  }

  /** A client whose bucket has refilled is indistinguishable from a new one: forget it, bounding memory. */
  #forgetFullBuckets(now: number): void {
    for (const [client, bucket] of this.#buckets) {
      if (
        bucket.tokens + ((now - bucket.updated) / 1000) * this.#limit.perSecond >= this.#limit.burst
      ) {
        this.#buckets.delete(client);
      }
    }
  }
}
