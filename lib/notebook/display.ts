/**
 * Display helpers for the Deno Jupyter kernel. Each shows one MIME bundle, so outputs render in
 * JupyterLab, VS Code and static viewers (GitHub, nbviewer, nbconvert's HTML) alike. Outside a
 * notebook they print text.
 * @module
 */
import { Buffer } from "node:buffer";
import type { ChartSpec } from "../charts/specs.ts";
import {
  type ChartImages,
  renderChartImages,
  saveChart,
  type SavedChart,
} from "../charts/render.ts";
import type { NamedChart } from "./charts.ts";

type MimeBundle = Record<string, unknown>;

/** A display_data message's content: the bundle and per-type metadata (an image's size). */
export interface DisplayContent {
  data: MimeBundle;
  metadata: Record<string, Record<string, unknown>>;
}

interface JupyterApi {
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
}

/**
 * Shows a bundle and then waits briefly. Deno's kernel resolves `display()` when the message is
 * queued, not sent; a cell's last display could otherwise reach the wire after the cell's `idle`
 * status, and headless runners (nbconvert) that stop listening at `idle` would drop it.
 */
async function displayBundle(
  api: JupyterApi,
  bundle: MimeBundle,
  metadata: DisplayContent["metadata"] = {},
): Promise<void> {
  // broadcast rather than display(): display() sends no metadata, and the PNG needs its size.
  await api.broadcast("display_data", { data: bundle, metadata, transient: {} });
  await new Promise((resolve) => setTimeout(resolve, DISPLAY_SETTLE_MS));
}

const DISPLAY_SETTLE_MS = 60;

/** The kernel's API, or undefined outside `deno jupyter` (where touching `Deno.jupyter` throws). */
function jupyter(): JupyterApi | undefined {
  try {
    return (Deno as unknown as { jupyter?: JupyterApi }).jupyter;
  } catch {
    return undefined;
  }
}

/**
 * A chart's display bundle: Vega-Lite (interactive in JupyterLab and VS Code), PNG (what GitHub,
 * nbviewer and nbconvert's HTML export show) and its title as text. No SVG: nbconvert 6.5 ranks
 * SVG above PNG and passes it through lxml's `clean_html`, which empties the `<svg>`, so a bundle
 * with SVG exports as a blank gap. The PNG carries its CSS size, so 2× pixels stay sharp.
 */
export function buildChartBundle(spec: ChartSpec, images: ChartImages): DisplayContent {
  const title = typeof spec.title === "object" && spec.title && "text" in spec.title
    ? String(spec.title.text)
    : "chart";
  return {
    data: {
      "application/vnd.vegalite.v5+json": spec,
      "image/png": Buffer.from(images.png).toString("base64"),
      "text/plain": `[chart] ${title}`,
    },
    metadata: { "image/png": { width: images.width, height: images.height } },
  };
}

/**
 * Shows a chart inline as one bundle (see {@link buildChartBundle}); pass `images` when the chart is
 * already rendered.
 * @example
 * await showChart(buildLootTotalsSpec(totals));
 */
export async function showChart(
  spec: ChartSpec,
  options: { images?: ChartImages } = {},
): Promise<void> {
  const { data, metadata } = buildChartBundle(
    spec,
    options.images ?? await renderChartImages(spec),
  );
  const api = jupyter();
  if (api) await displayBundle(api, data, metadata);
  else console.log(data["text/plain"]);
}

/** Saves each chart as PNG, SVG and Vega-Lite JSON under `dir`, shows it inline, then lists the files. */
export async function saveAndShowCharts(charts: readonly NamedChart[], dir: string): Promise<void> {
  const saved: SavedChart[] = [];
  for (const chart of charts) {
    const file = await saveChart(chart.spec, chart.name, dir);
    saved.push(file);
    await showChart(chart.spec, { images: file.images });
  }
  await showMessage(
    `Saved ${
      saved.map((file) => `\`${file.name}\``).join(", ")
    } to \`${dir}\` (.png, .svg, .vl.json)`,
  );
}

