import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { DuckDBInstance } from "@duckdb/node-api";
import {
  createClient,
  describeItemColumns,
  FIXED_EXPORT_COLUMNS,
  formatCsvField,
  neutraliseFormula,
  simulateMatches,
} from "../lib/mod.ts";
import { startServerProcess } from "../server/child_process.ts";
import { createTestApp, getJson, makeTempDir, runTask, storeSheets } from "./fixtures.ts";
import { engineTest, openTestApp } from "./engines.ts";

/** A minimal RFC 4180 reader (quoted fields, doubled quotes, CRLF), for checking what we write. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"', i++);
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") (row.push(field), field = "");
    else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(field), rows.push(row), row = [], field = "", i++;
    } else field += ch;
  }
  if (field !== "" || row.length > 0) throw new Error("CSV does not end with CRLF");
  return rows;
}

Deno.test("neutraliseFormula() and formatCsvField() guard spreadsheets and follow RFC 4180", () => {
  for (const text of ["=1+1", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx"]) {
    equal(neutraliseFormula(text), `'${text}`);
  }
  equal(neutraliseFormula("match_001"), "match_001");
  equal(formatCsvField('a,"b"'), '"a,""b"""');
  equal(formatCsvField("two\nlines"), '"two\nlines"');
  equal(formatCsvField(-2.5), "-2.5", "numbers stay numbers");
  equal(formatCsvField(null), "");
});

engineTest(
  "GET /api/export streams every sheet across pages as CSV, NDJSON and Parquet",
  async (engine, t) => {
    await using test = await openTestApp(engine);
    // Several Parquet row groups (5,000) and many CSV pages (2,000).
    const sheets = [...simulateMatches({ matches: 2_600, seed: 9 })].map((sheet, index) => ({
      ...sheet,
      game_mode: index % 3 === 0 ? "solo" : "squads",
    }));
    for (let i = 0; i < sheets.length; i += 5_000) {
      await storeSheets(test.store, sheets.slice(i, i + 5_000));
    }
    const { body: { data: aggregate } } = await getJson(test.app, "/api/aggregate");
    const items: string[] = Object.keys(aggregate.total_items);
    equal(aggregate.total_stat_sheets, 10_400);

    await t.step(
      "CSV: a header, one row per sheet, per-item sums equal the aggregate",
      async () => {
        const response = await test.app.request("/api/export?format=csv");
        equal(response.status, 200);
        match(response.headers.get("content-type")!, /^text\/csv/);
        match(
          response.headers.get("content-disposition")!,
          /^attachment; filename="loot_sheets_\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.csv"$/,
        );
        const [header, ...rows] = parseCsv(await response.text());
        deepStrictEqual(header, [...FIXED_EXPORT_COLUMNS, ...items.flatMap(describeItemColumns)]);
        equal(rows.length, 10_400);
        for (const item of items) {
          const column: number = header!.indexOf(`count_${item}`);
          const sum = rows.reduce((total: number, row) => total + Number(row[column] || 0), 0);
          equal(sum, aggregate.total_items[item], item);
        }
        equal(new Set(rows.map((row) => row[0])).size, 10_400, "no sheet twice");
      },
    );

    await t.step("NDJSON: the /api/stats objects, newest first", async () => {
      const text = await (await test.app.request("/api/export?format=ndjson")).text();
      const lines = text.trimEnd().split("\n").map((line) => JSON.parse(line));
      equal(lines.length, 10_400);
      const { body: stats } = await getJson(test.app, "/api/stats?limit=3");
      deepStrictEqual(lines.slice(0, 3), stats.data);
    });

    await t.step(
      "Parquet: typed columns; DuckDB reads back the row count and item sums",
      async () => {
        using dir = makeTempDir();
        const response = await test.app.request("/api/export?format=parquet", {
          headers: { "accept-encoding": "gzip" },
        });
        equal(response.status, 200);
        equal(response.headers.get("content-encoding"), null, "Parquet is compressed inside");
        const path = `${dir.path}/sheets.parquet`;
        await Deno.writeFile(path, new Uint8Array(await response.arrayBuffer()));
        const db = await DuckDBInstance.create(":memory:");
        const connection = await db.connect();
        try {
          const types = Object.fromEntries(
            (await connection.runAndReadAll(`DESCRIBE SELECT * FROM '${path}'`)).getRowObjectsJson()
              .map((row) => [row.column_name, row.column_type]),
          );
          equal(types.timestamp, "TIMESTAMP WITH TIME ZONE");
          equal(types.id, "BIGINT");
          equal(types.match_id, "VARCHAR");
          equal(types[`count_${items[0]}`], "INTEGER");
          equal(types[`x_${items[0]}`], "DOUBLE");
          const sums = items.map((item) => `SUM("count_${item}")::BIGINT AS "${item}"`).join(", ");
          const [row] = (await connection.runAndReadAll(
            `SELECT COUNT(*)::BIGINT AS sheets, ${sums} FROM '${path}'`,
          )).getRowObjectsJson();
          equal(Number(row!.sheets), 10_400);
          for (const item of items) equal(Number(row![item]), aggregate.total_items[item], item);
          const [first] = (await connection.runAndReadAll(
            `SELECT epoch_ms(timestamp)::BIGINT AS ms FROM '${path}' ORDER BY id DESC LIMIT 1`,
          )).getRowObjectsJson();
          equal(Number(first!.ms), Date.parse(sheets.at(-1)!.timestamp!));
        } finally {
          connection.closeSync();
        }
      },
    );

    await t.step("filters select the same sheets as /api/stats; gzip when accepted", async () => {
      const response = await test.app.request(
        "/api/export?format=ndjson&game_mode=solo&match_prefix=match_00",
        { headers: { "accept-encoding": "br, gzip;q=0.8" } },
      );
      equal(response.headers.get("content-encoding"), "gzip");
      const text = gunzipSync(new Uint8Array(await response.arrayBuffer())).toString();
      const ids = text.trimEnd().split("\n").map((line) => JSON.parse(line).id);
      const { body: stats } = await getJson(
        test.app,
        "/api/stats?game_mode=solo&match_prefix=match_00&limit=10000",
      );
      deepStrictEqual(ids, stats.data.map((sheet: { id: number }) => sheet.id));
      ok(ids.length > 0);
    });
  },
);

engineTest(
  "CSV export neutralises formulas in text cells and quotes per RFC 4180",
  async (engine) => {
    await using test = await openTestApp(engine);
    await storeSheets(test.store, [{
      match_id: '=HYPERLINK("http://x")',
      player_id: '@evil, "quoted"',
      looted_items: { medkit: 2 },
      locations: { medkit: [-3.5, 10] },
      extra: { note: "-1+1" },
    }]);
    const [, row] = parseCsv(await (await test.app.request("/api/export?format=csv")).text());
    equal(row![1], '\'=HYPERLINK("http://x")');
    equal(row![2], '\'@evil, "quoted"');
    equal(row![8], '{"note":"-1+1"}', "JSON text starts with { and is left alone");
    deepStrictEqual(row!.slice(-3), ["2", "-3.5", "10"], "negative coordinates stay numbers");
  },
);

engineTest(
  "GET /api/export refuses a missing or unknown format and unknown filters with 400",
  async (engine) => {
    await using test = await openTestApp(engine);
    for (
      const [query, pattern] of [
        ["", /format is required: one of csv, ndjson, parquet/],
        ["?format=xlsx", /format must be one of csv, ndjson, parquet, got .*xlsx/],
        ["?format=csv&limit=5", /Unknown query parameter .*limit/],
        ["?format=csv&game_mode=Solo!", /game_mode/],
      ] as const
    ) {
      const { status, body } = await getJson(test.app, `/api/export${query}`);
      equal(status, 400, query);
      match(JSON.stringify(body.problems), pattern, query);
    }
    deepStrictEqual(test.logged, []);
  },
);

Deno.test("GET /api/export needs the read key when one is set", async () => {
  using test = createTestApp({ readKey: "r-key" });
  equal((await test.app.request("/api/export?format=csv")).status, 401);
  const ok = await test.app.request("/api/export?format=csv", {
    headers: { authorization: "Bearer r-key" },
  });
  equal(ok.status, 200);
  await ok.body?.cancel();
});

Deno.test("deno task export writes Parquet and filtered CSV from a real server, or refuses in one line", async (t) => {
  using dir = makeTempDir();
  await using server = await startServerProcess(["--db", `${dir.path}/e.db`, "--quiet"]);
  const sheets = [...simulateMatches({ matches: 30, seed: 4 })].map((sheet, i) => ({
    ...sheet,
    game_mode: i % 2 === 0 ? "solo" : "duo",
  }));
  const client = createClient(server.url);
  await client.submitBatch(sheets);
  const aggregate = await client.aggregate();
  await t.step("parquet: DuckDB reads back every sheet and the item sums", async () => {
    const out = `${dir.path}/out/sheets.parquet`;
    const result = await runTask("export", [
      "--format",
      "parquet",
      "--out",
      out,
      "--server",
      server.url,
    ]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /Exported parquet to .*sheets\.parquet/);
    const db = await DuckDBInstance.create(":memory:");
    const connection = await db.connect();
    try {
      const [row] = (await connection.runAndReadAll(
        `SELECT COUNT(*)::BIGINT AS n, SUM(count_medkit)::BIGINT AS medkit FROM '${out}'`,
      )).getRowObjectsJson();
      equal(Number(row!.n), aggregate.total_stat_sheets);
      equal(Number(row!.medkit), aggregate.total_items.medkit);
    } finally {
      connection.closeSync();
    }
  });
  await t.step("csv with --game-mode: only those sheets, and no partial file left", async () => {
    const out = `${dir.path}/solo.csv`;
    const result = await runTask("export", [
      "--game-mode",
      "solo",
      "--out",
      out,
      "--server",
      server.url,
    ]);
    equal(result.code, 0, result.stderr);
    match(result.stderr, /Exported 60 sheets as csv/);
    equal(parseCsv(await Deno.readTextFile(out)).length, 61);
    deepStrictEqual(
      [...Deno.readDirSync(dir.path)].some((entry) => entry.name.endsWith(".partial")),
      false,
    );
  });
  await t.step("a bad filter: the server's message in one line, exit 1", async () => {
    const result = await runTask("export", [
      "--since",
      "yesterday",
      "--out",
      `${dir.path}/x.csv`,
      "--server",
      server.url,
    ]);
    equal(result.code, 1);
    match(result.stderr, /^Export refused by .*: HTTP 400: .*since must be an ISO 8601/);
  });
});
