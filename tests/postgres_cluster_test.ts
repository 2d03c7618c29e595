import { equal, ok } from "node:assert/strict";
import { existsSync } from "node:fs";
import postgres from "postgres";
import { startPostgresCluster } from "./postgres_cluster.ts";

Deno.test("a throwaway PostgreSQL cluster starts on loopback, commits durably, and leaves nothing behind", async (t) => {
  const cluster = await startPostgresCluster();
  if ("skipped" in cluster) {
    console.warn(`PostgreSQL tests skipped: ${cluster.skipped}`);
    await t.step({ name: `skipped: ${cluster.skipped}`, ignore: true, fn: () => {} });
    return;
  }
  let dataDir = "";
  try {
    const sql = postgres(cluster.url, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql`SELECT 1 AS one, current_setting('synchronous_commit') AS sync,
        current_setting('fsync') AS fsync, current_setting('data_directory') AS dir`;
      equal(row!.one, 1);
      equal(row!.sync, "on", "a commit waits for its WAL flush: a 2xx means durable");
      equal(row!.fsync, "on");
      dataDir = row!.dir;
      ok(existsSync(dataDir), dataDir);
    } finally {
      await sql.end();
    }
  } finally {
    await cluster.stop();
  }
  equal(existsSync(dataDir), false, "its folder is removed");
});
