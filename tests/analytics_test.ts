import { deepStrictEqual, equal, match } from "node:assert/strict";
import fc from "fast-check";
import {
  buildTimeseries,
  GROUP_BY_DIMENSIONS,
  groupAggregate,
  rankPlayers,
  type StatSheet,
  summarizePlayer,
  TIME_INTERVALS,
} from "../lib/mod.ts";
import { createTestApp, getJson, post } from "./fixtures.ts";
import { checkTestRollups, engineTest, openTestStore } from "./engines.ts";
import { createApp } from "../server/app.ts";

const BASE = Date.UTC(2025, 9, 23, 9, 0);

/** Sheets with returning players, modes (some absent), levels and timestamps over two days. */
const sheetsArbitrary = fc.array(
  fc.record({
    match: fc.integer({ min: 1, max: 12 }),
    player: fc.integer({ min: 1, max: 8 }),
    mode: fc.constantFrom("solo", "duos", undefined),
    level: fc.option(fc.integer({ min: 1, max: 5 }), { nil: undefined }),
    minutes: fc.integer({ min: 0, max: 2 * 24 * 60 }),
    seconds: fc.integer({ min: 0, max: 59 }),
    medkit: fc.integer({ min: 0, max: 4 }),
    shield: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  }),
  { minLength: 1, maxLength: 40 },
).map((rows) => {
  const seen = new Set<string>();
  const sheets: StatSheet[] = [];
  for (const row of rows) {
    const key = `${row.match}/${row.player}`;
    if (seen.has(key)) continue; // one sheet per (match, player), as the server keys them
    seen.add(key);
    const looted_items: Record<string, number> = { medkit: row.medkit };
    if (row.shield !== undefined) looted_items.shield = row.shield;
    sheets.push({
      match_id: `${row.match < 7 ? "alpha" : "beta"}_${row.match}`,
      player_id: `p${row.player}`,
      timestamp: new Date(BASE + row.minutes * 60_000 + row.seconds * 1000).toISOString(),
      looted_items,
      locations: {},
      ...(row.mode ? { game_mode: row.mode } : {}),
      ...(row.level === undefined ? {} : { player_level: row.level }),
    });
  }
  return sheets;
});

Deno.test("groupAggregate() groups by mode, level, hour and day, sorted, the null group last", () => {
  const sheets: StatSheet[] = [
    {
      match_id: "m1",
      player_id: "a",
      timestamp: "2025-10-23T10:59:59Z",
      looted_items: { x: 1 },
      locations: {},
      game_mode: "solo",
      player_level: 10,
    },
    {
      match_id: "m1",
      player_id: "b",
      timestamp: "2025-10-23T11:00:00Z",
      looted_items: { x: 2 },
      locations: {},
      player_level: 9,
    },
    {
      match_id: "m2",
      player_id: "a",
      timestamp: "2025-10-24T00:00:00Z",
      looted_items: { x: 4 },
      locations: {},
      game_mode: "duos",
    },
  ];
  deepStrictEqual(groupAggregate(sheets, "game_mode").groups.map((group) => group.key), [
    "duos",
    "solo",
    null,
  ]);
  deepStrictEqual(groupAggregate(sheets, "player_level").groups.map((group) => group.key), [
    9,
    10,
    null,
  ]);
  deepStrictEqual(groupAggregate(sheets, "hour").groups.map((group) => group.key), [
    "2025-10-23T10:00:00Z",
    "2025-10-23T11:00:00Z",
    "2025-10-24T00:00:00Z",
  ]);
  const [first, second] = groupAggregate(sheets, "day").groups;
  deepStrictEqual(first, {
    key: "2025-10-23T00:00:00Z",
    total_items: { x: 3 },
    total_matches: 1,
    total_players: 2,
    total_stat_sheets: 2,
  });
  equal(second!.key, "2025-10-24T00:00:00Z");
});

Deno.test("buildTimeseries() fills empty buckets and counts one item's sheets and units", () => {
  const sheets: StatSheet[] = [
    {
      match_id: "m1",
      player_id: "a",
      timestamp: "2025-10-23T10:10:00Z",
      looted_items: { x: 1, y: 0 },
      locations: {},
    },
    {
      match_id: "m2",
      player_id: "a",
      timestamp: "2025-10-23T12:30:00Z",
      looted_items: { y: 2 },
      locations: {},
    },
  ];
  deepStrictEqual(buildTimeseries(sheets, { interval: "hour" }).buckets, [
    { start: "2025-10-23T10:00:00Z", sheets: 1, units: 1, total_items: { x: 1, y: 0 } },
    { start: "2025-10-23T11:00:00Z", sheets: 0, units: 0, total_items: {} },
    { start: "2025-10-23T12:00:00Z", sheets: 1, units: 2, total_items: { y: 2 } },
  ]);
  deepStrictEqual(buildTimeseries(sheets, { interval: "hour", item: "y" }).buckets[0], {
    start: "2025-10-23T12:00:00Z",
    sheets: 1,
    units: 2,
    total_items: { y: 2 },
  }, "a sheet with 0 of the item does not count; the series starts at its first bucket");
});

