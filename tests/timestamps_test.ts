import { equal } from "node:assert/strict";
import { parseIsoTimestamp } from "../lib/mod.ts";

Deno.test("parseIsoTimestamp() reads the date-times clients send", () => {
  equal(parseIsoTimestamp("2025-10-23T10:30:00"), Date.UTC(2025, 9, 23, 10, 30));
  equal(parseIsoTimestamp("2025-10-23T10:30:00.123456"), Date.UTC(2025, 9, 23, 10, 30, 0, 123));
  equal(parseIsoTimestamp("2025-10-23T12:30:00+02:00"), Date.UTC(2025, 9, 23, 10, 30));
  equal(parseIsoTimestamp("2025-10-23"), Date.UTC(2025, 9, 23));
  for (
    const bad of [
      "2025-13-01",
      "2025-02-29T00:00:00Z",
      "10/23/2025",
      "2025-10-23T25:00",
      "",
      "2025-10-23T10:30:00Zjunk",
    ]
  ) {
    equal(parseIsoTimestamp(bad), undefined, bad);
  }
});