/** Shows rows as a table (HTML and Markdown for the notebook, aligned text elsewhere). */
export async function showTable(rows: readonly Record<string, unknown>[]): Promise<void> {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const cell = (
    value: unknown,
  ) => (typeof value === "number" ? value.toLocaleString("en-US") : String(value ?? ""));
  const escape = (text: string) => text.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
  const html = `<table><thead><tr>${
    columns.map((c) => `<th>${escape(c)}</th>`).join("")
  }</tr></thead><tbody>${
    rows.map((row) => `<tr>${columns.map((c) => `<td>${escape(cell(row[c]))}</td>`).join("")}</tr>`)
      .join("")
  }</tbody></table>`;
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((row) => cell(row[c]).length)));
  const text = [columns, ...rows.map((row) => columns.map((c) => cell(row[c])))]
    .map((line) => line.map((value, i) => value.padEnd(widths[i]!)).join("  ")).join("\n");
  const api = jupyter();
  if (api) await displayBundle(api, { "text/html": html, "text/plain": text });
  else console.log(text);
}

/** Shows a Markdown message (a heading, a warning, how to start the server). */
export async function showMessage(markdown: string): Promise<void> {
  const api = jupyter();
  if (api) await displayBundle(api, { "text/markdown": markdown, "text/plain": markdown });
  else console.log(markdown);
}

/** A one-line status that updates in place in the notebook (a new line per update elsewhere). */
export interface ProgressDisplay {
  update(line: string): void;
  /** Shows the final line and waits for pending updates to be sent. */
  done(line: string): Promise<void>;
}

/** Creates a {@link ProgressDisplay}; updates are throttled to about ten a second. */
export function createProgressDisplay(): ProgressDisplay {
  const api = jupyter();
  const displayId = `progress-${crypto.randomUUID()}`;
  let pending: Promise<void> = Promise.resolve();
  let shown = false;
  let lastSent = 0;
  const send = (line: string) => {
    if (!api) return void console.log(line);
    const type = shown ? "update_display_data" : "display_data";
    shown = true;
    pending = pending.then(() =>
      api.broadcast(type, {
        data: { "text/plain": line },
        metadata: {},
        transient: { display_id: displayId },
      })
    );
  };
  return {
    update(line) {
      if (performance.now() - lastSent < 100) return;
      lastSent = performance.now();
      send(line);
    },
    async done(line) {
      send(line);
      await pending;
      await new Promise((resolve) => setTimeout(resolve, DISPLAY_SETTLE_MS));
    },
  };
}

/** A chart shown once and then redrawn in place (a display updated by id, not a new output). */
export interface ChartDisplay {
  /** Shows `spec` (first call) or replaces what the display shows (later calls). */
  show(spec: ChartSpec): Promise<void>;
  /** Waits until every update has been sent. */
  done(): Promise<void>;
}

/**
 * Creates a {@link ChartDisplay}. Updates carry the PNG and the title (no Vega-Lite: the static
 * image is what every viewer redraws alike); outside a notebook each update prints its title.
 */
export function createChartDisplay(): ChartDisplay {
  const api = jupyter();
  const displayId = `chart-${crypto.randomUUID()}`;
  let shown = false;
  let pending: Promise<void> = Promise.resolve();
  return {
    async show(spec) {
      const { data, metadata } = buildChartBundle(spec, await renderChartImages(spec));
      delete data["application/vnd.vegalite.v5+json"];
      if (!api) return void console.log(data["text/plain"]);
      const type = shown ? "update_display_data" : "display_data";
      shown = true;
      pending = pending.then(() =>
        api.broadcast(type, { data, metadata, transient: { display_id: displayId } })
      );
      await pending;
    },
    async done() {
      await pending;
      await new Promise((resolve) => setTimeout(resolve, DISPLAY_SETTLE_MS));
    },
  };
}
