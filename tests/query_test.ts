import { deepStrictEqual, equal, throws } from "node:assert/strict";
import {
  parseAggregateQuery,
  parseHeatmapQuery,
  parseStatsQuery,
  STATS_PAGE,
  ValidationError,
} from "../lib/mod.ts";

const query = (text: string) => new URLSearchParams(text);

/** The problems a parse throws, as `path: message` lines. */
function problemsOf(parse: () => unknown): string[] {
  try {
    parse();
  } catch (error) {
    if (error instanceof ValidationError) {
      return error.problems.map(({ path, message }) => `${path}: ${message}`);
    }
    throw error;
  }
  throw new Error("expected a ValidationError");
}

Deno.test("parseStatsQuery() reads every filter into the store's terms", () => {
  deepStrictEqual(
    parseStatsQuery(query(
      "match_id=m1&match_prefix=sim&player_id=p1&item=medkit&since=2025-10-23T10:00:00Z&until=2025-10-24&limit=5&offset=2&cursor=99",
    )),
    {
      match_id: "m1",
      matchPrefix: "sim",
      gameMode: undefined,
      experiment: undefined,
      variant: undefined,
      sinceMs: Date.UTC(2025, 9, 23, 10),
      untilMs: Date.UTC(2025, 9, 24),
      player_id: "p1",
      item: "medkit",
      beforeId: 99,
      limit: 5,
      offset: 2,
    },
  );
  const defaults = parseStatsQuery(query(""));
  equal(defaults.limit, STATS_PAGE.fallback);
  equal(defaults.offset, 0);
  equal(defaults.beforeId, undefined);
});

Deno.test("parseStatsQuery() names every bad parameter at once", () => {
  deepStrictEqual(
    problemsOf(() =>
      parseStatsQuery(query("limit=0&since=yesterday&item=Medkit&colour=red&limit=2&cursor=1.5"))
    ),
    [
      'colour: Unknown query parameter "colour"; allowed here: match_id, match_prefix, game_mode, experiment, variant, since, until, player_id, item, limit, offset, cursor',
      "limit: Query parameter limit is given more than once",
      'since: since must be an ISO 8601 date-time such as 2025-10-23T10:30:00Z, got "yesterday"',
      'item: item must match ^[a-z][a-z0-9_]{0,63}$ (lowercase letter first, then up to 63 of a-z 0-9 _), got "Medkit"',
      'cursor: cursor must be an integer from 1 to 9007199254740991, got "1.5"',
      'limit: limit must be an integer from 1 to 10000, got "0"',
    ],
  );
});

Deno.test("parseStatsQuery() never quotes more than 80 characters of a value", () => {
  const [problem] = problemsOf(() => parseStatsQuery(query(`since=${"9".repeat(10_000)}`)));
  equal(problem!.length < 200, true, problem);
});

Deno.test("parseAggregateQuery() takes only the aggregate's filters", () => {
  deepStrictEqual(parseAggregateQuery(query("match_prefix=sim_&group_by=day")), {
    match_id: undefined,
    matchPrefix: "sim_",
    gameMode: undefined,
    experiment: undefined,
    variant: undefined,
    groupBy: "day",
    sinceMs: undefined,
    untilMs: undefined,
  });
  deepStrictEqual(problemsOf(() => parseAggregateQuery(query("limit=5"))), [
    'limit: Unknown query parameter "limit"; allowed here: match_id, match_prefix, game_mode, experiment, variant, since, until, group_by',
  ]);
  deepStrictEqual(problemsOf(() => parseAggregateQuery(query(`match_id=${"x".repeat(129)}`))), [
    "match_id: match_id must be 1 to 128 characters (Unicode code points), got 129",
  ]);
});

Deno.test("parseHeatmapQuery() reads points or a grid, and checks the item from the path", () => {
  deepStrictEqual(parseHeatmapQuery("medkit", query("")), {
    item: "medkit",
    bins: undefined,
    matchPrefix: undefined,
    gameMode: undefined,
  });
  deepStrictEqual(parseHeatmapQuery("medkit", query("bins=20&match_prefix=sim&game_mode=solo")), {
    item: "medkit",
    bins: 20,
    matchPrefix: "sim",
    gameMode: "solo",
  });
  deepStrictEqual(problemsOf(() => parseHeatmapQuery("Bad Item", query("bins=201"))), [
    'item: item must match ^[a-z][a-z0-9_]{0,63}$ (lowercase letter first, then up to 63 of a-z 0-9 _), got "Bad Item"',
    'bins: bins must be an integer from 1 to 200, got "201"',
  ]);
  throws(() => parseHeatmapQuery("constructor", query("")), /reserved/);
});
