import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { createClient, simulateMatches } from "../lib/mod.ts";
import { RateLimiter } from "../server/rate_limit.ts";
import { createTestApp, getJson, makeSheet, post } from "./fixtures.ts";

Deno.test("write, read and admin keys: 401 without, 403 wrong, each message naming the key", async () => {
  using t = createTestApp({ writeKey: "w-key", readKey: "r-key", adminKey: "a-key" });
  const missing = await post(t.app, "/api/submit", makeSheet());
  equal(missing.status, 401);
  match(
    (await missing.json()).error,
    /needs the write key: send it as "Authorization: Bearer <key>" or "X-API-Key: <key>"/,
  );
  equal(missing.headers.get("www-authenticate"), 'Bearer realm="loot-telemetry"');
  const wrong = await post(t.app, "/api/submit", makeSheet(), { authorization: "Bearer r-key" });
  equal(wrong.status, 403);
  match((await wrong.json()).error, /The key sent is not the write key/);
  equal((await post(t.app, "/api/submit", makeSheet(), { "x-api-key": "w-key" })).status, 201);
  equal(
    (await post(t.app, "/api/submit/batch", [makeSheet({ player_id: "p2" })], {
      authorization: "Bearer a-key",
    })).status,
    201,
    "the admin key writes too",
  );

  const noReadKey = await getJson(t.app, "/api/aggregate");
  equal(noReadKey.status, 401);
  match(noReadKey.body.error, /needs the read key/);
  for (const path of ["/api/stats", "/api/aggregate", "/api/heatmap/medkit?bins=5"]) {
    equal(
      (await t.app.request(path, { headers: { "x-api-key": "w-key" } })).status,
      403,
      `${path} refuses the write key`,
    );
    equal(
      (await t.app.request(path, { headers: { authorization: "Bearer r-key" } })).status,
      200,
      path,
    );
  }
  equal((await getJson(t.app, "/api/health")).status, 200, "health stays open for load balancers");
  equal((await t.app.request("/")).status, 200);
  const clear = await post(t.app, "/api/clear", {}, { "x-api-key": "w-key" });
  equal(clear.status, 403);
  match((await clear.json()).error, /not the admin key/);
});

Deno.test("keys never appear in answers or logs", async () => {
  using t = createTestApp({ writeKey: "super-secret-write" });
  const response = await post(t.app, "/api/submit", makeSheet(), {
    authorization: "Bearer guessed-wrong-key",
  });
  const text = await response.text();
  equal(text.includes("super-secret-write") || text.includes("guessed-wrong-key"), false);
  deepStrictEqual(t.logged, []);
});

Deno.test("CORS answers only the allowlisted origins", async () => {
  using t = createTestApp({ corsOrigins: ["https://dash.example"] });
  const allowed = await t.app.request("/api/aggregate", {
    headers: { origin: "https://dash.example" },
  });
  equal(allowed.headers.get("access-control-allow-origin"), "https://dash.example");
  const other = await t.app.request("/api/aggregate", {
    headers: { origin: "https://evil.example" },
  });
  equal(other.headers.get("access-control-allow-origin"), null);
  const preflight = await t.app.request("/api/submit", {
    method: "OPTIONS",
    headers: { origin: "https://dash.example", "access-control-request-method": "POST" },
  });
  equal(preflight.status, 204);
  match(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
  using closed = createTestApp();
  equal(
    (await closed.app.request("/api/aggregate", { headers: { origin: "https://dash.example" } }))
      .headers.get("access-control-allow-origin"),
    null,
    "no CORS unless configured",
  );
});

Deno.test("rate limiting answers 429 with Retry-After per client, and the client waits and succeeds", async () => {
  using t = createTestApp({ rateLimit: { perSecond: 5, burst: 3 } });
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await t.app.request("/api/health")).status);
  deepStrictEqual(statuses, [200, 200, 200, 429, 429]);
  const limited = await t.app.request("/api/health");
  equal(limited.headers.get("retry-after"), "1");
  match(
    (await limited.json()).error,
    /Rate limit exceeded: at most 5 requests per second \(bursts of 3\) per client; retry after 1 s/,
  );
  equal(
    (await t.app.request("/api/health", {}, { remoteAddr: { hostname: "10.9.9.9" } })).status,
    200,
    "each address has its own bucket",
  );
  for (const key of ["random-1", "random-2", "random-3"]) {
    equal(
      (await t.app.request("/api/health", { headers: { "x-api-key": key } })).status,
      429,
      "a key the server does not know buys no fresh bucket",
    );
  }
  // The lib client honours Retry-After and gets through.
  const client = createClient("http://test", {
    fetch: (request) => t.app.fetch(request),
    retryDelayMs: 1,
  });
  const summary = await client.submitBatch(simulateMatches({ matches: 1 }), {
    chunkSize: 1,
    concurrency: 1,
  });
  equal(summary.inserted, 4);
  equal(summary.failed, 0);
});

