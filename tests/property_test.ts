import { deepStrictEqual, equal } from "node:assert/strict";
import fc from "fast-check";
import {
  aggregateLoot,
  binItemLocations,
  canonicalJson,
  fingerprintSheet,
  fingerprintStatSheet,
  isFingerprintOf,
  parseStatSheet,
  simulateMatches,
} from "../lib/mod.ts";
import { getJson, post } from "./fixtures.ts";
import { engineTest, openTestApp } from "./engines.ts";

const itemName = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((name) =>
  !(name in Object.prototype)
);

engineTest(
  "the server's aggregate and heatmap grid equal the local ones for random seeds and sizes",
  async (engine) => {
    // One store, emptied before each run: a fresh PostgreSQL database per run costs half a second.
    await using t = await openTestApp(engine);
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          seed: fc.integer({ min: 0, max: 2 ** 32 - 1 }),
          matches: fc.integer({ min: 1, max: 30 }),
          playersPerMatch: fc.integer({ min: 1, max: 6 }),
          items: fc.uniqueArray(itemName, { minLength: 1, maxLength: 6 }),
          maxPerItem: fc.integer({ min: 0, max: 9 }),
          bins: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.constantFrom(50, 100, 200)),
        }),
        async ({ bins, ...options }) => {
          await t.store.clear();
          const sheets = [...simulateMatches(options)];
          await post(t.app, "/api/submit/batch", sheets);
          deepStrictEqual(
            (await getJson(t.app, "/api/aggregate")).body.data,
            aggregateLoot(sheets),
          );
          const item = options.items[0]!;
          deepStrictEqual(
            (await getJson(t.app, `/api/heatmap/${item}?bins=${bins}`)).body.data,
            binItemLocations(sheets, item, { bins }),
          );
          // The same grid through the SQL path that a match-prefix filter takes.
          deepStrictEqual(
            (await getJson(t.app, `/api/heatmap/${item}?bins=${bins}&match_prefix=match_`)).body
              .data,
            binItemLocations(sheets, item, { bins }),
          );
        },
      ),
      { numRuns: 40 },
    );
  },
);

Deno.test("parseStatSheet() is idempotent and fingerprints ignore key order", () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 1_000 }), (seed) => {
      for (const sheet of simulateMatches({ matches: 1, playersPerMatch: 2, seed })) {
        const reparsed = parseStatSheet(JSON.parse(JSON.stringify(sheet)));
        deepStrictEqual(reparsed, sheet);
        const shuffled = JSON.parse(
          JSON.stringify(Object.fromEntries(Object.entries(sheet).reverse())),
        );
        for (const fingerprint of [fingerprintSheet, fingerprintStatSheet]) {
          deepStrictEqual(fingerprint(parseStatSheet(shuffled)), fingerprint(sheet));
        }
      }
    }),
  );
  fc.assert(
    fc.property(fc.jsonValue(), (value) =>
      deepStrictEqual(
        JSON.parse(canonicalJson(value)),
        JSON.parse(JSON.stringify(value) ?? "null"),
      )),
  );
});

/** canonicalJson as first released: stored fingerprints were made with it, so its output is fixed. */
function canonicalJsonAsReleased(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJsonAsReleased).join(",")}]`;
  const keys = Object.keys(value).sort();
  const record = value as Record<string, unknown>;
  return `{${
    keys.filter((key) => record[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJsonAsReleased(record[key])}`).join(",")
  }}`;
}

Deno.test("canonicalJson and fingerprints are what stored sheets were fingerprinted with", () => {
  fc.assert(
    fc.property(
      fc.jsonValue(),
      (value) => deepStrictEqual(canonicalJson(value), canonicalJsonAsReleased(value)),
    ),
  );
  deepStrictEqual(
    canonicalJson({ b: [1, { d: undefined, c: null }], a: "x" }),
    '{"a":"x","b":[1,{"c":null}]}',
  );
  const [sheet] = simulateMatches({ matches: 1, playersPerMatch: 1, seed: 7 });
  // Made by the released code: a sheet stored then must still be a duplicate of itself, not a conflict.
  deepStrictEqual(fingerprintStatSheet(sheet!), "07c9a3f8d4b8c5c6c53caf327fe0ad1e");
  // And by this release's (the value `xxhsum -H64`, xxHash's reference tool, gives for the same text).
  deepStrictEqual(fingerprintSheet(sheet!), "b0dd80c8d467c6c8");
});

Deno.test("a stored fingerprint of either kind is matched against the sheet's own kind", () => {
  const [sheet] = simulateMatches({ matches: 1, playersPerMatch: 1, seed: 7 });
  const other = { ...sheet!, looted_items: { ...sheet!.looted_items, medkit: 99 } };
  const fingerprint = fingerprintSheet(sheet!);
  equal(fingerprint.length, 16);
  equal(isFingerprintOf(fingerprint, sheet!, fingerprint), true);
  equal(isFingerprintOf(fingerprintSheet(other), sheet!, fingerprint), false);
  equal(isFingerprintOf(fingerprintStatSheet(sheet!), sheet!, fingerprint), true, "stored before");
  equal(isFingerprintOf(fingerprintStatSheet(other), sheet!, fingerprint), false);
  const resent = { ...sheet!, sent_at: "2026-01-01T00:00:00Z" };
  equal(
    isFingerprintOf(fingerprint, resent, fingerprintSheet(resent)),
    true,
    "sent_at is not content",
  );
});
