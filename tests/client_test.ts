import { deepStrictEqual, equal, match, ok, rejects } from "node:assert/strict";
import { ApiError, createClient, simulateMatches, type UploadProgress } from "../lib/mod.ts";
import { createTestApp } from "./fixtures.ts";

Deno.test("client.submitBatch() chunks, reports progress and tallies duplicates", async () => {
  using t = createTestApp();
  const client = createClient("http://test", { fetch: (request) => t.app.fetch(request) });
  const sheets = [...simulateMatches({ matches: 25 })];
  const progress: UploadProgress[] = [];
  const summary = await client.submitBatch(sheets, {
    chunkSize: 30,
    concurrency: 3,
    onProgress: (p) => progress.push(p),
  });
  equal(summary.inserted, 100);
  equal(summary.failed, 0);
  equal(summary.chunks, 4);
  // Chunks in flight finish in any order: each report adds one chunk (30, 30, 30 or the last 10).
  const sent = progress.map((p) => p.sent).sort((a, b) => a - b);
  deepStrictEqual(
    sent.map((value, index) => value - (sent[index - 1] ?? 0)).sort((a, b) => a - b),
    [10, 30, 30, 30],
  );
  equal(sent.at(-1), 100);
  equal(progress.at(-1)!.total, 100);
  const again = await client.submitBatch(simulateMatches({ matches: 25 }), { chunkSize: 40 });
  equal(again.duplicates, 100);
  equal(again.inserted, 0);
  deepStrictEqual(await client.aggregate(), await client.aggregate({}));
});

Deno.test("client retries 5xx and 429, honouring Retry-After, and does not retry 4xx", async () => {
  const answers = [
    new Response("boom", { status: 503 }),
    new Response(JSON.stringify({ error: "slow down" }), {
      status: 429,
      headers: { "retry-after": "0" },
    }),
    Response.json({ status: "healthy", timestamp: "t", message: "ok" }),
  ];
  let calls = 0;
  const client = createClient("http://test/", { retryDelayMs: 1, fetch: () => answers[calls++]! });
  equal((await client.health()).status, "healthy");
  equal(calls, 3);

  let badCalls = 0;
  const strict = createClient("http://test", {
    retryDelayMs: 1,
    fetch: () => {
      badCalls++;
      return Response.json({ error: "looted_items is required" }, { status: 400 });
    },
  });
  await rejects(
    strict.submit({ match_id: "m", player_id: "p", looted_items: {}, locations: {} }),
    (error) => {
      ok(error instanceof ApiError);
      equal(error.status, 400);
      match(error.message, /HTTP 400: looted_items is required/);
      return true;
    },
  );
  equal(badCalls, 1);
});

Deno.test("client retries network errors, then reports failed chunks without throwing", async () => {
  let calls = 0;
  const client = createClient("http://test", {
    retries: 2,
    retryDelayMs: 1,
    fetch: () => {
      calls++;
      throw new TypeError("connection refused");
    },
  });
  const summary = await client.submitBatch(simulateMatches({ matches: 1 }), {
    chunkSize: 2,
    concurrency: 1,
  });
  equal(summary.failed, 4);
  equal(summary.errors.length, 2);
  match(summary.errors[0]!, /Chunk from match_001\/player_1_1: connection refused/);
  equal(calls, 6, "two chunks × three attempts");
  const health = await client.checkHealth();
  equal(health.healthy, false);
  match(
    health.message,
    /Server at http:\/\/test is not available: no answer \(connection refused\)/,
  );
});
