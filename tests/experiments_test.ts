import { deepStrictEqual, equal, match, ok, throws } from "node:assert/strict";
import fc from "fast-check";
import jstat from "jstat";
import {
  describeExperiment,
  generateSheets,
  resolvePipelineConfig,
  showExperimentSection,
  showSegmentsSection,
  showSuspiciousSection,
} from "../lib/notebook/mod.ts";
import {
  analyzeExperiment,
  assignVariant,
  chiSquareSurvival,
  collectExperimentPlayers,
  createClient,
  detectAnomalies,
  type ExperimentPlayer,
  findScenario,
  formatScenario,
  type GameScenario,
  listCheaters,
  listExperiments,
  parseScenario,
  parseStatSheet,
  scoreDetection,
  segmentPlayers,
  simulateScenario,
  type StatSheet,
  studentTQuantile,
  summarizeSample,
  ValidationError,
  welchTest,
} from "../lib/mod.ts";
import { createApp } from "../server/app.ts";
import { createTestApp, getJson, makeTempDir, openTempStore, post } from "./fixtures.ts";
import { checkTestRollups, engineTest, openTestApp, openTestStore } from "./engines.ts";

const AB = findScenario("battle_royale_ab") as GameScenario;
const ROYALE = findScenario("battle_royale") as GameScenario;

function closeTo(actual: number, expected: number, relative: number, label = "") {
  const scale = Math.max(Math.abs(expected), 1e-300);
  ok(
    Math.abs(actual - expected) / scale <= relative,
    `${label} ${actual} differs from ${expected} by more than ${relative} relative`,
  );
}

/** Deep equality with numbers equal to 1e-9 relative (the server sums in SQL, lib in JS). */
function assertClose(actual: unknown, expected: unknown, path = "") {
  if (typeof expected === "number" && typeof actual === "number") {
    return closeTo(actual, expected, 1e-9, path);
  }
  if (expected !== null && typeof expected === "object") {
    ok(actual !== null && typeof actual === "object", path);
    deepStrictEqual(Object.keys(actual as object).sort(), Object.keys(expected).sort(), path);
    for (const [key, value] of Object.entries(expected)) {
      assertClose((actual as Record<string, unknown>)[key], value, `${path}.${key}`);
    }
    return;
  }
  deepStrictEqual(actual, expected, path);
}

async function upload(app: ReturnType<typeof createApp>, sheets: readonly StatSheet[]) {
  for (let start = 0; start < sheets.length; start += 2_000) {
    const response = await post(app, "/api/submit/batch", sheets.slice(start, start + 2_000));
    equal(response.status, 201, await response.clone().text());
  }
}

Deno.test("statistics match published reference values", async (t) => {
  await t.step("t quantiles (R qt)", () => {
    closeTo(studentTQuantile(0.975, 10), 2.228138851986, 1e-9, "t(0.975, 10)");
    closeTo(studentTQuantile(0.975, 1), 12.70620473617471, 1e-9, "t(0.975, 1)");
    closeTo(studentTQuantile(0.995, 30), 2.749995653567, 1e-9, "t(0.995, 30)");
    closeTo(studentTQuantile(0.95, 5), 2.015048372669157, 1e-9, "t(0.95, 5)");
  });
  await t.step("chi-square survival (standard table critical values)", () => {
    closeTo(chiSquareSurvival(3.841458820694124, 1), 0.05, 1e-9);
    closeTo(chiSquareSurvival(6.634896601021214, 1), 0.01, 1e-9);
    closeTo(chiSquareSurvival(18.307038053275146, 10), 0.05, 1e-9);
    closeTo(chiSquareSurvival(10.827566170662733, 1), 0.001, 1e-8);
  });
  await t.step(
    "Welch's textbook example (Wikipedia's example 1: t = -2.46, ν = 25.0, p = 0.021)",
    () => {
      const a = [27.5, 21, 19, 23.6, 17, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19, 21.7, 21.4];
      const b = [
        27.1,
        22,
        20.8,
        23.4,
        23.4,
        23.5,
        25.8,
        22,
        24.8,
        20.2,
        21.9,
        22.1,
        22.9,
        20.5,
        24.4,
      ];
      const result = welchTest(summarizeSample(b), summarizeSample(a), 0.05);
      // Published to 3 significant digits: each must round to the printed value.
      equal(result.t.toFixed(2), "-2.46");
      equal(result.dof.toFixed(1), "25.0");
      equal(result.pValue.toFixed(3), "0.021");
    },
  );
});

