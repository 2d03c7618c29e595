/**
 * Display helpers for the Deno Jupyter kernel. Each shows one MIME bundle, so outputs render in
 * JupyterLab, VS Code and static viewers (GitHub, nbviewer) alike. Outside a notebook they print text.
 * @module
 */
import type { ChartSpec } from "./charts/specs.ts";
import { renderChartSvg, saveChart, type SavedChart } from "./charts/render.ts";
import type { NamedChart } from "./pipeline.ts";

type MimeBundle = Record<string, unknown>;

interface JupyterApi {
  display(bundle: MimeBundle, options: { raw: boolean }): Promise<void>;
  broadcast(type: string, content: Record<string, unknown>): Promise<void>;
}

/**
 * Shows a bundle and then waits briefly. Deno's kernel resolves `display()` when the message is
 * queued, not sent; a cell's last display could otherwise reach the wire after the cell's `idle`
 * status, and headless runners (nbconvert) that stop listening at `idle` would drop it.
 */
async function displayBundle(api: JupyterApi, bundle: MimeBundle): Promise<void> {
  await api.display(bundle, { raw: true });
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
 * Shows a chart inline as Vega-Lite (interactive in JupyterLab and VS Code) plus SVG (for static
 * viewers) plus its title as text.
 * @example
 * await showChart(buildLootTotalsSpec(totals));
 */
export async function showChart(spec: ChartSpec): Promise<void> {
  const title = typeof spec.title === "object" && spec.title && "text" in spec.title
    ? String(spec.title.text)
    : "chart";
  const bundle = {
    "application/vnd.vegalite.v5+json": spec,
    "image/svg+xml": await renderChartSvg(spec),
    "text/plain": `[chart] ${title}`,
  };
  const api = jupyter();
  if (api) await displayBundle(api, bundle);
  else console.log(bundle["text/plain"]);
}

/** Saves each chart as PNG, SVG and Vega-Lite JSON under `dir`, shows it inline, then lists the files. */
export async function saveAndShowCharts(charts: readonly NamedChart[], dir: string): Promise<void> {
  const saved: SavedChart[] = [];
  for (const chart of charts) {
    saved.push(await saveChart(chart.spec, chart.name, dir));
    await showChart(chart.spec);
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
