import { equal, ok } from "node:assert/strict";
import { Buffer } from "node:buffer";
import {
  aggregateLoot,
  buildChartBundle,
  buildLootTotalsSpec,
  renderChartImages,
  renderSvgToPng,
  simulateMatches,
} from "../lib/notebook/mod.ts";
import { findChromium, inspectNotebookPage } from "./browser.ts";
import { makeTempDir } from "./fixtures.ts";
import { findMissingJupyter, runNotebookTask, TOOLS_REQUIRED } from "./jupyter.ts";

const missing = (await findMissingJupyter()) ??
  (findChromium() ? undefined : "chromium is not on PATH (apt-get install chromium)");
if (missing && !TOOLS_REQUIRED) {
  console.log(`Skipping HTML export tests: ${missing}. See README.`);
}
const ignore = missing !== undefined && !TOOLS_REQUIRED;

Deno.test({
  name:
    "deno task notebook's HTML export paints all six charts and the live chart in headless Chromium",
  ignore,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    const { code, stderr } = await runNotebookTask(dir.path);
    equal(code, 0, stderr);
    const { slots } = await inspectNotebookPage(`${dir.path}/simulator.executed.html`);
    // The six charts, then the live cell's chart (one output, redrawn in place).
    equal(slots.length, 7, JSON.stringify(slots));
    for (const [index, slot] of slots.entries()) {
      const where = `chart ${index + 1}: ${JSON.stringify(slot)}`;
      equal(slot.kind, "png", where);
      ok(slot.naturalWidth! > 400, where);
      ok(slot.width > 300 && slot.height > 200, where);
      ok(slot.ink > 0.05, where);
    }
  },
});

Deno.test({
  name: "the page check tells a blank chart from a painted one (an SVG bundle, a white PNG)",
  ignore,
  async fn() {
    if (missing) throw new Error(`CI=true but ${missing}`);
    using dir = makeTempDir();
    const spec = buildLootTotalsSpec(
      aggregateLoot([...simulateMatches({ matches: 5 })]).total_items,
    );
    const images = await renderChartImages(spec);
    const chart = buildChartBundle(spec, images);
    const white = await renderSvgToPng(
      `<svg xmlns="http://www.w3.org/2000/svg" width="400" height="300"><rect width="400" height="300" fill="white"/></svg>`,
    );
    const display = (content: { data: Record<string, unknown>; metadata: object }) => ({
      output_type: "display_data",
      ...content,
    });
    const notebook = {
      nbformat: 4,
      nbformat_minor: 5,
      metadata: {},
      cells: [{
        cell_type: "code",
        id: "charts",
        execution_count: 1,
        metadata: {},
        source: "",
        outputs: [
          // The bundle before issue #8: nbconvert 6.5 picks the SVG and empties it.
          display({ data: { ...chart.data, "image/svg+xml": images.svg }, metadata: {} }),
          display({
            data: { "image/png": Buffer.from(white).toString("base64"), "text/plain": "white" },
            metadata: {},
          }),
          display(chart),
        ],
      }],
    };
    await Deno.writeTextFile(`${dir.path}/fixture.ipynb`, JSON.stringify(notebook));
    const exported = await new Deno.Command("jupyter", {
      args: ["nbconvert", "--to", "html", `${dir.path}/fixture.ipynb`],
      stdout: "null",
      stderr: "piped",
    }).output();
    equal(exported.code, 0, new TextDecoder().decode(exported.stderr));
    const [withSvg, blank, painted] = (await inspectNotebookPage(`${dir.path}/fixture.html`)).slots;
    if (await nbconvertMajorVersion() === 6) {
      equal(withSvg?.kind, "svg");
      equal(withSvg?.ink, 0, "nbconvert 6.5 strips the SVG's content");
    }
    equal(blank?.kind, "png");
    ok(blank.naturalWidth! > 0);
    equal(blank.ink, 0, "a white image counts as unpainted");
    equal(painted?.kind, "png");
    ok(painted.ink > 0.05, JSON.stringify(painted));
    equal(painted.width, images.width, "shown at its CSS size, not its 2× pixel size");
  },
});

async function nbconvertMajorVersion(): Promise<number> {
  const { stdout } = await new Deno.Command("jupyter", {
    args: ["nbconvert", "--version"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return Number.parseInt(new TextDecoder().decode(stdout));
}
