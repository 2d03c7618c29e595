/**
 * The body of a worker thread (`sqlite_read_worker.ts` loads it) for reads that scan the whole database (the anomaly rules, heatmaps no rollup
 * answers): its own read-only connection runs them, so the event loop that serves every other
 * request never waits on them. Messages are `{ id, path, request }` ({@link ReadRequest}); answers
 * are {@link ReadReply}s.
 * @module
 */
/// <reference lib="deno.worker" />
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { AnomaliesRequest, AnomalyRow, HeatmapGrid, HeatmapPoints } from "../../lib/mod.ts";
import { readAnomalies } from "./sqlite_experiments.ts";
import { type HeatmapFilter, readHeatmapGrid, readHeatmapPoints } from "./sqlite_heatmap.ts";

/** A read the worker runs. */
export type ReadRequest =
  | { kind: "anomalies"; request: AnomaliesRequest }
  | { kind: "heatmapPoints"; item: string; filter: HeatmapFilter }
  | { kind: "heatmapGrid"; item: string; options: HeatmapFilter & { bins: number } };

/** What each kind of read answers. */
export type ReadAnswer<Kind extends ReadRequest["kind"]> = {
  anomalies: AnomalyRow[];
  heatmapPoints: HeatmapPoints;
  heatmapGrid: HeatmapGrid;
}[Kind];

/** An error as it crosses from the worker: its class is lost, so its name and limit are spelled out. */
export interface ReadError {
  name: string;
  message: string;
  limit?: number;
}

/** The worker's answer to one read. */
export type ReadReply = { id: number; answer: unknown } | { id: number; error: ReadError };

let db: DatabaseSync | undefined;
let openPath: string | undefined;

/** The worker's handler of reads (`sqlite_read_worker.ts` sets it). */
export function handleReadMessage(
  event: MessageEvent<{ id: number; path: string; request: ReadRequest }>,
): void {
  const { id, path, request } = event.data;
  try {
    if (!db || openPath !== path) {
      db?.close();
      db = new DatabaseSync(path, { readOnly: true });
      db.exec("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8192");
      openPath = path;
    }
    const connection = db;
    const reply: ReadReply = { id, answer: run((sql) => connection.prepare(sql), request) };
    self.postMessage(reply);
  } catch (error) {
    const { name, message, limit } = error as Error & { limit?: number };
    const reply: ReadReply = { id, error: { name, message, limit } };
    self.postMessage(reply);
  }
}

function run(prepare: (sql: string) => StatementSync, request: ReadRequest): unknown {
  switch (request.kind) {
    case "anomalies":
      return readAnomalies(prepare, request.request);
    case "heatmapPoints":
      return readHeatmapPoints(prepare, request.item, request.filter);
    case "heatmapGrid":
      return readHeatmapGrid(prepare, request.item, request.options);
  }
}
