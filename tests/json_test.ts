import { deepStrictEqual, equal, throws } from "node:assert/strict";
import fc from "fast-check";
import {
  JsonTextError,
  MAX_JSON_DEPTH,
  measureJsonDepth,
  parseJsonBounded,
  splitJsonArray,
} from "../lib/mod.ts";

Deno.test("measureJsonDepth() counts brackets outside strings and stops past the limit", () => {
  equal(measureJsonDepth('{"a":[1,{"b":[]}]}'), 4);
  equal(measureJsonDepth('"[[[[" '), 0, "brackets inside a string do not count");
  equal(measureJsonDepth('["\\"[[["]'), 1, "nor after an escaped quote");
  equal(measureJsonDepth("[".repeat(5_000_000), 32), 33, "a deep text is refused at level 33");
});

Deno.test("parseJsonBounded() refuses nesting past the limit before parsing, and reports syntax errors", () => {
  deepStrictEqual(parseJsonBounded(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`), [
    ...JSON.parse(`${"[".repeat(MAX_JSON_DEPTH)}${"]".repeat(MAX_JSON_DEPTH)}`),
  ]);
  throws(
    () => parseJsonBounded("[".repeat(MAX_JSON_DEPTH + 1)),
    new JsonTextError("JSON nests deeper than the limit of 32 levels"),
  );
  throws(() => parseJsonBounded("{oops"), JsonTextError);
});

Deno.test("splitJsonArray() yields each element's text; parsing them equals parsing the array", () => {
  fc.assert(
    fc.property(
      fc.array(fc.jsonValue({ maxDepth: 5 }), { maxLength: 20 }),
      fc.boolean(),
      (values, pretty) => {
        const text = JSON.stringify(values, null, pretty ? 2 : undefined);
        deepStrictEqual(
          [...splitJsonArray(text)].map((element) => JSON.parse(element)),
          JSON.parse(text),
        );
      },
    ),
    { numRuns: 300 },
  );
  deepStrictEqual([...splitJsonArray(' [ {"a":"],["} , [1,2] ] \n')], ['{"a":"],["} ', " [1,2] "]);
});

Deno.test("splitJsonArray() refuses what is not one array, and nesting past the limit", () => {
  for (const bad of ['{"a":1}', "[1,2", "[1] [2]", "[[1]", ""]) {
    throws(() => [...splitJsonArray(bad)], JsonTextError, bad);
  }
  throws(() => [...splitJsonArray(`[${"[".repeat(40)}`)], /nests deeper than the limit of 32/);
});
