import { deepStrictEqual, equal, match } from "node:assert/strict";
import { simulateMatches } from "../lib/mod.ts";
import { CASES, JSON_TYPE, sheet } from "./bad_input_cases.ts";
import { getJson } from "./fixtures.ts";
import { engineTest, openTestApp } from "./engines.ts";

engineTest(
  `${CASES.length} malformed requests each get their 4xx and change nothing`,
  async (engine, t) => {
    await using app = await openTestApp(engine, { adminKey: "the-admin-key" });
    const seed = await app.app.request("/api/submit/batch", {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify([...simulateMatches({ matches: 5 })]),
    });
    equal(seed.status, 201);
    const before = {
      aggregate: (await getJson(app.app, "/api/aggregate")).body,
      listing: (await getJson(app.app, "/api/stats?limit=10000")).body,
    };
    for (const request of CASES) {
      await t.step(request.name, async () => {
        const response = await app.app.request(request.path, {
          method: request.method ?? "GET",
          headers: request.headers,
          body: request.body,
        });
        equal(response.status, request.status);
        match(response.headers.get("content-type") ?? "", /application\/json/);
        const body = await response.json();
        equal(typeof body.error, "string");
        match(body.error, request.error);
        equal((await app.app.request("/api/health")).status, 200, "still up");
      });
    }
    deepStrictEqual(
      (await getJson(app.app, "/api/aggregate")).body,
      before.aggregate,
      "aggregate unchanged",
    );
    deepStrictEqual(
      (await getJson(app.app, "/api/stats?limit=10000")).body,
      before.listing,
      "listing unchanged",
    );
    equal(
      (await getJson(app.app, "/api/stats?match_id=' OR '1'='1")).body.count,
      0,
      "SQL metacharacters are only data",
    );
    deepStrictEqual(app.logged, [], "no request reached the unexpected-error path");
  },
);

engineTest(
  "a batch with a million invalid fields answers the first 100 problems and the count, quickly and small",
  async (engine) => {
    await using app = await openTestApp(engine);
    const items = Object.fromEntries(Array.from({ length: 256 }, (_, i) => [`item_${i}`, -1]));
    const sheets = Array.from({ length: 400 }, (_, i) => ({
      match_id: `m${i}`,
      player_id: "p",
      looted_items: items,
    }));
    const response = await app.app.request("/api/submit/batch", {
      method: "POST",
      headers: JSON_TYPE,
      body: JSON.stringify(sheets),
    });
    equal(response.status, 400);
    const text = await response.text();
    const body = JSON.parse(text);
    equal(body.problems.length, 100);
    equal(body.problem_count, 400 * 256);
    match(
      body.error,
      /^Invalid batch: \[0\]\.looted_items\.item_0 must be an integer from 0 to 1000000, got -1 \(and 102399 more problems\)$/,
    );
    equal(text.length < 20_000, true, `answer is ${text.length} bytes`);
  },
);

engineTest(
  "a huge value is quoted in at most about 60 characters, never serialized whole",
  async (engine) => {
    await using app = await openTestApp(engine);
    const point = Array.from({ length: 100_000 }, (_, i) => i);
    const response = await app.app.request("/api/submit", {
      method: "POST",
      headers: JSON_TYPE,
      body: sheet({ locations: { medkit: point } }),
    });
    equal(response.status, 400);
    const { error } = await response.json();
    match(error, /locations\.medkit must be \[x, y\] with two finite numbers, got \[0,1,2,3,/);
    equal(error.length < 200, true, error);
  },
);
