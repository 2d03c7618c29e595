/**
 * The write worker of a file database: it owns the write connection and commits groups of
 * submissions with `GroupCommitter`, so SQLite and fsync never run on the event loop that parses
 * HTTP. Requests are {@link WriteWorkerRequest}s; each group answers with one
 * {@link WriteWorkerReply}, posted after its commit.
 * @module
 */
/// <reference lib="deno.worker" />
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { PreparedSheet } from "../../lib/mod.ts";
import {
  configureWriteConnection,
  GroupCommitter,
  takeGroup,
  toWireResult,
  type UnitResult,
  type WriteWorkerReply,
  type WriteWorkerRequest,
} from "./sqlite_writer.ts";

let db: DatabaseSync | undefined;
let committer: GroupCommitter | undefined;
const statements = new Map<string, StatementSync>();
const queue: { id: number; sheets: readonly PreparedSheet[] }[] = [];
let scheduled = false;

self.onmessage = (event: MessageEvent<WriteWorkerRequest>) => {
  const request = event.data;
  switch (request.type) {
    case "open":
      open(request.path);
      return;
    case "write":
      queue.push(request);
      if (!scheduled) {
        scheduled = true;
        // A timer lets the messages already sent arrive first, so they join this group.
        setTimeout(flush, 0);
      }
      return;
    case "close": {
      flush();
      db?.close();
      const done = new Int32Array(request.done);
      Atomics.store(done, 0, 1);
      Atomics.notify(done, 0);
      self.close();
    }
  }
};

function open(path: string): void {
  const connection = new DatabaseSync(path);
  connection.exec("PRAGMA busy_timeout = 5000");
  // The writer's pages are the indexes' right edges and the rollups: 32 MiB holds them at 1M sheets.
  connection.exec("PRAGMA cache_size = -32768");
  configureWriteConnection(connection);
  db = connection;
  committer = new GroupCommitter((sql) => {
    let statement = statements.get(sql);
    if (!statement) statements.set(sql, statement = connection.prepare(sql));
    return statement;
  });
}

function flush(): void {
  scheduled = false;
  while (queue.length > 0) {
    const units = takeGroup(queue);
    let results: UnitResult[];
    let committed = true;
    try {
      results = committer!.commit(units.map((unit) => unit.sheets));
    } catch (error) {
      committed = false;
      results = units.map(() => ({ error }));
    }
    const reply: WriteWorkerReply = {
      committed,
      results: units.map((unit, index) => toWireResult(unit.id, results[index]!)),
    };
    self.postMessage(reply);
  }
}
