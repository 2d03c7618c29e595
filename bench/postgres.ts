/**
 * Section p of `deno task bench`: PostgreSQL beside SQLite in the same run. Batch ingest and
 * single-sheet POST with one and with three server processes on one database, and aggregate and
 * heatmap p50 at growing sizes. Uses `BENCH_PG_URL` when given (a database per figure is created
 * in that cluster and dropped), else a throwaway cluster of its own.
 * @module
 */
import postgres from "postgres";
import {
  createClient,
  formatCount,
  prepareSheets,
  simulateMatches,
  type StatSheet,
} from "../lib/mod.ts";
import type { ServerProcess } from "../server/child_process.ts";
import { openPostgresStore } from "../server/store/postgres.ts";
import { startPostgresCluster } from "../tests/postgres_cluster.ts";
import { runWrk, type WrkResult } from "./load.ts";

/** One row of the bench table (the shape run.ts prints and records). */
export interface BenchFigure {
  id: string;
  name: string;
  value: number;
  unit: string;
  ceiling?: { name: string; value: number };
  ratio?: number;
  target?: string;
  met?: boolean;
}

/** What section p borrows from the bench runner. */
export interface PostgresBenchContext {
  workDir: string;
  /** Sheets of the batch-ingest figures. */
  ingestSheets: number;
  /** Database sizes of the read figures. */
  readSizes: number[];
  wrkSeconds: number;
  /** Whether wrk is available (single-sheet figures are skipped without it). */
  wrk: boolean;
  startServer(args: string[]): Promise<ServerProcess>;
  measureLatency(url: () => string, count?: number): Promise<{ p50: number; p99: number }>;
  log(message: string): void;
}

const GAME_MODES = ["solo", "duos", "squads"] as const;
const SERVERS = 3;

/** Runs section p and returns its figures. */
export async function benchPostgres(context: PostgresBenchContext): Promise<BenchFigure[]> {
  const given = Deno.env.get("BENCH_PG_URL");
  const cluster = given ? undefined : await startPostgresCluster();
  if (cluster && "skipped" in cluster) {
    return [{ id: "p", name: `PostgreSQL skipped: ${cluster.skipped}`, value: NaN, unit: "" }];
  }
  const adminUrl = given ?? cluster!.url;
  context.log(
    `PostgreSQL at ${new URL(adminUrl).host}${given ? " (BENCH_PG_URL)" : " (throwaway)"}`,
  );
  const figures: BenchFigure[] = [];
  try {
    await benchBatchIngest(context, adminUrl, figures);
    if (context.wrk) await benchSinglePosts(context, adminUrl, figures);
    await benchReads(context, adminUrl, figures);
  } finally {
    await cluster?.stop();
  }
  return figures;
}

