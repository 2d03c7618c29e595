import { deepStrictEqual, equal, ok, throws } from "node:assert/strict";
import {
  createBatchValidator,
  parseStatSheet,
  parseStatSheetBatch,
  ValidationError,
} from "../lib/mod.ts";
import { makeSheet } from "./fixtures.ts";

function problemsOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    ok(error instanceof ValidationError, `expected ValidationError, got ${error}`);
    return [...error.problems];
  }
  throw new Error("expected a ValidationError, none thrown");
}

Deno.test("parseStatSheet() accepts the original client's sheet and returns a clean copy", () => {
  const input = makeSheet({ build: "1.4.2" });
  const sheet = parseStatSheet(input);
  deepStrictEqual(sheet, {
    match_id: "match_001",
    player_id: "player_1_1",
    timestamp: "2025-10-23T10:30:00",
    looted_items: { rubber_duck: 3, medkit: 1, ammo_box: 2, grenade: 0, gold_coin: 4 },
    locations: { rubber_duck: [25.5, 75.2], medkit: [10, 50] },
    match_duration: 1250,
    player_level: 23,
    extra: { build: "1.4.2" },
  });
});

Deno.test("parseStatSheet() accepts any well-formed item name as data", () => {
  const sheet = parseStatSheet(
    makeSheet({ looted_items: { shield: 2, x9_z: 0 }, locations: { shield: [1, 2] } }),
  );
  deepStrictEqual(sheet.looted_items, { shield: 2, x9_z: 0 });
});

Deno.test("parseStatSheet() treats null optional fields as absent", () => {
  const sheet = parseStatSheet(
    makeSheet({ timestamp: null, locations: null, match_duration: null }),
  );
  equal(sheet.timestamp, undefined);
  deepStrictEqual(sheet.locations, {});
  equal("match_duration" in sheet, false);
});

Deno.test("parseStatSheet() lists every problem with its field path", async (t) => {
  await t.step("all at once", () => {
    const problems = problemsOf(() =>
      parseStatSheet({
        match_id: "",
        player_id: 7,
        looted_items: { medkit: -2, Bad: 1, ammo_box: 1.5 },
        locations: { medkit: [1, "2"], gold_coin: [1, 2] },
        timestamp: "yesterday",
        player_level: -1,
      })
    );
    deepStrictEqual(problems.map((problem) => problem.path), [
      "match_id",
      "player_id",
      "looted_items.medkit",
      "looted_items",
      "looted_items.ammo_box",
      "locations.medkit",
      "locations.gold_coin",
      "timestamp",
      "player_level",
    ]);
    equal(problems[2]!.message, "looted_items.medkit must be an integer from 0 to 1000000, got -2");
  });

  const cases: [string, unknown, string][] = [
    ["null", null, "Stat sheet must be a JSON object, got null"],
    ["an array", [], "Stat sheet must be a JSON object, got array"],
    ["a string", "sheet", "Stat sheet must be a JSON object, got string"],
    ["missing ids", { looted_items: {} }, "match_id is required"],
    [
      "missing looted_items",
      makeSheet({ looted_items: undefined, locations: undefined }),
      "looted_items is required",
    ],
    [
      "looted_items array",
      makeSheet({ looted_items: [1] }),
      "looted_items must be an object of item name to count, got array",
    ],
    [
      "overlong id",
      makeSheet({ match_id: "m".repeat(129) }),
      "match_id must be at most 128 characters (Unicode code points), got 129",
    ],
    [
      "control character",
      makeSheet({ player_id: "p\u0000" }),
      "player_id must not contain control characters",
    ],
    [
      "lone surrogate",
      makeSheet({ player_id: "p\ud800" }),
      "player_id must be well-formed Unicode (it has a lone surrogate)",
    ],
    [
      "huge count",
      makeSheet({ looted_items: { medkit: 1e7 } }),
      "looted_items.medkit must be an integer from 0 to 1000000, got 10000000",
    ],
    [
      "string count",
      makeSheet({ looted_items: { medkit: "3" } }),
      'looted_items.medkit must be an integer from 0 to 1000000, got "3"',
    ],
    [
      "constructor item",
      makeSheet({ looted_items: { constructor: 1 }, locations: {} }),
      'looted_items has an invalid item name: it "constructor" is reserved',
    ],
    [
      "__proto__ item",
      JSON.parse('{"match_id":"m","player_id":"p","looted_items":{"__proto__":1}}'),
      "looted_items has an invalid item name: it must match",
    ],
    [
      "location arity",
      makeSheet({ locations: { medkit: [1, 2, 3] } }),
      "locations.medkit must be [x, y] with two finite numbers, got [1,2,3]",
    ],
    [
      "location for unlooted item",
      makeSheet({ locations: { shield: [1, 2] } }),
      "locations.shield is given for an item that is not in looted_items",
    ],
    [
      "server-assigned id",
      makeSheet({ id: 5 }),
      "id is assigned by the server and must not be sent",
    ],
    [
      "bad date",
      makeSheet({ timestamp: "2025-02-30T10:00:00Z" }),
      "timestamp must be an ISO 8601 date-time",
    ],
    [
      "deep extra",
      makeSheet({ extra_field: JSON.parse("[".repeat(40) + "]".repeat(40)) }),
      "Extra fields must nest at most 16 levels deep",
    ],
    [
      "large extra",
      makeSheet({ notes: "x".repeat(20_000) }),
      "Extra fields (notes) take 20012 bytes, more than the limit of 16384",
    ],
  ];
  for (const [name, input, expected] of cases) {
    await t.step(name, () => {
      const messages = problemsOf(() => parseStatSheet(input)).map((problem) => problem.message);
      ok(
        messages.some((message) => message.startsWith(expected)),
        `${JSON.stringify(messages)} lacks "${expected}"`,
      );
    });
  }
});

Deno.test("parseStatSheetBatch() prefixes problems with the sheet index", () => {
  const problems = problemsOf(() =>
    parseStatSheetBatch([
      makeSheet(),
      makeSheet({ player_id: "" }),
      makeSheet({ looted_items: { rubber_duck: 1, medkit: -1 } }),
    ])
  );
  deepStrictEqual(problems.map((problem) => problem.path), [
    "[1].player_id",
    "[2].looted_items.medkit",
  ]);
  equal(problems[0]!.message, "[1].player_id must not be empty");
});

Deno.test("parseStatSheetBatch() refuses non-arrays, empty and oversized batches", () => {
  throws(() => parseStatSheetBatch({}), /Batch must be a JSON array of stat sheets, got object/);
  throws(() => parseStatSheetBatch([]), /at least one stat sheet/);
  throws(
    () => parseStatSheetBatch([makeSheet(), makeSheet()], { maxSheets: 1 }),
    /holds 2 stat sheets, more than the limit of 1/,
  );
});

Deno.test("createBatchValidator() checks sheet by sheet like parseStatSheetBatch(), listing 100 problems and counting all", () => {
  const validator = createBatchValidator({ maxSheets: 300 });
  for (let index = 0; index < 300; index++) {
    validator.add({ match_id: `m${index}`, player_id: "p", looted_items: { a: -1, b: -1 } });
  }
  throws(
    () => validator.finish(),
    (error: unknown) =>
      error instanceof ValidationError && error.problems.length === 100 &&
      error.totalProblems === 600 && error.problems[99]!.path === "[49].looted_items.b" &&
      /\(and 599 more problems\)$/.test(error.message),
  );
  throws(() => validator.add({}), /more than the limit of 300 stat sheets/);
  throws(() => createBatchValidator().finish(), /at least one stat sheet/);
});