/** An independent reference: textbook formulas straight onto jstat, no lib code. */
function referenceAnalysis(
  players: readonly ExperimentPlayer[],
  control: string,
  alpha: number,
  split?: number[],
) {
  const groups: Record<string, number[]> = {};
  for (const player of players) (groups[player.variant] ??= []).push(player.total / player.sheets);
  const names = Object.keys(groups).sort();
  const stats = Object.fromEntries(names.map((name) => {
    const values = groups[name]!;
    const n = values.length;
    const mean = values.reduce((sum, value) => sum + value, 0) / n;
    const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
    return [name, { n, mean, variance }];
  }));
  const c = stats[control]!;
  const comparisons = names.filter((name) => name !== control).map((name) => {
    const v = stats[name]!;
    const se2 = c.variance / c.n + v.variance / v.n;
    const dof = se2 ** 2 /
      ((c.variance / c.n) ** 2 / (c.n - 1) + (v.variance / v.n) ** 2 / (v.n - 1));
    const t = (v.mean - c.mean) / Math.sqrt(se2);
    const p = 2 * (1 - jstat.studentt.cdf(Math.abs(t), dof));
    const q = jstat.studentt.inv(1 - alpha / 2, dof);
    return { diff: v.mean - c.mean, se: Math.sqrt(se2), p, q, dof };
  });
  const shares = split ?? names.map(() => 1);
  const total = names.reduce((sum, name) => sum + stats[name]!.n, 0);
  const shareSum = shares.reduce((sum, share) => sum + share, 0);
  const chi2 = names.reduce((sum, name, index) => {
    const expected = total * shares[index]! / shareSum;
    return sum + (stats[name]!.n - expected) ** 2 / expected;
  }, 0);
  return { names, stats, comparisons, chi2, srmP: 1 - jstat.chisquare.cdf(chi2, names.length - 1) };
}

function assertMatchesReference(
  analysis: ReturnType<typeof analyzeExperiment>,
  players: readonly ExperimentPlayer[],
  options: { control: string; alpha: number; split?: number[] },
) {
  const reference = referenceAnalysis(players, options.control, options.alpha, options.split);
  deepStrictEqual(analysis.variants.map((variant) => variant.variant), reference.names);
  for (const variant of analysis.variants) {
    const expected = reference.stats[variant.variant]!;
    equal(variant.players, expected.n);
    closeTo(variant.mean, expected.mean, 1e-9, "mean");
    closeTo(variant.variance, expected.variance, 1e-9, "variance");
  }
  analysis.comparisons.forEach((comparison, index) => {
    const expected = reference.comparisons[index]!;
    closeTo(comparison.diff, expected.diff, 1e-9, "diff");
    // The CI is symmetric, and its half-width over SE is the t quantile: checked through the cdf
    // (jstat's raw inverse is only good to ~1e-6 at small ν; lib polishes it with Newton steps).
    closeTo(comparison.ci_high - comparison.diff, comparison.diff - comparison.ci_low, 1e-9, "ci");
    const quantile = (comparison.ci_high - comparison.diff) / expected.se;
    closeTo(jstat.studentt.cdf(quantile, expected.dof), 1 - options.alpha / 2, 1e-9, "ci level");
    closeTo(quantile, expected.q, 1e-5, "quantile");
    // 1 − cdf loses digits for tiny p; compare where the reference itself is accurate.
    if (expected.p > 1e-6) closeTo(comparison.p_value, expected.p, 1e-7, "p_value");
    equal(comparison.significant, comparison.p_value < options.alpha);
  });
  closeTo(analysis.srm.chi2, reference.chi2, 1e-9, "chi2");
  if (reference.srmP > 1e-6) closeTo(analysis.srm.p_value, reference.srmP, 1e-9, "srm p");
}

