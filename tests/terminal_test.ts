import { deepStrictEqual, equal, match, throws } from "node:assert/strict";
import {
  describeHelpHint,
  FlagError,
  formatTable,
  parseFlags,
  readIntegerFlag,
  readServerUrl,
  suggestFlag,
} from "../cli/_terminal.ts";
import { formatUploadProgress } from "../lib/progress.ts";

const OPTIONS = {
  matches: { type: "string" },
  players: { type: "string" },
  "generate-only": { type: "boolean" },
} as const;

Deno.test("parseFlags() passes a negative number on as the flag's value", () => {
  deepStrictEqual({ ...parseFlags(["--players", "-1", "--matches=-3"], OPTIONS).values }, {
    players: "-1",
    matches: "-3",
  });
  throws(
    () => readIntegerFlag("players", "-1", { min: 1, max: 1_000 }),
    (error: Error) =>
      error instanceof FlagError &&
      error.message === "--players must be an integer from 1 to 1000, got -1",
  );
  throws(
    () => readIntegerFlag("players", "four", { min: 1, max: 1_000 }),
    /^FlagError: --players must be an integer from 1 to 1000, got "four"$/,
  );
  equal(readIntegerFlag("players", undefined, { min: 1, max: 2 }), undefined);
  equal(readIntegerFlag("players", "2", { min: 1, max: 2 }), 2);
});

Deno.test("parseFlags() names the flag in every error and suggests the nearest one", async (t) => {
  await t.step("a typo gets the nearest flag", () => {
    throws(
      () => parseFlags(["--matchs", "3"], OPTIONS),
      /^FlagError: Unknown flag --matchs: did you mean --matches\?$/,
    );
    throws(
      () => parseFlags(["--generate"], OPTIONS),
      /Unknown flag --generate: did you mean --generate-only\?/,
    );
    equal(suggestFlag("prot", ["port", "host"]), "port");
    equal(suggestFlag("zebra", ["port", "host"]), undefined);
    throws(() => parseFlags(["--zebra"], OPTIONS), /^FlagError: Unknown flag --zebra$/);
  });
  await t.step("a missing value, a value on a switch, a stray argument", () => {
    throws(() => parseFlags(["--matches"], OPTIONS), /^FlagError: --matches needs a value$/);
    throws(
      () => parseFlags(["--generate-only=yes"], OPTIONS),
      /^FlagError: --generate-only takes no value, got "yes"$/,
    );
    throws(() => parseFlags(["extra"], OPTIONS), /Unexpected argument "extra"/);
    deepStrictEqual(parseFlags(["file.ndjson"], OPTIONS, { positionals: true }).positionals, [
      "file.ndjson",
    ]);
  });
  await t.step("the help hint names the task", () => {
    equal(
      describeHelpHint("Usage: deno task simulate [options]\n…"),
      "Run deno task simulate --help for the options",
    );
  });
});

Deno.test("readServerUrl() refuses a path and names where the URL came from", () => {
  equal(readServerUrl(undefined, undefined), "http://localhost:5000");
  equal(readServerUrl("http://127.0.0.1:5001/", undefined), "http://127.0.0.1:5001");
  throws(
    () => readServerUrl(undefined, "http://host:5000/api"),
    /^FlagError: LOOT_SERVER must be the server's base URL without a path, got "http:\/\/host:5000\/api": drop "\/api" \(use http:\/\/host:5000\)$/,
  );
  throws(() => readServerUrl("localhost:5000", undefined), /--server must/);
  throws(() => readServerUrl("not a url", undefined), /^FlagError: --server must be a URL/);
});

Deno.test("formatTable() aligns columns to a 40-character item name", () => {
  const long = "a_very_long_item_name_of_forty_chars_xyz";
  equal(long.length, 40);
  const lines = formatTable(["Item", "this run", "server"], [
    ["medkit", "1,234", "5"],
    [long, "7", "12,345"],
  ], { right: [1, 2] });
  deepStrictEqual(lines, [
    `Item${" ".repeat(36)}  this run  server`,
    `medkit${" ".repeat(34)}     1,234       5`,
    `${long}         7  12,345`,
  ]);
  // Every column ends at the same place on every line.
  equal(new Set(lines.map((line) => line.length)).size, 1);
  deepStrictEqual(formatTable(["#", "Met"], [["a", "yes"]], { rule: true }), [
    "#  Met",
    "-  ---",
    "a  yes",
  ]);
});

Deno.test("formatUploadProgress() fills the bar only with sheets the server holds", () => {
  const base = { total: 200, elapsedMs: 10, sheetsPerSecond: 20_000, sent: 200 };
  const refused = formatUploadProgress({ ...base, inserted: 0, duplicates: 0, failed: 200 });
  match(refused, /^\[-{24}\] Uploaded 0\/200 sheets \(0\.0%\) .* 200 failed$/);
  const half = formatUploadProgress({ ...base, inserted: 60, duplicates: 40, failed: 100 }, {
    styleFailed: (text) => `<${text}>`,
  });
  match(half, /^\[#{12}-{12}\] Uploaded 100\/200 sheets \(50\.0%\) .* <100 failed>$/);
  const stored = formatUploadProgress({ ...base, inserted: 150, duplicates: 50, failed: 0 }, {
    styleFailed: (text) => `<${text}>`,
  });
  match(stored, /^\[#{24}\] Uploaded 200\/200 sheets \(100\.0%\) .* 0 failed$/);
});
