/**
 * A worker thread for reads that scan the whole database (the anomaly rules): its own read-only
 * connection runs them, so the event loop that serves every other request never waits on them.
 * Requests are `{ id, path, request }`; answers `{ id, rows }` or `{ id, error }`.
 * @module
 */
/// <reference lib="deno.worker" />
import { DatabaseSync } from "node:sqlite";
import type { AnomaliesRequest } from "../../lib/mod.ts";
import { readAnomalies } from "./sqlite_experiments.ts";

let db: DatabaseSync | undefined;
let openPath: string | undefined;

self.onmessage = (event: MessageEvent<{ id: number; path: string; request: AnomaliesRequest }>) => {
  const { id, path, request } = event.data;
  try {
    if (!db || openPath !== path) {
      db?.close();
      db = new DatabaseSync(path, { readOnly: true });
      db.exec("PRAGMA busy_timeout = 5000; PRAGMA cache_size = -8192");
      openPath = path;
    }
    const connection = db;
    self.postMessage({ id, rows: readAnomalies((sql) => connection.prepare(sql), request) });
  } catch (error) {
    self.postMessage({ id, error: (error as Error).message });
  }
};