Deno.test("analyzeExperiment() equals a textbook reference on jstat (property)", () => {
  const playersArbitrary = fc.array(
    fc.record({
      variant: fc.constantFrom("control", "b", "c"),
      sheets: fc.integer({ min: 1, max: 6 }),
      total: fc.integer({ min: 0, max: 60 }),
    }),
    { minLength: 6, maxLength: 80 },
  );
  fc.assert(
    fc.property(
      playersArbitrary,
      fc.double({ min: 0.001, max: 0.5, noNaN: true }),
      (rows, alpha) => {
        const players = rows.map((row, index) => ({ ...row, player_id: `p${index}` }));
        const counts = new Map<string, number>();
        for (const player of players) {
          counts.set(
            player.variant,
            (counts.get(player.variant) ?? 0) + 1,
          );
        }
        fc.pre(counts.has("control") && [...counts.values()].every((count) => count >= 2));
        const means = new Map<string, Set<number>>();
        for (const player of players) {
          const set = means.get(player.variant) ?? new Set<number>();
          set.add(player.total / player.sheets);
          means.set(player.variant, set);
        }
        fc.pre([...means.values()].every((set) => set.size > 1)); // a constant variant has no variance
        const split = [...counts.keys()].sort().map((_, index) => index + 1);
        const request = {
          name: "e",
          metric: { kind: "units" as const },
          control: "control",
          alpha,
        };
        assertMatchesReference(analyzeExperiment(players, request), players, request);
        assertMatchesReference(
          analyzeExperiment(players, { ...request, split }),
          players,
          { ...request, split },
        );
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("battle_royale_ab: assignment is a deterministic hash, returning players keep their variant", () => {
  const sheets = [...simulateScenario(AB, { matches: 40, seed: 3 })];
  const seen = new Map<string, string>();
  for (const sheet of sheets) {
    equal(sheet.experiment, "drop_boost");
    const variant = sheet.variant!;
    equal(seen.get(sheet.player_id) ?? variant, variant, `${sheet.player_id} changed variant`);
    seen.set(sheet.player_id, variant);
    equal(variant, assignVariant(AB.experiment!, sheet.player_id).name);
  }
  ok(new Set(seen.values()).size === 2);
  deepStrictEqual([...simulateScenario(AB, { matches: 40, seed: 3 })], sheets);
  // The same game without the experiment carries no experiment fields.
  ok([...simulateScenario(ROYALE, { matches: 2 })].every((sheet) => !("experiment" in sheet)));
});

Deno.test("parseScenario() checks experiments with field paths", () => {
  const base = formatScenario(AB);
  const cases: [unknown, RegExp][] = [
    [
      { name: "x", variants: [{ name: "a", share: 1 }, { name: "b", share: 1 }] },
      /experiment\.variants must include a variant named "control"/,
    ],
    [
      { name: "x", variants: [{ name: "control", share: 1 }] },
      /experiment\.variants must have at least 2 variants, got 1/,
    ],
    [
      {
        name: "x",
        variants: [{ name: "control", share: 1 }, {
          name: "t",
          share: 1,
          drop_multipliers: { shield: 2 },
        }],
      },
      /experiment\.variants\[1\]\.drop_multipliers\.shield names an item in no drop table/,
    ],
    [
      { name: "x", variants: [{ name: "control", share: -1 }, { name: "t", share: 1 }] },
      /experiment\.variants\[0\]\.share must be a number from 0 to 1000000000, got -1/,
    ],
    [{ name: "Bad Name", variants: [] }, /experiment\.name/],
  ];
  for (const [experiment, message] of cases) {
    const error = (() => {
      try {
        parseScenario({ ...base, experiment });
      } catch (caught) {
        return caught;
      }
    })();
    ok(error instanceof ValidationError, JSON.stringify(experiment));
    match(error.problems.map((problem) => problem.message).join("\n"), message);
  }
  deepStrictEqual(parseScenario(base), AB);
});

Deno.test("experiment and variant on the wire: optional, the item-name pattern, variant required with experiment", () => {
  const sheet = { match_id: "m", player_id: "p", looted_items: { medkit: 1 } };
  deepStrictEqual(parseStatSheet({ ...sheet, experiment: "e1", variant: "control" }), {
    ...sheet,
    locations: {},
    experiment: "e1",
    variant: "control",
  });
  throws(
    () => parseStatSheet({ ...sheet, experiment: "e1" }),
    /variant is required when experiment is given/,
  );
  throws(
    () => parseStatSheet({ ...sheet, variant: "control" }),
    /experiment is required when variant is given/,
  );
  throws(() => parseStatSheet({ ...sheet, experiment: "E 1", variant: "x" }), /experiment/);
});

engineTest(
  "GET /api/experiments and /api/experiments/:name equal the local analysis and the reference",
  async (engine) => {
    await using temp = await openTestStore(engine, { onDisk: true });
    const app = createApp(temp.store);
    const sheets = [...simulateScenario(AB, { matches: 60, seed: 9 })];
    await upload(app, sheets);
    const listed = await getJson(app, "/api/experiments");
    equal(listed.status, 200);
    deepStrictEqual(listed.body, { success: true, data: listExperiments(sheets) });
    for (
      const [query, metric] of [["", { kind: "units" }], [
        "?metric=item:medkit&alpha=0.01&split=0.4,0.6",
        { kind: "item", item: "medkit" },
      ]] as const
    ) {
      const { status, body } = await getJson(app, `/api/experiments/drop_boost${query}`);
      equal(status, 200, JSON.stringify(body));
      const params = new URLSearchParams(query);
      const alpha = Number(params.get("alpha") ?? 0.05);
      const split = params.get("split")?.split(",").map(Number);
      const players = collectExperimentPlayers(sheets, "drop_boost", metric);
      const local = analyzeExperiment(players, {
        name: "drop_boost",
        metric,
        control: "control",
        alpha,
        split,
      });
      assertClose(body.data, JSON.parse(JSON.stringify(local)));
      assertMatchesReference(body.data, players, { control: "control", alpha, split });
      equal(body.data.unit, "player");
    }
    // Filters like game_mode.
    const treatment = await getJson(
      app,
      "/api/stats?experiment=drop_boost&variant=treatment&limit=10000",
    );
    equal(treatment.body.count, sheets.filter((sheet) => sheet.variant === "treatment").length);
    ok(treatment.body.data.every((sheet: StatSheet) => sheet.variant === "treatment"));
    deepStrictEqual(await checkTestRollups(temp), []);
  },
);

engineTest("experiment endpoints refuse bad input with a clear 4xx", async (engine) => {
  await using t = await openTestApp(engine);
  const sheet = (player: string, variant: string, units: number): StatSheet => ({
    match_id: `m_${player}`,
    locations: {},
    player_id: player,
    timestamp: "2025-10-23T10:00:00Z",
    looted_items: { medkit: units },
    experiment: "exp",
    variant,
  });
  await upload(t.app, [
    sheet("a", "control", 1),
    sheet("b", "control", 2),
    sheet("c", "treatment", 3),
  ]);
  const cases: [string, number, RegExp][] = [
    ["/api/experiments/exp", 400, /Every variant needs at least 2 players; treatment has 1/],
    [
      "/api/experiments/exp?control=base",
      400,
      /control "base" is not a variant of exp \(it has control, treatment\)/,
    ],
    [
      "/api/experiments/exp?split=1,1,1",
      400,
      /split must give one share per variant \(2: control, treatment, in that order\), got 3/,
    ],
    ["/api/experiments/exp?split=1,-1", 400, /split must be positive numbers separated by commas/],
    ["/api/experiments/exp?metric=dps", 400, /metric must be units or item:<item>, got "dps"/],
    ["/api/experiments/exp?alpha=1.5", 400, /alpha must be a number between 0 and 1/],
    ["/api/experiments/exp?limit=3", 400, /Unknown query parameter "limit"/],
    ["/api/experiments/nothing", 404, /No experiment "nothing" has sheets/],
    ["/api/experiments?x=1", 400, /Unknown query parameter "x"/],
    ["/api/anomalies?limit=0", 400, /limit must be an integer from 1 to 1000/],
    ["/api/anomalies?game_mode=Solo!", 400, /game_mode/],
  ];
  for (const [path, status, error] of cases) {
    const response = await getJson(t.app, path);
    equal(response.status, status, path);
    match(response.body.error, error, path);
  }
  deepStrictEqual(t.logged, []);
});

Deno.test("calibration: over 200 seeded A/A runs, 2% to 8% have p < 0.05; power of +10% at the notebook's size", () => {
  const base = formatScenario(AB);
  const run = (name: string, variants: unknown[], seed: number) => {
    const scenario = parseScenario({ ...base, experiment: { name, variants } });
    // 50 matches: the notebook's default MATCHES.
    const players = collectExperimentPlayers(
      simulateScenario(scenario, { matches: 50, seed }),
      name,
    );
    const request = { name, metric: { kind: "units" as const }, control: "control", alpha: 0.05 };
    return analyzeExperiment(players, request).comparisons[0]!.p_value;
  };
  let falsePositives = 0;
  let detected = 0;
  const runs = 200;
  for (let seed = 1; seed <= runs; seed++) {
    const aa = [{ name: "control", share: 1 }, { name: "treatment", share: 1 }];
    if (run(`aa_${seed}`, aa, seed) < 0.05) falsePositives++;
    const ab = (base.experiment as { variants: unknown[] }).variants;
    if (run(`ab_${seed}`, ab, seed) < 0.05) detected++;
  }
  const share = falsePositives / runs;
  console.log(`A/A false-positive share ${share}; power of +10% at 50 matches ${detected / runs}`);
  ok(share >= 0.02 && share <= 0.08, `A/A share ${share}`);
  ok(detected / runs >= 0.8, `power ${detected / runs}`);
});

engineTest(
  "detection: with cheaters 0.02 on battle_royale, recall ≥ 0.9 and false positives ≤ 1% of honest sheets",
  async (engine) => {
    const options = { matches: 300, seed: 42, cheaters: 0.02 };
    const sheets = [...simulateScenario(ROYALE, options)];
    const cheaters = listCheaters(ROYALE, options);
    ok(cheaters.length >= 4 && cheaters.length <= 16, `${cheaters.length} cheaters of 400`);
    const local = scoreDetection(sheets, detectAnomalies(sheets), cheaters);
    console.log(`local detection: ${JSON.stringify(local)}`);
    ok(local.recall >= 0.9 && local.falsePositiveRate <= 0.01);
    // The server's SQL flags the same sheets, with the same rules and scores, newest first.
    await using t = await openTestApp(engine);
    await upload(t.app, sheets);
    const flagged = [];
    let cursor: string | null = null;
    do {
      const query: string = `/api/anomalies?limit=97${cursor ? `&cursor=${cursor}` : ""}`;
      const { status, body } = await getJson(t.app, query);
      equal(status, 200);
      flagged.push(...body.data);
      cursor = body.next;
    } while (cursor);
    const expected = detectAnomalies(sheets).reverse().map(({ index, ...row }) => ({
      id: index + 1,
      ...row,
    }));
    equal(flagged.length, expected.length);
    flagged.forEach((row, index) => {
      const want = expected[index]!;
      deepStrictEqual({ ...row, score: 0 }, { ...want, score: 0 });
      closeTo(row.score, want.score, 1e-12, "score");
    });
    const server = scoreDetection(sheets, flagged, cheaters);
    console.log(`server detection: ${JSON.stringify(server)}`);
    ok(server.recall >= 0.9 && server.falsePositiveRate <= 0.01);
    if (engine === "sqlite") {
      // A SQLite file answers from its read worker (off the event loop): the same rows.
      using temp = openTempStore();
      const fileApp = createApp(temp.store);
      await upload(fileApp, sheets);
      for (const query of ["/api/anomalies?limit=1000", "/api/anomalies?limit=5&game_mode=duos"]) {
        deepStrictEqual(
          (await getJson(fileApp, query)).body,
          (await getJson(t.app, query)).body,
          query,
        );
      }
    }
    const solo = await getJson(t.app, "/api/anomalies?game_mode=solo&limit=1000");
    deepStrictEqual(
      solo.body.data.map((row: { id: number }) => row.id),
      expected.filter((row) => sheets[row.id - 1]!.game_mode === "solo").map((row) => row.id),
    );
  },
);

Deno.test("cheaters apply to game scenarios only, with a share from 0 to 1", () => {
  throws(
    () => [...simulateScenario(findScenario("classic")!, { cheaters: 0.1 })],
    /cheaters applies to game scenarios only/,
  );
  throws(
    () => [...simulateScenario(ROYALE, { cheaters: 2 })],
    /cheaters must be a share of players from 0 to 1, got 2/,
  );
  deepStrictEqual(listCheaters(ROYALE, { cheaters: 0 }), []);
});

Deno.test("describeExperiment() says the lift, its CI, p and the SRM verdict in plain words", () => {
  const analysis = {
    experiment: "drop_boost",
    metric: "units",
    unit: "player" as const,
    control: "control",
    variants: [
      { variant: "control", players: 200, sheets: 800, mean: 10, variance: 4 },
      { variant: "treatment", players: 200, sheets: 800, mean: 10.98, variance: 4 },
    ],
    comparisons: [{
      variant: "treatment",
      diff: 0.98,
      relative_diff: 0.098,
      ci_low: 0.61,
      ci_high: 1.35,
      p_value: 0.00001,
      significant: true,
    }],
    srm: { observed: {}, expected: {}, chi2: 0, p_value: 1, mismatch: false },
  };
  deepStrictEqual(describeExperiment(analysis), [
    "Treatment players loot 9.8 % more units (95 % CI 6.1 % to 13.5 %, p < 0.001); the split is as planned",
  ]);
  const mismatched = { ...analysis, srm: { ...analysis.srm, p_value: 0.0001, mismatch: true } };
  match(describeExperiment(mismatched)[0]!, /the split is NOT as planned \(sample ratio mismatch/);
});

Deno.test("the notebook's sections run on battle_royale_ab through the client, and skip on classic", async () => {
  using t = createTestApp();
  const client = createClient("http://test", {
    fetch: (request) => Promise.resolve(t.app.fetch(request)),
  });
  using dir = makeTempDir();
  const config = resolvePipelineConfig({
    scenario: "battle_royale_ab",
    matches: 30,
    outputDir: dir.path,
  });
  const sheets = generateSheets(config);
  await client.submitBatch(sheets);
  const analysis = await showExperimentSection(client, config, sheets, { healthy: true });
  assertClose(
    analysis,
    JSON.parse(JSON.stringify(analyzeExperiment(collectExperimentPlayers(sheets, "drop_boost"), {
      name: "drop_boost",
      metric: { kind: "units" },
      control: "control",
      alpha: 0.05,
    }))),
  );
  await showSegmentsSection(config, sheets);
  await showSuspiciousSection(client, config, { healthy: true, cheaters: 0.02 });
  const classic = resolvePipelineConfig({ outputDir: dir.path });
  equal(
    await showExperimentSection(client, classic, generateSheets(classic), { healthy: true }),
    undefined,
  );
  await showSegmentsSection(classic, generateSheets(classic));
  await showSuspiciousSection(client, classic, { healthy: false, cheaters: 0.02 });
  deepStrictEqual(t.logged, []);
});

Deno.test("segmentPlayers() is seeded: the same sheets give the same segments, largest first", () => {
  const sheets = [...simulateScenario(ROYALE, { matches: 60, seed: 5 })];
  const first = segmentPlayers(sheets, { k: 4, seed: 1 });
  deepStrictEqual(segmentPlayers(sheets, { k: 4, seed: 1 }), first);
  equal(first.segments.length, 4);
  equal(
    first.segments.reduce((sum, segment) => sum + segment.players, 0),
    first.assignments.length,
  );
  ok(
    first.segments.every((segment, index) =>
      index === 0 || segment.players <= first.segments[index - 1]!.players
    ),
  );
});