/** Batch ingest over HTTP: SQLite with one server, PostgreSQL with one and with three. */
async function benchBatchIngest(
  context: PostgresBenchContext,
  adminUrl: string,
  figures: BenchFigure[],
): Promise<void> {
  const sheets = [...simulateMatches({ matches: Math.ceil(context.ingestSheets / 4), seed: 5 })]
    .slice(0, context.ingestSheets);
  const clientsPerServer = 2;
  const upload = async (urls: string[]) => {
    const t0 = performance.now();
    const share = Math.ceil(sheets.length / urls.length);
    await Promise.all(urls.map(async (url, index) => {
      const summary = await createClient(url).submitBatch(
        sheets.slice(index * share, (index + 1) * share),
        { chunkSize: 5_000, concurrency: clientsPerServer },
      );
      if (summary.failed > 0) throw new Error(`batch ingest failed: ${summary.errors[0]}`);
    }));
    return sheets.length / ((performance.now() - t0) / 1000);
  };
  let sqlite: number;
  {
    await using server = await context.startServer(["--db", `${context.workDir}/pg_cmp.db`]);
    sqlite = await upload([server.url]);
  }
  for (const count of [1, SERVERS]) {
    await using database = await createDatabase(adminUrl);
    const servers = await startServers(context, database.url, count);
    try {
      const rate = await upload(servers.map((server) => server.url));
      figures.push({
        id: "p",
        name: `PostgreSQL HTTP batch ingest, ${count} server${
          count > 1 ? "s" : ""
        } × ${clientsPerServer} clients`,
        value: rate,
        unit: "sheets/s",
        ceiling: { name: "SQLite, 1 server, same run", value: sqlite },
        ratio: rate / sqlite,
      });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
    context.log(`PostgreSQL batch ingest with ${count} server(s) done`);
  }
}

/** Single-sheet POST with wrk at 16 connections: SQLite, PostgreSQL with one and three servers. */
async function benchSinglePosts(
  context: PostgresBenchContext,
  adminUrl: string,
  figures: BenchFigure[],
): Promise<void> {
  const seconds = context.wrkSeconds;
  let sqlite: WrkResult;
  {
    await using server = await context.startServer(["--db", `${context.workDir}/pg_cmp_single.db`]);
    sqlite = await runWrk(server.url, { seconds, connections: 16, tag: "sqlite_p" });
  }
  for (const count of [1, SERVERS]) {
    await using database = await createDatabase(adminUrl);
    const servers = await startServers(context, database.url, count);
    try {
      // The 16 connections split across the servers, as a load balancer would spread them.
      const results = await Promise.all(servers.map((server, index) =>
        runWrk(server.url, {
          seconds,
          connections: Math.floor(16 / count) + (index < 16 % count ? 1 : 0),
          tag: `pg${count}_${index}`,
        })
      ));
      const errors = results.reduce((sum, result) => sum + result.errors, 0);
      if (errors > 0) throw new Error(`${errors} non-2xx answers from PostgreSQL servers`);
      const rate = results.reduce((sum, result) => sum + result.requestsPerSecond, 0);
      const p99 = Math.max(...results.map((result) => result.p99Ms));
      figures.push({
        id: "p",
        name: `PostgreSQL single-sheet POST, 16 connections, ${count} server${
          count > 1 ? "s" : ""
        } (p99 ${p99.toFixed(2)} ms)`,
        value: rate,
        unit: "req/s",
        ceiling: {
          name: `SQLite, 1 server, same run (p99 ${sqlite.p99Ms.toFixed(2)} ms)`,
          value: sqlite.requestsPerSecond,
        },
        ratio: rate / sqlite.requestsPerSecond,
      });
    } finally {
      await Promise.all(servers.map((server) => server.stop()));
    }
  }
  context.log("PostgreSQL single-sheet POST done");
}

/** Aggregate and heatmap p50 on PostgreSQL and on SQLite, the same sheets at each size. */
async function benchReads(
  context: PostgresBenchContext,
  adminUrl: string,
  figures: BenchFigure[],
): Promise<void> {
  await using database = await createDatabase(adminUrl);
  const sqlitePath = `${context.workDir}/pg_cmp_reads.db`;
  const { openSqliteStore } = await import("../server/store/sqlite.ts");
  const maxSheets = Math.max(...context.readSizes);
  const generator = simulateMatches({ matches: Math.ceil(maxSheets / 4), seed: 11 });
  let stored = 0;
  for (const size of context.readSizes) {
    {
      const store = await openPostgresStore(database.url);
      using sqlite = openSqliteStore(sqlitePath);
      let pgSeconds = 0;
      try {
        while (stored < size) {
          const chunk: StatSheet[] = [];
          while (chunk.length < 5_000 && stored + chunk.length < size) {
            const next = generator.next();
            if (next.done) break;
            const mode = GAME_MODES[Math.floor((stored + chunk.length) / 4) % GAME_MODES.length]!;
            chunk.push({ ...next.value, game_mode: mode });
          }
          if (chunk.length === 0) break;
          const prepared = prepareSheets(chunk, new Date());
          const t0 = performance.now();
          await store.insertSheets(prepared);
          pgSeconds += (performance.now() - t0) / 1000;
          await sqlite.insertSheets(prepared);
          stored += chunk.length;
        }
      } finally {
        store.close();
      }
      context.log(
        `PostgreSQL read dataset at ${formatCount(stored)} sheets (store ingest ${
          formatCount(Math.round(size / Math.max(pgSeconds, 1e-9)))
        } sheets/s while growing)`,
      );
    }
    const endpoints = ["/api/aggregate", "/api/heatmap/rubber_duck?bins=20"];
    const latencies: Record<string, Record<"sqlite" | "postgres", number>> = {};
    for (const [engine, db] of [["sqlite", sqlitePath], ["postgres", database.url]] as const) {
      await using server = await context.startServer(["--db", db]);
      for (const path of endpoints) {
        (latencies[path] ??= { sqlite: NaN, postgres: NaN })[engine] =
          (await context.measureLatency(() => `${server.url}${path}`)).p50;
      }
    }
    for (const path of endpoints) {
      const { sqlite, postgres } = latencies[path]!;
      figures.push({
        id: "p",
        name: `PostgreSQL ${path} at ${formatCount(stored)}: p50`,
        value: postgres,
        unit: "ms",
        ceiling: { name: "SQLite p50, same sheets, same run", value: sqlite },
        ratio: postgres / sqlite,
        target: "p50 ≤ 10 ms",
        met: postgres <= 10,
      });
    }
  }
}

async function startServers(
  context: PostgresBenchContext,
  url: string,
  count: number,
): Promise<ServerProcess[]> {
  const servers: ServerProcess[] = [];
  for (let i = 0; i < count; i++) servers.push(await context.startServer(["--db", url, "--quiet"]));
  return servers;
}

/** A fresh database in the cluster at `adminUrl`, dropped on dispose. */
async function createDatabase(adminUrl: string): Promise<{ url: string } & AsyncDisposable> {
  const name = `loot_bench_${Date.now().toString(36)}`;
  const admin = () => postgres(adminUrl, { max: 1, onnotice: () => {} });
  const create = admin();
  await create.unsafe(`CREATE DATABASE ${name}`).finally(() => create.end());
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    [Symbol.asyncDispose]: async () => {
      const drop = admin();
      await drop.unsafe(`DROP DATABASE ${name} WITH (FORCE)`).finally(() => drop.end());
    },
  };
}