engineTest(
  "group_by, timeseries and players equal the local computations, filters included (property)",
  async (engine) => {
    // One store, emptied before each run: a fresh PostgreSQL database per run costs half a second.
    await using temp = await openTestStore(engine, { onDisk: true });
    const app = createApp(temp.store);
    await fc.assert(
      fc.asyncProperty(sheetsArbitrary, fc.integer({ min: 1, max: 4 }), async (sheets, parts) => {
        await temp.store.clear();
        const size = Math.ceil(sheets.length / parts);
        for (let start = 0; start < sheets.length; start += size) {
          equal(
            (await post(app, "/api/submit/batch", sheets.slice(start, start + size))).status,
            201,
          );
        }
        const get = async (path: string) => {
          const { status, body } = await getJson(app, path);
          equal(status, 200, `${path}: ${JSON.stringify(body)}`);
          return body.data;
        };
        const solo = sheets.filter((sheet) => sheet.game_mode === "solo");
        const alpha = sheets.filter((sheet) => sheet.match_id.startsWith("alpha"));
        for (const dimension of GROUP_BY_DIMENSIONS) {
          deepStrictEqual(
            await get(`/api/aggregate?group_by=${dimension}`),
            groupAggregate(sheets, dimension),
          );
          deepStrictEqual(
            await get(`/api/aggregate?group_by=${dimension}&game_mode=solo`),
            groupAggregate(solo, dimension),
          );
        }
        const since = BASE + 3 * 3_600_000;
        const until = BASE + 30 * 3_600_000;
        const inRange = (list: StatSheet[]) =>
          list.filter((sheet) =>
            Date.parse(sheet.timestamp!) >= since && Date.parse(sheet.timestamp!) < until
          );
        for (const interval of TIME_INTERVALS) {
          deepStrictEqual(
            await get(`/api/timeseries?interval=${interval}`),
            buildTimeseries(sheets, { interval }),
          );
          deepStrictEqual(
            await get(`/api/timeseries?interval=${interval}&item=shield&game_mode=solo`),
            buildTimeseries(solo, { interval, item: "shield" }),
          );
          deepStrictEqual(
            await get(`/api/timeseries?interval=${interval}&match_prefix=alpha&item=medkit`),
            buildTimeseries(alpha, { interval, item: "medkit" }),
          );
          // An unaligned range is answered by SQL, an aligned one by the rollups: both exact.
          for (const offset of [0, 90_000]) {
            const range = `since=${new Date(since + offset).toISOString()}&until=${
              new Date(until).toISOString()
            }`;
            const local = buildTimeseries(inRange(sheets), {
              interval,
              sinceMs: since + offset,
              untilMs: until,
            });
            deepStrictEqual(await get(`/api/timeseries?interval=${interval}&${range}`), local);
          }
        }
        for (const mode of [undefined, "solo"]) {
          const expected = rankPlayers(sheets, { gameMode: mode });
          const seen = [];
          let cursor: string | null = null;
          for (let page = 0; page < 20; page++) {
            const query = new URLSearchParams({ limit: "3" });
            if (mode) query.set("game_mode", mode);
            if (cursor) query.set("cursor", cursor);
            const { body } = await getJson(app, `/api/players?${query}`);
            seen.push(...body.data);
            cursor = body.next;
            if (!cursor) break;
          }
          deepStrictEqual(seen, expected);
        }
        for (const playerId of new Set(sheets.map((sheet) => sheet.player_id))) {
          deepStrictEqual(await get(`/api/players/${playerId}`), summarizePlayer(sheets, playerId));
        }
        deepStrictEqual(await checkTestRollups(temp), []);
      }),
      { numRuns: 40 },
    );
  },
);

Deno.test("analytics endpoints refuse bad queries with 400 and unknown players with 404", async () => {
  using t = createTestApp();
  await post(t.app, "/api/submit", {
    match_id: "m1",
    player_id: "p1",
    timestamp: "2025-10-23T10:00:00Z",
    looted_items: { medkit: 1 },
  });
  const cases: [string, number, RegExp][] = [
    [
      "/api/aggregate?group_by=weekday",
      400,
      /group_by must be one of game_mode, player_level, hour, day, got "weekday"/,
    ],
    ["/api/timeseries", 400, /interval is required: one of minute, hour, day/],
    ["/api/timeseries?interval=week", 400, /interval must be one of minute, hour, day/],
    [
      "/api/timeseries?interval=minute&since=2025-01-01T00:00:00Z&until=2025-02-01T00:00:00Z",
      400,
      /44640 minute buckets, more than the limit of 10000: narrow it with since and until, or use a wider interval/,
    ],
    ["/api/players/nobody", 404, /No player "nobody" has sent a sheet/],
    ["/api/players/p1?limit=2", 400, /Unknown query parameter "limit"; allowed here: none/],
    ["/api/players?cursor=abc", 400, /cursor must be the next of a previous page/],
    ["/api/players?limit=0", 400, /limit must be an integer from 1 to 1000/],
  ];
  for (const [path, status, error] of cases) {
    const response = await getJson(t.app, path);
    equal(response.status, status, path);
    match(response.body.error, error, path);
  }
  // Data spread over more than 10,000 minutes is refused without since/until, naming the limit.
  await post(t.app, "/api/submit", {
    match_id: "m2",
    player_id: "p1",
    timestamp: "2025-12-23T10:00:00Z",
    looted_items: { medkit: 1 },
  });
  const wide = await getJson(t.app, "/api/timeseries?interval=minute");
  equal(wide.status, 400);
  match(wide.body.error, /more than the limit of 10000/);
  equal((await getJson(t.app, "/api/timeseries?interval=day")).body.data.buckets.length, 62);
});
