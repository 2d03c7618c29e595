import { deepStrictEqual, ok } from "node:assert/strict";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { parseStatSheet, parseStatSheetBatch, ValidationError } from "../lib/mod.ts";
import { createTestApp } from "./fixtures.ts";
import { engineTest, openTestApp } from "./engines.ts";

/** JSON values shaped like stat sheets often enough to reach the deep validation paths. */
const sheetLike = fc.record({
  match_id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
  player_id: fc.oneof(fc.string({ maxLength: 140 }), fc.jsonValue()),
  looted_items: fc.oneof(
    fc.dictionary(
      fc.string({ maxLength: 70 }),
      fc.oneof(fc.integer(), fc.double(), fc.jsonValue()),
    ),
    fc.jsonValue(),
  ),
  locations: fc.oneof(
    fc.dictionary(fc.string(), fc.array(fc.oneof(fc.double(), fc.jsonValue()), { maxLength: 3 })),
    fc.jsonValue(),
  ),
  timestamp: fc.oneof(
    fc.string(),
    fc.date({ noInvalidDate: true }).map((date) => date.toISOString()),
    fc.jsonValue(),
  ),
}, { requiredKeys: [] });
const anyJson = fc.oneof(fc.jsonValue(), sheetLike, fc.array(sheetLike, { maxLength: 4 }));

Deno.test("fuzz: the parsers accept or reject with a ValidationError, never anything else", () => {
  fc.assert(
    fc.property(anyJson, (value) => {
      for (const parse of [parseStatSheet, parseStatSheetBatch]) {
        try {
          parse(value);
        } catch (error) {
          ok(error instanceof ValidationError, `unexpected ${error}`);
          ok(error.problems.length > 0);
        }
      }
    }),
    { numRuns: 2_000 },
  );
});

engineTest(
  "fuzz: arbitrary JSON and bytes to every ingest endpoint never get a 500",
  async (engine) => {
    await using t = await openTestApp(engine);
    const send = async (
      path: string,
      body: Uint8Array<ArrayBuffer> | string,
      headers: Record<string, string>,
    ) => {
      const response = await t.app.request(path, { method: "POST", headers, body });
      ok(response.status < 500, `${path} answered ${response.status}`);
      if (response.status >= 400) ok(typeof (await response.json()).error === "string");
      else await response.body?.cancel();
    };
    await fc.assert(
      fc.asyncProperty(anyJson, async (value) => {
        const text = JSON.stringify(value);
        await send("/api/submit", text, { "content-type": "application/json" });
        await send("/api/submit/batch", text, { "content-type": "application/json" });
        await send("/api/submit/batch", `${text}\n${text}`, {
          "content-type": "application/x-ndjson",
        });
      }),
      { numRuns: 500 },
    );
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 512 }), fc.boolean(), async (bytes, zipped) => {
        const headers: Record<string, string> = { "content-type": "application/json" };
        let body = new Uint8Array(bytes);
        if (zipped) {
          headers["content-encoding"] = "gzip";
          // Half the time valid gzip of random bytes, half the time random bytes claiming to be gzip.
          if (bytes.length % 2 === 0) body = new Uint8Array(gzipSync(bytes));
        }
        await send("/api/submit", body, headers);
        await send("/api/submit/batch", body, {
          ...headers,
          "content-type": "application/x-ndjson",
        });
      }),
      { numRuns: 500 },
    );
    deepStrictEqual(t.logged, [], "nothing reached the unexpected-error path");
  },
);

Deno.test("fuzz: arbitrary query strings and heatmap paths never get a 500", async () => {
  using t = createTestApp();
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(
        "limit",
        "offset",
        "since",
        "until",
        "item",
        "match_id",
        "player_id",
        "cursor",
        "match_prefix",
        "x",
      ),
      fc.string({ unit: "binary", maxLength: 40 }),
      fc.string({ unit: "binary", maxLength: 40 }),
      async (name, value, item) => {
        for (
          const path of [
            `/api/stats?${name}=${encodeURIComponent(value)}`,
            `/api/aggregate?${name}=${encodeURIComponent(value)}`,
            `/api/heatmap/${encodeURIComponent(item)}?bins=${encodeURIComponent(value)}`,
          ]
        ) {
          const response = await t.app.request(path);
          ok(response.status < 500, `${path} answered ${response.status}`);
          await response.body?.cancel();
        }
      },
    ),
    { numRuns: 1_000 },
  );
  deepStrictEqual(t.logged, []);
});

engineTest(
  "fuzz: whatever ingest accepts, a listing returns exactly as sent (no silent alteration)",
  async (engine) => {
    await using t = await openTestApp(engine);
    const digits = (length: number) =>
      fc.array(fc.constantFrom(..."0123456789"), { minLength: length, maxLength: length })
        .map((chars) => chars.join(""));
    const timestamp = fc.tuple(
      digits(4),
      digits(2),
      digits(2),
      digits(2),
      digits(2),
      fc.oneof(fc.constant("Z"), fc.tuple(fc.constantFrom("+", "-"), digits(2), digits(2))),
    ).map(([year, month, day, hour, minute, offset]) =>
      `${year}-${month}-${day}T${hour}:${minute}:00${
        typeof offset === "string" ? offset : `${offset[0]}${offset[1]}:${offset[2]}`
      }`
    );
    // Number spellings JSON allows but JavaScript may not hold exactly.
    const numberText = fc.oneof(
      fc.integer().map(String),
      fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
      fc.constantFrom("1e400", "-1e400", "1e308", "4.9e-324", "0.1", "9007199254740993"),
    );
    let index = 0;
    await fc.assert(
      fc.asyncProperty(
        timestamp,
        numberText,
        fc.jsonValue({ maxDepth: 3 }),
        async (ts, number, meta) => {
          const match_id = `fuzz_${index++}`;
          const text =
            `{"match_id":"${match_id}","player_id":"p","timestamp":"${ts}","looted_items":{},` +
            `"score":${number},"meta":${JSON.stringify(meta)}}`;
          const response = await t.app.request("/api/submit", {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: text,
          });
          ok(response.status === 201 || response.status === 400, `answered ${response.status}`);
          await response.body?.cancel();
          if (response.status !== 201) return;
          const listed =
            (await (await t.app.request(`/api/stats?match_id=${match_id}`)).json()).data[0];
          deepStrictEqual(listed.timestamp, ts, "timestamp stored as sent");
          const sent = JSON.parse(text);
          deepStrictEqual(listed.extra, { score: sent.score, meta: sent.meta });
          ok(
            Number.isFinite(sent.score) &&
              (!Number.isInteger(sent.score) || Number.isSafeInteger(sent.score)),
          );
          const year = Number(ts.slice(0, 4));
          ok(year >= 1970, `year ${year} accepted`);
        },
      ),
      { numRuns: 400 },
    );
    deepStrictEqual(t.logged, []);
  },
);
