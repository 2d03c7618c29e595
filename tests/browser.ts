/// <reference lib="dom" />
/**
 * Opens an exported notebook page in headless Chromium (Debian's `chromium`, through puppeteer-core;
 * nothing is downloaded) and reports, for every chart slot, whether pixels were painted.
 * @module
 */
import { delimiter, join } from "node:path";
import puppeteer, { type Browser, type ElementHandle } from "puppeteer-core";

/** One chart output in the page: an image, or an inline SVG as nbconvert writes it. */
export interface ChartSlot {
  kind: "png" | "svg";
  /** The image's decoded width (0 if it failed to load); undefined for SVG. */
  naturalWidth?: number;
  /** The image's (or the SVG's) width and height on the page, in CSS pixels. */
  width: number;
  height: number;
  /** Share of the slot's screenshot that is not near-white: 0 means nothing was painted. */
  ink: number;
}

/** What the page showed, and what it tried to load from outside the file (all blocked). */
export interface PageReport {
  slots: ChartSlot[];
  blockedRequests: string[];
}

/** The `chromium` on PATH, or undefined. */
export function findChromium(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(delimiter)) {
    const path = join(dir, "chromium");
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch {
      // not in this folder
    }
  }
  return undefined;
}

const CHART_SLOTS = ".jp-OutputArea-output.jp-RenderedImage, .jp-OutputArea-output.jp-RenderedSVG";

/**
 * Loads `htmlPath` with network access blocked, finds every image and SVG output, screenshots each
 * and measures its ink; optionally saves a full-page screenshot to `screenshot`.
 */
export async function inspectNotebookPage(
  htmlPath: string,
  options: { screenshot?: string } = {},
): Promise<PageReport> {
  await using chromium = await launchChromium();
  const { browser } = chromium;
  const page = await browser.newPage();
  await page.setViewport({ width: 1200, height: 900 });
  const blockedRequests: string[] = [];
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    const url = request.url();
    if (url.startsWith("file:") || url.startsWith("data:")) return void request.continue();
    blockedRequests.push(url);
    void request.abort();
  });
  await page.goto(`file://${htmlPath}`, { waitUntil: "load", timeout: 60_000 });
  const slots: ChartSlot[] = [];
  for (const slot of await page.$$(CHART_SLOTS)) {
    // The image or the <svg> itself: its box is the chart's size on the page.
    const element: ElementHandle<Element> = (await slot.$("img, svg")) ?? slot;
    const facts = await element.evaluate(async (node) => {
      const img = node instanceof HTMLImageElement ? node : undefined;
      if (img) await img.decode().catch(() => undefined);
      const box = node.getBoundingClientRect();
      return {
        kind: img ? "png" as const : "svg" as const,
        naturalWidth: img?.naturalWidth,
        width: box.width,
        height: box.height,
      };
    });
    const ink = facts.width >= 1 && facts.height >= 1
      ? await page.evaluate(
        measureInk,
        await element.screenshot({ encoding: "base64", type: "png" }),
      )
      : 0;
    slots.push({ ...facts, ink });
  }
  if (options.screenshot) {
    await page.screenshot({ path: options.screenshot as `${string}.png`, fullPage: true });
  }
  return { slots, blockedRequests };
}

/**
 * Launches Debian's `chromium` headless through puppeteer-core (nothing downloaded), with a
 * throwaway profile; disposing closes it and removes the profile.
 */
export async function launchChromium(): Promise<{ browser: Browser } & AsyncDisposable> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error("chromium is not on PATH");
  const profile = await Deno.makeTempDir({ prefix: "loot_chromium_" });
  const browser = await puppeteer.launch({
    executablePath,
    args: [
      "--no-sandbox",
      "--headless=new",
      "--disable-gpu",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
    ],
    // The flags above replace puppeteer's defaults, which would add another headless mode.
    ignoreDefaultArgs: true,
    pipe: true,
  });
  return {
    browser,
    [Symbol.asyncDispose]: async () => {
      await browser.close();
      await Deno.remove(profile, { recursive: true });
    },
  };
}

/** Runs in the page: decodes a PNG screenshot onto a canvas and returns its non-white share. */
async function measureInk(base64: string): Promise<number> {
  const image = new Image();
  image.src = `data:image/png;base64,${base64}`;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  const context = canvas.getContext("2d")!;
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
  let ink = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i]! < 235 || data[i + 1]! < 235 || data[i + 2]! < 235) ink++;
  }
  return ink / (data.length / 4);
}