Deno.test("RateLimiter refills at its rate", () => {
  let now = 0;
  const limiter = new RateLimiter({ perSecond: 2, burst: 2 }, () => now);
  deepStrictEqual([limiter.take("a"), limiter.take("a")], [0, 0]);
  equal(limiter.take("a"), 0.5);
  now = 500;
  equal(limiter.take("a"), 0);
});

Deno.test("gzip bodies are accepted, and a gzip bomb is refused with 413 without inflating it", async () => {
  using t = createTestApp();
  const zipped = new Uint8Array(gzipSync(JSON.stringify([...simulateMatches({ matches: 3 })])));
  const response = await t.app.request("/api/submit/batch", {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: zipped,
  });
  equal(response.status, 201);
  equal((await response.json()).inserted, 12);
  const bomb = new Uint8Array(gzipSync(new Uint8Array(64 * 1024 * 1024).fill(32))); // 64 MiB of spaces, ~64 KiB on the wire
  ok(bomb.length < 200_000);
  const refused = await t.app.request("/api/submit", {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: bomb,
  });
  equal(refused.status, 413);
  match((await refused.json()).error, /exceeds the limit of 1 MiB once decompressed/);
  const broken = await t.app.request("/api/submit", {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": "gzip" },
    body: "not gzip at all",
  });
  equal(broken.status, 400);
  const brotli = await t.app.request("/api/submit", {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": "br" },
    body: "{}",
  });
  equal(brotli.status, 415);
  match((await brotli.json()).error, /Content-Encoding "br" is not supported/);
});

Deno.test("sent_at corrects the timestamp for client clock skew; retries stay duplicates", async () => {
  const receivedAt = new Date("2026-03-01T12:00:00Z");
  using t = createTestApp({ now: () => receivedAt });
  // The client's clock is 1 hour slow: it sent at 11:00 by its clock, the server got it at 12:00.
  const sheet = makeSheet({ timestamp: "2026-03-01T10:30:00Z", sent_at: "2026-03-01T11:00:00Z" });
  equal((await post(t.app, "/api/submit", sheet)).status, 201);
  const [row] = (await getJson(t.app, "/api/stats")).body.data;
  equal(row.timestamp, "2026-03-01T11:30:00.000Z");
  equal(row.client_timestamp, "2026-03-01T10:30:00Z");
  equal(row.sent_at, "2026-03-01T11:00:00Z");
  equal(row.received_at, "2026-03-01T12:00:00.000Z");
  const retry = await post(t.app, "/api/submit", { ...sheet, sent_at: "2026-03-01T11:00:05Z" });
  equal(retry.status, 200, "a retry sends a new sent_at and is still a duplicate");
  equal((await retry.json()).duplicate, true);
  const since = (await getJson(t.app, "/api/stats?since=2026-03-01T11:00:00Z")).body.count;
  equal(since, 1, "filters use the corrected time");
});

Deno.test("timestamps more than 24 h ahead of the server clock are refused", async () => {
  using t = createTestApp({ now: () => new Date("2026-03-01T12:00:00Z") });
  const future = await post(t.app, "/api/submit", makeSheet({ timestamp: "2026-03-03T12:00:00Z" }));
  equal(future.status, 400);
  match(
    (await future.json()).error,
    /timestamp is 48\.0 h ahead of the server clock \(at most 24 h is accepted\)/,
  );
  equal(
    (await post(t.app, "/api/submit", makeSheet({ timestamp: "2026-03-02T11:00:00Z" }))).status,
    201,
    "23 h ahead is fine",
  );
  const skewed = await post(t.app, "/api/submit/batch", [
    makeSheet({
      player_id: "x",
      timestamp: "2026-03-03T12:00:00Z",
      sent_at: "2026-03-03T12:00:00Z",
    }),
    makeSheet({ player_id: "y", timestamp: "2030-01-01T00:00:00Z" }),
  ]);
  equal(skewed.status, 400, "a wrong client clock is corrected first; a wild timestamp is not");
  deepStrictEqual((await skewed.json()).problems.map((problem: { path: string }) => problem.path), [
    "[1].timestamp",
  ]);
});

Deno.test("failed authentications are counted per address: past 10, every key check answers 429", async () => {
  using t = createTestApp({ writeKey: "the-write-key", readKey: "the-read-key" });
  const from = (hostname: string, key: string) =>
    t.app.request("/api/aggregate", { headers: { "x-api-key": key } }, {
      remoteAddr: { hostname },
    });
  for (let attempt = 0; attempt < 10; attempt++) {
    equal((await from("10.0.0.1", `guess-${attempt}`)).status, 403);
  }
  const throttled = await from("10.0.0.1", "guess-10");
  equal(throttled.status, 429);
  match((await throttled.json()).error, /Too many failed authentications from this address/);
  ok(Number(throttled.headers.get("retry-after")) >= 1);
  equal((await from("10.0.0.1", "the-read-key")).status, 429, "even the right key waits");
  equal((await from("10.0.0.2", "the-read-key")).status, 200, "other addresses are unaffected");
});
