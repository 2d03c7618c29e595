/**
 * Turns Vega-Lite specs into SVG and PNG files. The one chart module that does I/O: it loads vega,
 * the resvg native renderer and a font shipped in an npm package, so PNGs look the same on a
 * machine with no system fonts.
 * @module
 */
import { createRequire } from "node:module";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import type { ChartSpec } from "./specs.ts";
import { CHART_FONT } from "./theme.ts";

/** DejaVu Sans regular and bold, resolved inside the dejavu-fonts-ttf package. */
function resolveFontFiles(): string[] {
  const require = createRequire(import.meta.url);
  return ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"].map((file) =>
    require.resolve(`dejavu-fonts-ttf/ttf/${file}`)
  );
}

// vega and the resvg native add-on load on first use, so code that imports lib/mod.ts without
// drawing (the server, the CLI) does not pay for them.
let renderers:
  | Promise<
    {
      vega: typeof import("vega");
      compile: typeof import("vega-lite").compile;
      Resvg: typeof import("@resvg/resvg-js").Resvg;
      fontFiles: string[];
    }
  >
  | undefined;
function loadRenderers() {
  // vega's fetch loader requires Node's deprecated `punycode`; its warning means nothing to a chart user.
  (process as { noDeprecation?: boolean }).noDeprecation = true;
  renderers ??= Promise.all([import("vega"), import("vega-lite"), import("@resvg/resvg-js")]).then(
    ([vega, vegaLite, resvg]) => ({
      vega,
      compile: vegaLite.compile,
      Resvg: resvg.Resvg,
      fontFiles: resolveFontFiles(),
    }),
  );
  return renderers;
}

/** Files written by {@link saveChart}, and the images it rendered (to show without rendering twice). */
export interface SavedChart {
  name: string;
  png: string;
  svg: string;
  spec: string;
  images: ChartImages;
}

/** A chart rendered once: SVG, PNG at `scale`, and its size in CSS pixels (the SVG's size). */
export interface ChartImages {
  svg: string;
  png: Uint8Array;
  width: number;
  height: number;
}

/**
 * Renders a Vega-Lite spec to SVG with vega's headless View (no browser, no canvas).
 * @example
 * const svg = await renderChartSvg(buildLootTotalsSpec(totals));
 */
export async function renderChartSvg(spec: ChartSpec): Promise<string> {
  const { vega, compile } = await loadRenderers();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterises SVG to PNG with resvg and the shipped font; `scale` 2 gives crisp images on high-DPI screens. */
export async function renderSvgToPng(
  svg: string,
  options: { scale?: number } = {},
): Promise<Uint8Array> {
  const { Resvg, fontFiles } = await loadRenderers();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: options.scale ?? 2 },
    font: {
      fontFiles,
      loadSystemFonts: false,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
  });
  return resvg.render().asPng();
}

/**
 * Renders a spec to SVG and to PNG (at `scale`, default 2), with the chart's size in CSS pixels so
 * a viewer can show the PNG at its natural size, crisp on high-DPI screens.
 */
export async function renderChartImages(
  spec: ChartSpec,
  options: { scale?: number } = {},
): Promise<ChartImages> {
  const scale = options.scale ?? 2;
  const svg = await renderChartSvg(spec);
  const png = await renderSvgToPng(svg, { scale });
  const { width, height } = readPngSize(png);
  return { svg, png, width: Math.round(width / scale), height: Math.round(height / scale) };
}

/** Width and height from a PNG's IHDR chunk, which always follows the 8-byte signature. */
function readPngSize(png: Uint8Array): { width: number; height: number } {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Renders a spec to PNG bytes. */
export async function renderChartPng(
  spec: ChartSpec,
  options: { scale?: number } = {},
): Promise<Uint8Array> {
  return renderSvgToPng(await renderChartSvg(spec), options);
}

/**
 * Writes `name.png`, `name.svg` and `name.vl.json` (the spec, for any Vega-Lite tool) under `dir`,
 * creating it when missing; returns the paths and the rendered images.
 */
export async function saveChart(spec: ChartSpec, name: string, dir: string): Promise<SavedChart> {
  await mkdir(dir, { recursive: true });
  const images = await renderChartImages(spec);
  const saved = {
    name,
    png: join(dir, `${name}.png`),
    svg: join(dir, `${name}.svg`),
    spec: join(dir, `${name}.vl.json`),
    images,
  };
  await Promise.all([
    writeFile(saved.svg, images.svg),
    writeFile(saved.png, images.png),
    writeFile(saved.spec, `${JSON.stringify(spec, null, 2)}\n`),
  ]);
  return saved;
}
