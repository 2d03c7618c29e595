import { deepStrictEqual, equal, match, ok } from "node:assert/strict";
import {
  aggregateLoot,
  binItemLocations,
  formatNdjson,
  MAX_HEATMAP_POINTS,
  simulateMatches,
} from "../lib/mod.ts";
import { getJson, makeSheet, post } from "./fixtures.ts";
import { engineTest, openTestApp } from "./engines.ts";

engineTest(
  "GET / documents every endpoint with curl examples and loads nothing external",
  async (engine) => {
    await using t = await openTestApp(engine);
    const response = await t.app.request("http://localhost:5000/");
    equal(response.status, 200);
    match(response.headers.get("content-type")!, /text\/html/);
    match(response.headers.get("content-security-policy")!, /default-src 'none'/);
    const html = await response.text();
    for (
      const path of [
        "/api/health",
        "/api/submit",
        "/api/submit/batch",
        "/api/stats",
        "/api/aggregate",
        "/api/heatmap/",
        "/api/aggregate?group_by=",
        "/api/timeseries",
        "/api/players",
        "/api/players/",
        "/api/experiments",
        "/api/anomalies",
        "/api/export",
        "/api/live",
        "/api/live/events",
        "/api/live/ticket",
        "/dashboard",
        "/api/clear",
      ]
    ) {
      ok(html.includes(`<code>${path}`), `documents ${path}`);
    }
    ok(html.includes('<a href="/dashboard">'), "links to the dashboard");
    match(html, /curl -X POST http:\/\/localhost:5000\/api\/submit/);
    equal(/<(script|link)\b|src="http|@import/.test(html), false, "no external assets");
  },
);

engineTest(
  "the home page's curl example for POST /api/submit works beside the simulator's sheets",
  async (engine) => {
    await using t = await openTestApp(engine);
    equal((await post(t.app, "/api/submit/batch", [...simulateMatches()])).status, 201);
    const html = await (await t.app.request("http://localhost:5000/")).text();
    const body =
      /curl -X POST \S+\/api\/submit -H [^-]+-d &#39;(.*?)&#39;|curl -X POST \S+\/api\/submit -H .*? -d '(.*?)'/
        .exec(html);
    ok(body, "the page has the example");
    const sheet = (body[1] ?? body[2])!.replaceAll("&quot;", '"');
    equal((await post(t.app, "/api/submit", sheet)).status, 201, "stored, not a 409");
    equal((await post(t.app, "/api/submit", sheet)).status, 200, "a rerun is a duplicate");
  },
);

engineTest("GET /api/health answers healthy, and 503 when the database is gone", async (engine) => {
  await using t = await openTestApp(engine);
  const { status, body } = await getJson(t.app, "/api/health");
  equal(status, 200);
  equal(body.status, "healthy");
  equal(body.message, "Loot Telemetry Server is running");
  ok(!Number.isNaN(Date.parse(body.timestamp)));
  t.store.close();
  const down = await getJson(t.app, "/api/health");
  equal(down.status, 503);
  equal(down.body.status, "unhealthy");
  match(down.body.error, /Database does not answer/);
});

engineTest(
  "POST /api/submit stores a sheet, recognises a retry and refuses a conflicting one",
  async (engine, t) => {
    await using app = await openTestApp(engine, { now: () => new Date("2026-01-01T00:00:00Z") });
    await t.step("201 with the original's response shape", async () => {
      const response = await post(app.app, "/api/submit", makeSheet());
      equal(response.status, 201);
      deepStrictEqual(await response.json(), {
        success: true,
        message: "Stat sheet received successfully",
        id: 1,
        timestamp: "2026-01-01T00:00:00.000Z",
      });
    });
    await t.step(
      "identical resubmission: 200, same id, duplicate, nothing counted twice",
      async () => {
        const reordered = Object.fromEntries(Object.entries(makeSheet()).reverse());
        const response = await post(app.app, "/api/submit", reordered);
        equal(response.status, 200);
        const body = await response.json();
        equal(body.id, 1);
        equal(body.duplicate, true);
        equal((await getJson(app.app, "/api/aggregate")).body.data.total_stat_sheets, 1);
      },
    );
    await t.step("same key, different content: 409 naming the stored id", async () => {
      const response = await post(app.app, "/api/submit", makeSheet({ player_level: 24 }));
      equal(response.status, 409);
      const body = await response.json();
      equal(body.code, "conflict");
      equal(body.id, 1);
      match(
        body.error,
        /A different stat sheet for match_id match_001 and player_id player_1_1 is already stored/,
      );
    });
    await t.step("a sheet without timestamp is a duplicate when resent later", async () => {
      const sheet = makeSheet({ player_id: "no_clock", timestamp: undefined });
      const first = await (await post(app.app, "/api/submit", sheet)).json();
      const again = await post(app.app, "/api/submit", sheet);
      equal(again.status, 200);
      equal((await again.json()).id, first.id);
      const [stored] = (await getJson(app.app, "/api/stats?player_id=no_clock")).body.data;
      equal(
        stored.timestamp,
        "2026-01-01T00:00:00.000Z",
        "receipt time stands in for the missing timestamp",
      );
    });
  },
);

engineTest(
  "POST /api/submit errors are 4xx JSON naming the problem, and store nothing",
  async (engine) => {
    await using t = await openTestApp(engine);
    const cases: [string, RequestInit, number, RegExp][] = [
      [
        "malformed JSON",
        { body: "{not json", headers: { "content-type": "application/json" } },
        400,
        /^Malformed JSON/,
      ],
      [
        "empty body",
        { body: "", headers: { "content-type": "application/json" } },
        400,
        /Request body is empty/,
      ],
      [
        "form content type",
        { body: "a=1", headers: { "content-type": "application/x-www-form-urlencoded" } },
        415,
        /Content-Type must be application\/json/,
      ],
      [
        "an array",
        { body: "[]", headers: { "content-type": "application/json" } },
        400,
        /send arrays to \/api\/submit\/batch/,
      ],
      [
        "invalid sheet",
        {
          body: JSON.stringify(makeSheet({ looted_items: { medkit: -2 }, locations: {} })),
          headers: { "content-type": "application/json" },
        },
        400,
        /looted_items\.medkit must be an integer from 0 to 1000000, got -2/,
      ],
      [
        "too large",
        {
          body: JSON.stringify(makeSheet({ pad: "x".repeat(2 * 1024 * 1024) })),
          headers: { "content-type": "application/json" },
        },
        413,
        /exceeds the limit of 1 MiB/,
      ],
    ];
    for (const [name, init, status, message] of cases) {
      const response = await t.app.request("/api/submit", { method: "POST", ...init });
      equal(response.status, status, name);
      const body = await response.json();
      match(body.error, message, name);
    }
    equal((await getJson(t.app, "/api/aggregate")).body.data.total_stat_sheets, 0);
    deepStrictEqual(t.logged, []);
  },
);

engineTest(
  "POST /api/submit/batch takes JSON arrays and NDJSON, all or nothing",
  async (engine, t) => {
    await using app = await openTestApp(engine);
    const sheets = [...simulateMatches({ matches: 5 })];
    await t.step("JSON array: 201 with inserted, duplicates and ids", async () => {
      const response = await post(app.app, "/api/submit/batch", sheets.slice(0, 10));
      equal(response.status, 201);
      const body = await response.json();
      deepStrictEqual(body, {
        success: true,
        inserted: 10,
        duplicates: 0,
        ids: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      });
    });
    await t.step(
      "NDJSON with overlap: new ones inserted, old ones reported as duplicates",
      async () => {
        const response = await post(app.app, "/api/submit/batch", formatNdjson(sheets), {
          "content-type": "application/x-ndjson",
        });
        equal(response.status, 201);
        const body = await response.json();
        equal(body.inserted, 10);
        equal(body.duplicates, 10);
        deepStrictEqual(body.ids.slice(0, 3), [1, 2, 3]);
      },
    );
    await t.step(
      "one invalid sheet among good ones: 400 listing index and field, nothing stored",
      async () => {
        const fresh = [
          ...simulateMatches({ matches: 2, seed: 99, startTime: "2026-01-01T00:00:00Z" }),
        ].map((sheet) => ({
          ...sheet,
          match_id: `new_${sheet.match_id}`,
        }));
        const bad = [...fresh.slice(0, 3), { ...fresh[3]!, player_id: 5 }, {
          ...fresh[4]!,
          looted_items: { medkit: 1.5 },
          locations: {},
        }];
        const response = await post(app.app, "/api/submit/batch", bad);
        equal(response.status, 400);
        const body = await response.json();
        deepStrictEqual(body.problems.map((problem: { path: string }) => problem.path), [
          "[3].player_id",
          "[4].looted_items.medkit",
        ]);
        equal((await getJson(app.app, "/api/aggregate")).body.data.total_stat_sheets, 20);
      },
    );
    await t.step("a conflict anywhere rolls back the whole batch", async () => {
      const newOne = { ...sheets[0]!, match_id: "brand_new" };
      const conflicting = { ...sheets[1]!, player_level: 99 };
      const response = await post(app.app, "/api/submit/batch", [newOne, conflicting]);
      equal(response.status, 409);
      equal((await response.json()).index, 1);
      equal((await getJson(app.app, "/api/stats?match_id=brand_new")).body.count, 0);
    });
    await t.step("malformed NDJSON names the line", async () => {
      const response = await post(
        app.app,
        "/api/submit/batch",
        `${JSON.stringify(sheets[0])}\n{oops\n`,
        {
          "content-type": "application/x-ndjson",
        },
      );
      equal(response.status, 400);
      equal((await response.json()).problems[0].path, "[line 2]");
    });
    await t.step("over the sheet limit: 400 naming the limit", async () => {
      await using small = await openTestApp(engine, { maxBatchSheets: 3 });
      const response = await post(small.app, "/api/submit/batch", sheets.slice(0, 4));
      equal(response.status, 400);
      match((await response.json()).error, /holds 4 stat sheets, more than the limit of 3/);
    });
  },
);

engineTest(
  "GET /api/stats lists newest first with the original's filters and ours",
  async (engine, t) => {
    await using app = await openTestApp(engine);
    const sheets = [...simulateMatches({ matches: 5 })];
    await post(app.app, "/api/submit/batch", sheets);
    await t.step("default listing: the original shape, newest first", async () => {
      const { body } = await getJson(app.app, "/api/stats");
      equal(body.success, true);
      equal(body.count, 20);
      equal(body.data[0].id, 20);
      const row = body.data[19];
      deepStrictEqual(
        {
          match_id: row.match_id,
          player_id: row.player_id,
          looted_items: row.looted_items,
          locations: row.locations,
        },
        {
          match_id: sheets[0]!.match_id,
          player_id: sheets[0]!.player_id,
          looted_items: sheets[0]!.looted_items,
          locations: sheets[0]!.locations,
        },
      );
      for (const field of ["id", "timestamp", "created_at", "match_duration", "player_level"]) {
        ok(field in row, field);
      }
    });
    await t.step("match_id, player_id, limit and offset", async () => {
      equal((await getJson(app.app, "/api/stats?match_id=match_002")).body.count, 4);
      equal(
        (await getJson(app.app, "/api/stats?player_id=player_3_2")).body.data[0].match_id,
        "match_003",
      );
      const page = (await getJson(app.app, "/api/stats?limit=5&offset=5")).body.data;
      deepStrictEqual(page.map((row: { id: number }) => row.id), [15, 14, 13, 12, 11]);
    });
    await t.step("item keeps sheets that looted at least one unit", async () => {
      const expected = sheets.filter((sheet) => sheet.looted_items.grenade! > 0).length;
      equal((await getJson(app.app, "/api/stats?item=grenade")).body.count, expected);
      equal((await getJson(app.app, "/api/stats?item=shield")).body.count, 0);
    });
    await t.step("since (inclusive) and until (exclusive) on the sheet timestamp", async () => {
      const times = sheets.map((sheet) => sheet.timestamp!).sort();
      const { body } = await getJson(app.app, `/api/stats?since=${times[5]}&until=${times[10]}`);
      equal(body.count, 5);
    });
    await t.step("bad parameters are 400s naming the parameter", async () => {
      for (
        const [query, message] of [
          ["limit=-1", /limit must be an integer from 1 to 10000, got "-1"/],
          ["limit=abc", /limit must be an integer/],
          ["limit=10001", /limit must be an integer from 1 to 10000/],
          ["offset=-5", /offset must be an integer from 0/],
          ["since=yesterday", /since must be an ISO 8601 date-time/],
          [
            "item=Robert');DROP TABLE stat_sheets;--",
            /item has an invalid item name|item must match/,
          ],
          ["matchid=match_001", /Unknown query parameter "matchid"; allowed here: match_id/],
          ["limit=1&limit=2", /given more than once/],
        ] as const
      ) {
        const { status, body } = await getJson(app.app, `/api/stats?${query}`);
        equal(status, 400, query);
        match(body.error, message, query);
      }
      equal(
        (await getJson(app.app, "/api/stats?match_id=' OR 1=1 --")).body.count,
        0,
        "SQL metacharacters are data",
      );
    });
  },
);

engineTest(
  "GET /api/aggregate equals aggregateLoot() and takes match and time filters",
  async (engine) => {
    await using t = await openTestApp(engine);
    const sheets = [...simulateMatches({ matches: 6, items: ["rubber_duck", "shield"] })];
    await post(t.app, "/api/submit/batch", sheets);
    deepStrictEqual((await getJson(t.app, "/api/aggregate")).body, {
      success: true,
      data: aggregateLoot(sheets),
    });
    deepStrictEqual(
      (await getJson(t.app, "/api/aggregate?match_id=match_002")).body.data,
      aggregateLoot(sheets.filter((sheet) => sheet.match_id === "match_002")),
    );
    const cutoff = sheets[12]!.timestamp!;
    deepStrictEqual(
      (await getJson(t.app, `/api/aggregate?since=${cutoff}`)).body.data,
      aggregateLoot(sheets.filter((sheet) => sheet.timestamp! >= cutoff)),
    );
    equal((await getJson(t.app, "/api/aggregate?limit=3")).status, 400);
  },
);

engineTest(
  "GET /api/heatmap/:item repeats a location per unit, or bins it with ?bins",
  async (engine) => {
    await using t = await openTestApp(engine);
    await post(t.app, "/api/submit/batch", [
      makeSheet({ looted_items: { rubber_duck: 3 }, locations: { rubber_duck: [25.5, 75.2] } }),
      makeSheet({
        player_id: "p2",
        looted_items: { rubber_duck: 1, medkit: 2 },
        locations: { rubber_duck: [99, 1] },
      }),
    ]);
    const points = (await getJson(t.app, "/api/heatmap/rubber_duck")).body;
    equal(points.success, true);
    equal(points.data.item_name, "rubber_duck");
    equal(points.data.count, 4);
    deepStrictEqual(
      [...points.data.locations].sort(),
      [[25.5, 75.2], [25.5, 75.2], [25.5, 75.2], [99, 1]].sort(),
    );
    equal(
      (await getJson(t.app, "/api/heatmap/medkit")).body.data.count,
      0,
      "no location, no point",
    );
    equal((await getJson(t.app, "/api/heatmap/never_seen")).body.data.count, 0);

    const grid = (await getJson(t.app, "/api/heatmap/rubber_duck?bins=2")).body.data;
    deepStrictEqual(grid.grid, [[0, 1], [3, 0]]);
    equal(grid.count, 4);
    for (
      const [query, status] of [["bins=0", 400], ["bins=201", 400], ["bins=x", 400], [
        "size=3",
        400,
      ]] as const
    ) {
      equal((await getJson(t.app, `/api/heatmap/rubber_duck?${query}`)).status, status, query);
    }
    equal((await getJson(t.app, "/api/heatmap/Rubber-Duck")).status, 400);
  },
);

engineTest("POST /api/clear needs the admin key the server was started with", async (engine) => {
  await using open = await openTestApp(engine);
  const refused = await post(open.app, "/api/clear", {});
  equal(refused.status, 403);
  match((await refused.json()).error, /start the server with --admin-key/);

  await using t = await openTestApp(engine, { adminKey: "s3cret" });
  await post(t.app, "/api/submit", makeSheet());
  const missing = await post(t.app, "/api/clear", {});
  equal(missing.status, 401);
  match((await missing.json()).error, /needs the admin key/);
  const wrong = await post(t.app, "/api/clear", {}, { authorization: "Bearer nope" });
  equal(wrong.status, 403);
  equal(
    (await getJson(t.app, "/api/aggregate")).body.data.total_stat_sheets,
    1,
    "refusals change nothing",
  );
  const cleared = await post(t.app, "/api/clear", {}, { "x-api-key": "s3cret" });
  equal(cleared.status, 200);
  deepStrictEqual(await cleared.json(), {
    success: true,
    message: "Database cleared successfully",
    deleted: 1,
  });
  equal((await getJson(t.app, "/api/aggregate")).body.data.total_stat_sheets, 0);
});

engineTest("unknown paths are 404 and wrong methods 405, both JSON", async (engine) => {
  await using t = await openTestApp(engine);
  const missing = await getJson(t.app, "/api/nope");
  equal(missing.status, 404);
  match(missing.body.error, /No endpoint at GET \/api\/nope/);
  const wrong = await t.app.request("/api/stats", { method: "POST" });
  equal(wrong.status, 405);
  equal(wrong.headers.get("allow"), "GET, HEAD");
  match((await wrong.json()).error, /Method POST is not allowed on \/api\/stats; use GET/);
  equal((await t.app.request("/api/submit")).status, 405);
});

engineTest(
  "GET /api/stats pages with a keyset cursor and filters by match prefix",
  async (engine) => {
    await using t = await openTestApp(engine);
    await post(t.app, "/api/submit/batch", [...simulateMatches({ matches: 3 })]);
    await post(t.app, "/api/submit/batch", [
      ...simulateMatches({ matches: 2, matchPrefix: "sim01", seed: 4 }),
    ]);
    const first = (await getJson(t.app, "/api/stats?limit=5")).body;
    equal(first.next, "16");
    const second = (await getJson(t.app, `/api/stats?limit=5&cursor=${first.next}`)).body;
    deepStrictEqual(second.data.map((row: { id: number }) => row.id), [15, 14, 13, 12, 11]);
    equal(
      (await getJson(t.app, "/api/stats?limit=100")).body.next,
      null,
      "a short page ends the listing",
    );
    equal((await getJson(t.app, "/api/stats?match_prefix=sim01_")).body.count, 8);
    equal(
      (await getJson(t.app, "/api/aggregate?match_prefix=match_")).body.data.total_stat_sheets,
      12,
    );
    for (const query of ["cursor=0", "cursor=abc", "match_prefix="]) {
      equal((await getJson(t.app, `/api/stats?${query}`)).status, 400, query);
    }
  },
);

engineTest(
  "GET /api/heatmap/:item lists at most MAX_HEATMAP_POINTS points, then points to ?bins",
  async (engine) => {
    await using t = await openTestApp(engine);
    const huge = makeSheet({
      match_id: "whale_1",
      looted_items: { medkit: MAX_HEATMAP_POINTS },
      locations: { medkit: [10, 10] },
    });
    equal((await post(t.app, "/api/submit", huge)).status, 201);
    const atLimit = await getJson(t.app, "/api/heatmap/medkit");
    equal(atLimit.status, 200, "exactly the limit is still listed");
    equal(atLimit.body.data.count, MAX_HEATMAP_POINTS);
    equal(atLimit.body.data.locations.length, MAX_HEATMAP_POINTS);
    deepStrictEqual(atLimit.body.data.locations.at(-1), [10, 10]);
    equal((await post(t.app, "/api/submit", { ...huge, match_id: "whale_2" })).status, 201);
    for (const path of ["/api/heatmap/medkit", "/api/heatmap/medkit?match_prefix=whale"]) {
      const { status, body } = await getJson(t.app, path);
      equal(status, 422, path);
      equal(body.code, "limit_exceeded");
      match(
        body.error,
        /medkit has 200000 located units, more than the 100000 points .*\/api\/heatmap\/medkit\?bins=20/,
      );
    }
    const grid = await getJson(t.app, "/api/heatmap/medkit?bins=20");
    equal(grid.status, 200);
    equal(grid.body.data.count, 2 * MAX_HEATMAP_POINTS);
  },
);

engineTest(
  "game_mode is stored, returned, and filters stats, aggregate and heatmap; old clients are unaffected",
  async (engine) => {
    await using t = await openTestApp(engine);
    const solo = [...simulateMatches({ matches: 3, matchPrefix: "solo" })].map((sheet) => ({
      ...sheet,
      game_mode: "solo",
    }));
    const plain = [...simulateMatches({ matches: 2, matchPrefix: "plain" })];
    equal((await post(t.app, "/api/submit/batch", [...solo, ...plain])).status, 201);
    const listed = await getJson(t.app, "/api/stats?game_mode=solo&limit=100");
    equal(listed.body.count, solo.length);
    ok(listed.body.data.every((sheet: { game_mode: string }) => sheet.game_mode === "solo"));
    equal(
      (await getJson(t.app, "/api/stats?match_prefix=plain&limit=1")).body.data[0].game_mode,
      null,
    );
    deepStrictEqual(
      (await getJson(t.app, "/api/aggregate?game_mode=solo")).body.data,
      aggregateLoot(solo),
    );
    deepStrictEqual(
      (await getJson(t.app, "/api/heatmap/medkit?bins=10&game_mode=solo")).body.data,
      binItemLocations(solo, "medkit", { bins: 10 }),
    );
    equal(
      (await getJson(t.app, "/api/heatmap/medkit?game_mode=solo")).body.data.count,
      aggregateLoot(solo).total_items.medkit,
    );
    const bad = await post(
      t.app,
      "/api/submit",
      makeSheet({ match_id: "gm", game_mode: "Solo Queue" }),
    );
    equal(bad.status, 400);
    match((await bad.json()).error, /game_mode must match/);
    equal((await getJson(t.app, "/api/aggregate?game_mode=BAD")).status, 400);
  },
);
