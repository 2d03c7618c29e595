/** The tasks with `--db postgres://…`: the same commands a user runs, on a PostgreSQL database. */
import { equal, match } from "node:assert/strict";
import { formatNdjson, simulateMatches } from "../lib/mod.ts";
import { createDatabase, postgresUnavailable } from "./engines.ts";
import { makeTempDir, runTask } from "./fixtures.ts";

const skipped = postgresUnavailable();

Deno.test({
  name: "import, db-summary and demo take a postgres:// URL as --db or LOOT_DB" +
    (skipped ? ` (skipped: ${skipped})` : ""),
  ignore: skipped !== undefined,
  fn: async (t) => {
    const database = await createDatabase();
    using dir = makeTempDir();
    try {
      const file = `${dir.path}/sheets.ndjson`;
      await Deno.writeTextFile(file, formatNdjson([...simulateMatches({ matches: 25 })]));
      await t.step("import loads a file, and a rerun adds nothing", async () => {
        for (
          const expected of [/Imported 100 new/, /Imported 0 new stat sheets \(100 already stored/]
        ) {
          const result = await runTask("import", [file, "--db", database.url]);
          equal(result.code, 0, result.stderr);
          match(result.stdout + result.stderr, expected);
          match(result.stdout + result.stderr, /PostgreSQL 127\.0\.0\.1:\d+\/loot_test_/);
        }
      });
      await t.step("db-summary reads it through LOOT_DB", async () => {
        const result = await runTask("db-summary", [], { env: { LOOT_DB: database.url } });
        equal(result.code, 0, result.stderr);
        match(result.stdout, /Database\s+PostgreSQL 127\.0\.0\.1:\d+\/loot_test_/);
        match(result.stdout, /Stat sheets\s+100\n/);
        match(result.stdout, /Matches\s+25\n/);
      });
      await t.step("demo runs the pipeline on it", async () => {
        const result = await runTask("demo", ["--db", database.url, "--out", `${dir.path}/out`]);
        equal(result.code, 0, result.stderr);
        match(result.stdout, /database: PostgreSQL 127\.0\.0\.1:\d+\/loot_test_/);
        match(result.stdout, /5\. Server totals equal local totals for all 5 items/);
      });
    } finally {
      await database.drop();
    }
  },
});
