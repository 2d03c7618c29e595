/// <reference lib="dom" />
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createClient, simulateMatches, type StatSheet } from "../lib/mod.ts";
import { startServerProcess } from "../server/child_process.ts";
import { findChromium, launchChromium } from "./browser.ts";
import { makeTempDir } from "./fixtures.ts";
import { TOOLS_REQUIRED } from "./jupyter.ts";

const missing = findChromium() ? undefined : "chromium is not on PATH (apt-get install chromium)";
if (missing && !TOOLS_REQUIRED) console.log(`Skipping dashboard browser test: ${missing}`);

/** Set UPDATE_SCREENSHOT=1 to write the screenshot the README shows to docs/dashboard.png. */
const SCREENSHOT = Deno.env.get("UPDATE_SCREENSHOT") === "1"
  ? new URL("../docs/dashboard.png", import.meta.url).pathname
  : undefined;

Deno.test({
  name:
    "GET /dashboard in headless Chromium shows totals equal to /api/aggregate within a second of each upload, offline, with no console error",
  ignore: missing !== undefined && !TOOLS_REQUIRED,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    await using server = await startServerProcess(["--db", `${dir.path}/live.db`, "--quiet"]);
    const client = createClient(server.url);
    const modes = ["solo", "duo", "squads"];
    const batch = (seed: number, matches: number): StatSheet[] =>
      [...simulateMatches({ matches, seed, matchPrefix: `live${seed}` })].map((sheet, i) => ({
        ...sheet,
        game_mode: modes[i % 3],
      }));
    await client.submitBatch(batch(1, 40));

    await using chromium = await launchChromium();
    const page = await chromium.browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const problems: string[] = [];
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warn") {
        problems.push(`console ${message.type()}: ${message.text()}`);
      }
    });
    page.on("pageerror", (error) => void problems.push(`page error: ${String(error)}`));
    page.on("requestfailed", (request) => {
      problems.push(`failed: ${request.url()} ${request.failure()?.errorText}`);
    });
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`${response.status()}: ${response.url()}`);
    });
    // Offline: anything not from the server itself is refused (and so reported above).
    await page.setRequestInterception(true);
    page.on("request", (request) => {
      const url = request.url();
      if (url.startsWith(server.url) || url.startsWith("data:")) return void request.continue();
      void request.abort();
    });
    await page.goto(`${server.url}/dashboard`, { waitUntil: "load", timeout: 30_000 });
    await page.waitForFunction(
      () => document.getElementById("status")?.dataset.state === "live",
      { timeout: 10_000 },
    );

    const readTotals = () =>
      page.evaluate(() =>
        Object.fromEntries(
          [...document.querySelectorAll<HTMLTableRowElement>("#totals tr[data-item]")].map((
            row,
          ) => [
            row.dataset.item!,
            Number(row.querySelector(".units")!.textContent!.replaceAll(",", "")),
          ]),
        )
      );
    const serverTotals = async () =>
      (await client.aggregate()).total_items as Record<string, number>;
    /** Polls the page (every 25 ms, at most `ms`) until it shows the server's totals; returns the wait. */
    const waitForTotals = async (ms: number): Promise<number> => {
      const expected = await serverTotals();
      const started = performance.now();
      while (performance.now() - started < ms) {
        if (JSON.stringify(await readTotals()) === JSON.stringify(expected)) {
          return performance.now() - started;
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      deepStrictEqual(await readTotals(), expected, `page totals after ${ms} ms`);
      return ms;
    };

    await waitForTotals(5_000); // the snapshot
    const latencies: number[] = [];
    for (let round = 2; round <= 7; round++) {
      await client.submitBatch(batch(round, 10 * round));
      latencies.push(await waitForTotals(3_000));
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    console.log(
      `dashboard caught up ${latencies.map((ms) => ms.toFixed(0)).join(", ")} ms after each upload`,
    );
    ok(Math.max(...latencies) < 1_000, `slowest update ${Math.max(...latencies)} ms`);

    // The rest of the page: counts, the newest sheets, painted charts.
    const aggregate = await client.aggregate();
    await page.waitForFunction(
      (sheets) =>
        document.getElementById("sheets")?.textContent === sheets &&
        document.querySelectorAll("#newest tbody tr").length === 8,
      { timeout: 5_000 },
      aggregate.total_stat_sheets.toLocaleString("en-US"),
    );
    const canvases = await page.evaluate(() =>
      [...document.querySelectorAll("canvas")].map((canvas) => canvas.width * canvas.height)
    );
    equal(canvases.length, 3, "three charts drawn");
    ok(canvases.every((area) => area > 10_000));
    await page.select("#item", "medkit");
    await new Promise((resolve) => setTimeout(resolve, 500));
    const shot = SCREENSHOT ?? `${dir.path}/dashboard.png`;
    await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    deepStrictEqual(problems, []);
  },
});
