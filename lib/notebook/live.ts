/**
 * The notebook's live and export steps: a loot-totals chart that redraws in place from the
 * server's live feed (`GET /api/live`) while sheets upload, and an export of a run to a file.
 * @module
 */
import { buildLootTotalsSpec } from "../charts/specs.ts";
import type { ExportFormat } from "../export.ts";
import type { ExportQuery, LootClient } from "../client.ts";
import type { LootCounts, StatSheet } from "../types.ts";
import { createChartDisplay } from "./display.ts";

/** What a live chart saw, once stopped. */
export interface LiveChartSummary {
  /** Times the chart was drawn: the snapshot, then redraws. */
  draws: number;
  /** Sheets the feed reported stored while the chart watched. */
  sheetsSeen: number;
  /** The totals the chart shows last. */
  totals: LootCounts;
}

/** A running live chart; `stop()` waits for the feed to go quiet, draws once more and closes. */
export interface LiveChart {
  /** Resolves with what the chart saw. */
  stop(): Promise<LiveChartSummary>;
}

/**
 * Opens the server's live feed and shows its loot totals as one chart that redraws in place as
 * sheets arrive (at most one redraw in flight; the latest totals win). With a read key, a
 * single-use ticket opens the WebSocket, as in the browser.
 * @example
 * const live = await showLiveTotals(client);
 * await uploadPaced(client, sheets);
 * await live.stop();
 */
export async function showLiveTotals(
  client: LootClient,
  options: { apiKey?: string; gameMode?: string } = {},
): Promise<LiveChart> {
  const display = createChartDisplay();
  const query = new URLSearchParams();
  if (options.gameMode) query.set("game_mode", options.gameMode);
  if (options.apiKey) {
    const response = await fetch(`${client.baseUrl}/api/live/ticket`, {
      method: "POST",
      headers: { authorization: `Bearer ${options.apiKey}` },
    });
    if (!response.ok) throw new Error(`No live ticket: HTTP ${response.status}`);
    query.set("ticket", (await response.json()).ticket);
  }
  const totals = new Map<string, number>();
  let sheets = 0;
  let sheetsSeen = 0;
  let draws = 0;
  let drawing: Promise<void> | undefined;
  let dirty = false;
  let lastMessage = performance.now();
  const draw = () => {
    dirty = true;
    drawing ??= (async () => {
      while (dirty) {
        dirty = false;
        await display.show(buildLootTotalsSpec(Object.fromEntries(totals), {
          title: "Server loot totals, live",
          subtitle: `${sheets.toLocaleString("en-US")} sheets · redrawn as they arrive`,
        }));
        draws++;
      }
      drawing = undefined;
    })();
  };
  const socket = new WebSocket(
    `${client.baseUrl.replace(/^http/, "ws")}/api/live${query.size ? `?${query}` : ""}`,
  );
  const opened = Promise.withResolvers<void>();
  socket.onerror = () => opened.reject(new Error(`No live feed at ${client.baseUrl}/api/live`));
  socket.onmessage = (event) => {
    lastMessage = performance.now();
    const message = JSON.parse(event.data);
    if (message.type === "snapshot") {
      totals.clear();
      for (const [item, units] of Object.entries(message.data.total_items)) {
        totals.set(item, units as number);
      }
      sheets = message.data.total_stat_sheets;
      opened.resolve();
    } else if (message.type === "ingest") {
      sheets += message.sheets;
      sheetsSeen += message.sheets;
      for (const [item, units] of Object.entries(message.total_items as LootCounts)) {
        totals.set(item, (totals.get(item) ?? 0) + units);
      }
    }
    draw();
  };
  await opened.promise;
  return {
    async stop() {
      // The feed coalesces to one message per 250 ms: wait until it has been quiet for longer.
      const deadline = performance.now() + 3_000;
      while (performance.now() - lastMessage < 400 && performance.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      socket.close();
      while (drawing) await drawing;
      await display.done();
      return { draws, sheetsSeen, totals: Object.fromEntries(totals) };
    },
  };
}

/**
 * Uploads sheets in `batches` batches with a pause between them, so a live view has time to show
 * the totals growing (a normal upload of a small run is over in a blink).
 */
export async function uploadPaced(
  client: LootClient,
  sheets: readonly StatSheet[],
  options: { batches?: number; pauseMs?: number } = {},
): Promise<{ inserted: number; duplicates: number }> {
  const batches = options.batches ?? 8;
  const size = Math.max(1, Math.ceil(sheets.length / batches));
  const tally = { inserted: 0, duplicates: 0 };
  for (let start = 0; start < sheets.length; start += size) {
    const summary = await client.submitBatch(sheets.slice(start, start + size));
    if (summary.failed > 0) throw new Error(`Upload failed: ${summary.errors[0]}`);
    tally.inserted += summary.inserted;
    tally.duplicates += summary.duplicates;
    await new Promise((resolve) => setTimeout(resolve, options.pauseMs ?? 300));
  }
  return tally;
}

/**
 * Downloads `GET /api/export` into `path` (streamed: memory stays flat), returning its size.
 * @example
 * await exportSheetsToFile(client, "parquet", "outputs/loot_sheets.parquet");
 */
export async function exportSheetsToFile(
  client: LootClient,
  format: ExportFormat,
  path: string,
  query: ExportQuery = {},
): Promise<{ path: string; bytes: number }> {
  const download = await client.exportSheets(format, query);
  let bytes = 0;
  const counted = download.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );
  await Deno.writeFile(path, counted);
  return { path, bytes };
}
