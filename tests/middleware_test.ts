import { equal, match, ok } from "node:assert/strict";
import { simulateMatches } from "../lib/mod.ts";
import { Hono } from "hono";
import { HttpError } from "../server/http_error.ts";
import { createLineBuffer, limitBody } from "../server/middleware.ts";
import { createTestApp, makeSheet, post } from "./fixtures.ts";

Deno.test("the access log writes one line per request: method, path, status, duration, sheets stored", async () => {
  const lines: string[] = [];
  using t = createTestApp({ accessLog: (line) => lines.push(line), writeKey: "secret-write-key" });
  const auth = { authorization: "Bearer secret-write-key" };
  await post(t.app, "/api/submit/batch", [...simulateMatches({ matches: 2 })], auth);
  await post(t.app, "/api/submit", makeSheet({ match_id: "log_1" }), auth);
  await post(t.app, "/api/submit", makeSheet({ match_id: "log_1" }), auth); // a duplicate stores nothing
  await post(t.app, "/api/submit", makeSheet(), { authorization: "Bearer wrong" });
  await t.app.request("/api/stats?player_id=player_1_1&limit=1");
  await t.app.request("/api/aggregate", { method: "DELETE" });
  equal(lines.length, 6, lines.join("\n"));
  const timeAndDuration = String.raw`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z (.*) \d+\.\d ms(.*)$`;
  const [batch, single, duplicate, forbidden, stats, notAllowed] = lines.map((line) => {
    const parts = new RegExp(timeAndDuration).exec(line);
    ok(parts, line);
    return `${parts[1]}${parts[2]}`;
  });
  equal(batch, "POST /api/submit/batch 201 stored=8");
  equal(single, "POST /api/submit 201 stored=1");
  equal(duplicate, "POST /api/submit 200 stored=0");
  equal(forbidden, "POST /api/submit 403");
  equal(stats, "GET /api/stats 200", "no query string: filters may name players");
  equal(notAllowed, "DELETE /api/aggregate 405");
  for (const line of lines) ok(!line.includes("secret") && !line.includes("wrong"), line);
});

Deno.test("without an access log nothing is written, and unexpected errors still reach logError", async () => {
  using t = createTestApp();
  t.store.close(); // every query now fails inside the store
  const response = await t.app.request("/api/aggregate");
  equal(response.status, 500);
  equal(t.logged.length, 1, "the stack is logged once");
  match(String(t.logged[0]), /Error/);
});

Deno.test("the access log's line buffer writes lines in order, in one write per flush, at the latest after flushMs", async () => {
  const writes: string[] = [];
  const buffer = createLineBuffer((text) => writes.push(text), { flushMs: 20, maxBytes: 30 });
  buffer.write("one");
  buffer.write("two");
  equal(writes.length, 0, "nothing is written before a flush");
  buffer.flush();
  equal(writes.join(""), "one\ntwo\n");
  buffer.flush();
  equal(writes.length, 1, "an empty flush writes nothing");
  buffer.write("a line of twenty chars");
  buffer.write("another that passes maxBytes");
  equal(writes.length, 2, "passing maxBytes writes at once");
  equal(writes[1], "a line of twenty chars\nanother that passes maxBytes\n");
  buffer.write("late");
  const deadline = Date.now() + 2_000;
  while (writes.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  equal(writes[2], "late\n", "the timer flushes what a quiet moment leaves");
});

Deno.test("limitBody passes a body whose Content-Length is within the limit, and refuses one over it, declared or streamed", async () => {
  const app = new Hono();
  app.onError((error, c) =>
    error instanceof HttpError ? c.json({ error: error.message }, error.status) : c.text("bug", 500)
  );
  app.post("/", limitBody(10), async (c) => c.text(await c.req.text()));
  const send = (body: BodyInit, headers: Record<string, string> = {}) =>
    app.request("/", { method: "POST", body, headers });

  const within = await send("0123456789", { "content-length": "10" });
  equal(within.status, 200);
  equal(await within.text(), "0123456789");

  const declaredOver = await send("0123456789a", { "content-length": "11" });
  equal(declaredOver.status, 413);
  match((await declaredOver.json()).error, /exceeds the limit of 10 bytes/);

  // No Content-Length (or one next to Transfer-Encoding): counted while read.
  const streamed = (text: string) =>
    new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(text));
        controller.close();
      },
    });
  equal((await send(streamed("0123456789a"))).status, 413);
  equal(
    (await send(streamed("0123456789a"), { "content-length": "3", "transfer-encoding": "chunked" }))
      .status,
    413,
  );
  equal((await send(streamed("0123"))).status, 200);
});
