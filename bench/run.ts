/**
 * `deno task bench`: figures of ingest and query speed, each beside its ceiling measured in the
 * same run, printed as a table and written to bench/results.json. Loopback only; bounded in time.
 * @module
 */
import { Buffer } from "node:buffer";
import { DatabaseSync } from "node:sqlite";
import { statSync } from "node:fs";
import {
  createClient,
  findScenario,
  fingerprintSheet,
  formatCount,
  formatScenario,
  parseScenario,
  prepareSheets,
  simulateMatches,
  simulateScenario,
  SIMULATION_DEFAULTS,
  type StatSheet,
} from "../lib/mod.ts";
import { formatTable, readFlags } from "../cli/_terminal.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { cpus } from "node:os";
import {
  readProcessMemory,
  type ServerProcess,
  startServerProcess,
} from "../server/child_process.ts";
import { benchHostileRequests } from "./hostile.ts";
import { benchPostgres } from "./postgres.ts";
import { ensureWrk, runWrk, startBareServer, type WrkResult } from "./load.ts";

const USAGE = `Usage: deno task bench [options]

Measures ingest and query speed, each figure beside its ceiling measured in the same run, prints
the table and writes bench/results.json. Loopback only; about 28 minutes with every section and up
to 2 GB of temporary files, removed at the end or when interrupted (Ctrl-C, SIGTERM).

Options:
  --only LIST  Run only these sections, comma-separated letters (a–i, p, s; b and c need a,
               f comes with e; h reuses e's 1M-sheet database when e runs), e.g. --only g for
               the hostile requests alone
  --help       Show this text

Environment:
  BENCH_INGEST_SHEETS   Sheets for figures a–c (default 100000)
  BENCH_READ_SIZES      Database sizes for figure e, comma-separated (default 10000,100000,1000000)
  BENCH_WRK_SECONDS     Seconds of each wrk run for figure d (default 10)
  BENCH_EXPORT_SHEETS      Sheets for figure h when e does not run (default 1000000)
  BENCH_EXPERIMENT_SHEETS  Sheets of the experiment dataset of figure i (default 1000000)
  BENCH_SIMULATE_SHEETS    Sheets deno task simulate uploads for figure s (default 200000)
  BENCH_PG_URL          PostgreSQL server for section p, as postgres://user@host:port/db (a
                        database per figure is created there and dropped); default a throwaway
                        cluster of its own (initdb and pg_ctl from Debian's postgresql-15)
  BENCH_PG_READ_SIZES   Database sizes of section p's reads (default 100000,1000000)

Quick look: BENCH_INGEST_SHEETS=20000 BENCH_READ_SIZES=2000,10000 BENCH_WRK_SECONDS=3 deno task bench`;

interface Figure {
  id: string;
  name: string;
  value: number;
  unit: string;
  ceiling?: { name: string; value: number };
  /** value / ceiling, or growth for latency figures. */
  ratio?: number;
  target?: string;
  met?: boolean;
}

const INGEST_SHEETS = Number(Deno.env.get("BENCH_INGEST_SHEETS") ?? 100_000);
const READ_SIZES = (Deno.env.get("BENCH_READ_SIZES") ?? "10000,100000,1000000").split(",").map(
  Number,
);
const WRK_SECONDS = Number(Deno.env.get("BENCH_WRK_SECONDS") ?? 10);
/** Seconds of unmeasured load each server of figure d takes first. */
const WRK_WARMUP_SECONDS = 2;
const EXPORT_SHEETS = Number(Deno.env.get("BENCH_EXPORT_SHEETS") ?? 1_000_000);
const EXPERIMENT_SHEETS = Number(Deno.env.get("BENCH_EXPERIMENT_SHEETS") ?? 1_000_000);
const SIMULATE_SHEETS = Number(Deno.env.get("BENCH_SIMULATE_SHEETS") ?? 200_000);
const figures: Figure[] = [];
const GAME_MODES = ["solo", "duos", "squads"] as const;
const started = performance.now();
const flags = readFlags(USAGE, { only: { type: "string" } });
if (typeof flags === "number") Deno.exit(flags);
const ONLY = flags.values.only;
const SECTIONS = new Set(
  (ONLY ?? "a,b,c,d,s,e,f,g,h,i,p").split(",").map((section) => section.trim()),
);
const workDir = await Deno.makeTempDir({ prefix: "loot_bench_" });
/** Server processes still running, stopped when the run is interrupted. */
const running = new Set<ServerProcess>();

/** Starts a server process that an interrupt also stops. */
async function startTrackedServer(args: string[]): Promise<ServerProcess> {
  const server = await startServerProcess(args);
  running.add(server);
  const stop = server.stop;
  const untrack = (signal?: Deno.Signal) => {
    running.delete(server);
    return stop(signal);
  };
  return { ...server, stop: untrack, [Symbol.asyncDispose]: async () => void await untrack() };
}

// An interrupted run removes its temporary files (up to 1 GB) instead of leaving them behind.
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  Deno.addSignalListener(signal, () => {
    for (const server of running) {
      try {
        server.child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }
    removeWorkDir();
    console.error(`\n${signal}: benchmark stopped; removed ${workDir}`);
    Deno.exit(signal === "SIGINT" ? 130 : 143);
  });
}

/**
 * Removes the temporary files. An in-process store's write worker may still be creating one (a
 * WAL beside a database) while the folder is emptied, so a folder found not empty is tried again.
 */
function removeWorkDir(): void {
  for (let attempt = 1;; attempt++) {
    try {
      Deno.removeSync(workDir, { recursive: true });
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      if (attempt === 10) throw error;
    }
  }
}

function log(message: string) {
  console.error(`[${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}`);
}

/** (a) The storage limit: the same rows, with every index, in one transaction, one prepared statement. */
function benchRawInsert(sheets: StatSheet[]): number {
  const path = `${workDir}/raw.db`;
  openSqliteStore(path).close(); // the same schema, indexes included
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536");
  const rows = sheets.map((sheet) =>
    [
      sheet.match_id,
      sheet.player_id,
      sheet.timestamp!,
      JSON.stringify(sheet.looted_items),
      JSON.stringify(sheet.locations),
      "2026-01-01T00:00:00.000Z",
      Date.parse(sheet.timestamp!),
      sheet.match_duration!,
      sheet.player_level!,
      null,
      // As the store writes it: 8 bytes of xxHash.
      Buffer.from(fingerprintSheet(sheet), "hex"),
      Object.values(sheet.looted_items).reduce((sum, count) => sum + count, 0),
    ] as const
  );
  const insertSheet = db.prepare(
    `INSERT INTO stat_sheets (match_id, player_id, timestamp, looted_items, locations, created_at, ts_ms,
       match_duration, player_level, extra, fingerprint, units) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const t0 = performance.now();
  db.exec("BEGIN");
  for (const row of rows) insertSheet.run(...row);
  db.exec("COMMIT");
  const rate = sheets.length / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

/**
 * (b) The store's own path (validation aside): fingerprints, duplicate checks, group commit, and the
 * fold into the rollups, timed until a read counts every sheet.
 */
async function benchStoreIngest(sheets: StatSheet[]): Promise<number> {
  using store = openSqliteStore(`${workDir}/store.db`);
  const t0 = performance.now();
  for (let i = 0; i < sheets.length; i += 5_000) {
    await store.insertSheets(prepareSheets(sheets.slice(i, i + 5_000), new Date()));
  }
  // Timed until every sheet shows in the rollups: a read waits for the fold of what it follows.
  const { total_stat_sheets } = await store.aggregate();
  if (total_stat_sheets !== sheets.length) throw new Error(`stored ${total_stat_sheets} sheets`);
  return sheets.length / ((performance.now() - t0) / 1000);
}

/**
 * (c) Client → HTTP → validation → store → SQLite, with `clients` batch requests in flight, until
 * the totals count every sheet.
 */
async function benchHttpBatch(sheets: StatSheet[], clients: number): Promise<number> {
  await using server = await startTrackedServer(["--db", `${workDir}/http_${clients}.db`]);
  const client = createClient(server.url);
  const t0 = performance.now();
  const summary = await client.submitBatch(sheets, { chunkSize: 5_000, concurrency: clients });
  if (summary.failed > 0) throw new Error(`HTTP batch ingest failed: ${summary.errors[0]}`);
  // Timed until every sheet shows in the totals, as in (b).
  const { total_stat_sheets } = await client.aggregate();
  if (total_stat_sheets !== sheets.length) throw new Error(`stored ${total_stat_sheets} sheets`);
  return sheets.length / ((performance.now() - t0) / 1000);
}

/** (e) p50 and p99 of a request, sequentially, after a warm-up. */
async function measureLatency(
  url: () => string,
  count = 200,
): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 20; i++) await (await fetch(url())).arrayBuffer();
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const response = await fetch(url());
    await response.arrayBuffer();
    times.push(performance.now() - t0);
    if (!response.ok) throw new Error(`${url()} answered ${response.status}`);
  }
  times.sort((a, b) => a - b);
  return { p50: times[Math.floor(count * 0.5)]!, p99: times[Math.floor(count * 0.99)]! };
}

async function benchReads(): Promise<void> {
  const maxSheets = Math.max(...READ_SIZES);
  const matches = Math.ceil(maxSheets / 4);
  // One generator for every size, so match ids keep one width as the database grows.
  const generator = simulateMatches({ matches, seed: 11 });
  const dbPath = `${workDir}/reads.db`;
  let stored = 0;
  const latencies: Record<string, Record<number, { p50: number; p99: number }>> = {};
  for (const size of READ_SIZES) {
    {
      using store = openSqliteStore(dbPath);
      const t0 = performance.now();
      while (stored < size) {
        const chunk: StatSheet[] = [];
        while (chunk.length < 5_000 && stored + chunk.length < size) {
          const next = generator.next();
          if (next.done) break;
          // Three game modes, a match at a time, so group_by and per-mode series have groups.
          const mode = GAME_MODES[Math.floor((stored + chunk.length) / 4) % GAME_MODES.length]!;
          chunk.push({ ...next.value, game_mode: mode });
        }
        if (chunk.length === 0) break;
        await store.insertSheets(prepareSheets(chunk, new Date()));
        stored += chunk.length;
      }
      log(
        `read dataset at ${formatCount(stored)} sheets (grew in ${
          ((performance.now() - t0) / 1000).toFixed(1)
        } s)`,
      );
    }
    await using server = await startTrackedServer(["--db", dbPath]);
    const storedMatches = Math.ceil(stored / 4);
    const width = Math.max(3, String(matches).length);
    const randomMatch = () =>
      `match_${String(1 + Math.floor(Math.random() * storedMatches)).padStart(width, "0")}`;
    const randomPlayer = () => {
      const match = 1 + Math.floor(Math.random() * storedMatches);
      return `player_${match}_${1 + Math.floor(Math.random() * 4)}`;
    };
    // One day of the series, from the first match (the simulator starts at 2025-10-23T10:00Z).
    const day = "since=2025-10-23T00:00:00Z&until=2025-10-24T00:00:00Z";
    const endpoints: Record<string, () => string> = {
      "/api/aggregate": () => `${server.url}/api/aggregate`,
      "/api/heatmap/rubber_duck?bins=20": () => `${server.url}/api/heatmap/rubber_duck?bins=20`,
      "/api/stats?match_id=": () => `${server.url}/api/stats?match_id=${randomMatch()}`,
      "/api/aggregate?group_by=game_mode": () => `${server.url}/api/aggregate?group_by=game_mode`,
      "/api/aggregate?group_by=player_level": () =>
        `${server.url}/api/aggregate?group_by=player_level`,
      "/api/timeseries?interval=hour (one day)": () =>
        `${server.url}/api/timeseries?interval=hour&${day}`,
      "/api/timeseries?interval=hour&item=medkit&game_mode=solo (one day)": () =>
        `${server.url}/api/timeseries?interval=hour&item=medkit&game_mode=solo&${day}`,
      "/api/timeseries?interval=day (one week)": () =>
        `${server.url}/api/timeseries?interval=day&since=2025-10-23T00:00:00Z&until=2025-10-30T00:00:00Z`,
      "/api/players/:id": () => `${server.url}/api/players/${randomPlayer()}`,
      "/api/players?limit=100": () => `${server.url}/api/players?limit=100`,
    };
    for (const [name, url] of Object.entries(endpoints)) {
      (latencies[name] ??= {})[size] = await measureLatency(url);
    }
    if (size === maxSheets) {
      // (f) peak memory of the server after reads and a few more batches at full size.
      const client = createClient(server.url);
      await client.submitBatch(simulateMatches({ matches: 5_000, matchPrefix: "late", seed: 3 }), {
        chunkSize: 5_000,
        concurrency: 2,
      });
      await measureLatency(endpoints["/api/aggregate"]!, 50);
      const rss = (await readProcessMemory(server.child.pid)).peakRss;
      figures.push({
        id: "f",
        name: `Server peak RSS at ${formatCount(stored)} sheets`,
        value: rss / 2 ** 20,
        unit: "MiB",
        target: "≤ 300 MiB",
        met: rss <= 300 * 2 ** 20,
      });
    }
    await server.stop();
  }
  const bytes = statSync(dbPath).size;
  figures.push({
    id: "f",
    name: "Database bytes per sheet",
    value: bytes / (stored + 20_000),
    unit: "B",
  });
  const [small, large] = [Math.min(...READ_SIZES), maxSheets];
  for (const [name, bySize] of Object.entries(latencies)) {
    // Listings by an index (stats by match, one player) have a flat ceiling; rollups must not grow.
    const lookup = name.startsWith("/api/stats") || name.startsWith("/api/players/");
    const limit = name.startsWith("/api/stats") ? 5 : 10;
    for (const size of READ_SIZES) {
      const { p50, p99 } = bySize[size]!;
      const isLarge = size === large;
      const growth = p50 / bySize[small]!.p50;
      figures.push({
        id: "e",
        name: `${name} at ${formatCount(size)}: p50 (p99 ${p99.toFixed(2)} ms)`,
        value: p50,
        unit: "ms",
        ratio: isLarge ? growth : undefined,
        target: isLarge ? `p50 ≤ ${limit} ms${lookup ? "" : ", < 2× the 10k p50"}` : undefined,
        met: isLarge ? p50 <= limit && (lookup || growth < 2) : undefined,
      });
    }
  }
}

async function benchSinglePost(): Promise<void> {
  const wrk = await ensureWrk();
  if (!wrk) {
    figures.push({
      id: "d",
      name: "Single-sheet POST (wrk missing: apt-get install wrk)",
      value: NaN,
      unit: "req/s",
    });
    return;
  }
  // Each server first takes WRK_WARMUP_SECONDS of the same load, unmeasured: the first requests
  // after a start wait for JIT compilation and for the write worker to load, and within a 10 s
  // run they alone set the p99 (measured: 45–58 ms cold, 18–20 ms warm).
  let bare: WrkResult;
  {
    await using server = await startBareServer();
    await runWrk(server.url, { seconds: WRK_WARMUP_SECONDS, connections: 16, tag: "bare_warmup" });
    bare = await runWrk(server.url, { seconds: WRK_SECONDS, connections: 16, tag: "bare" });
  }
  await using server = await startTrackedServer(["--db", `${workDir}/single.db`]);
  await runWrk(server.url, { seconds: WRK_WARMUP_SECONDS, connections: 16, tag: "loot_warmup" });
  const ours = await runWrk(server.url, { seconds: WRK_SECONDS, connections: 16, tag: "loot" });
  if (ours.errors > 0) {
    throw new Error(`${ours.errors} non-2xx answers during the single-sheet POST benchmark`);
  }
  const ratio = ours.requestsPerSecond / bare.requestsPerSecond;
  figures.push({
    id: "d",
    name: `Single-sheet POST, 16 connections (p50 ${ours.p50Ms.toFixed(2)} ms, p99 ${
      ours.p99Ms.toFixed(2)
    } ms)`,
    value: ours.requestsPerSecond,
    unit: "req/s",
    ceiling: {
      name: `bare Deno.serve (p50 ${bare.p50Ms.toFixed(2)} ms, p99 ${bare.p99Ms.toFixed(2)} ms)`,
      value: bare.requestsPerSecond,
    },
    ratio,
    target: "≥ 0.3",
    met: ratio >= 0.3,
  });
  figures.push({
    id: "d",
    name: "Single-sheet POST, 16 connections: p99 latency",
    value: ours.p99Ms,
    unit: "ms",
    ceiling: { name: "bare Deno.serve", value: bare.p99Ms },
    target: "≤ 20 ms",
    met: ours.p99Ms <= 20,
  });
}

async function main() {
  log(`working in ${workDir}`);
  if (SECTIONS.has("a")) await benchIngest();
  if (SECTIONS.has("d")) {
    await benchSinglePost();
    log("d done");
  }
  if (SECTIONS.has("e") || SECTIONS.has("f")) {
    await benchReads();
    log("e, f done");
  }
  if (SECTIONS.has("s")) {
    await benchSimulateTask();
    log("s done");
  }
  if (SECTIONS.has("g")) {
    await benchHostile();
    log("g done");
  }
  if (SECTIONS.has("h")) {
    await benchExport();
    log("h done");
  }
  if (SECTIONS.has("i")) {
    await benchExperiment();
    log("i done");
  }
  if (SECTIONS.has("p")) {
    figures.push(
      ...await benchPostgres({
        workDir,
        ingestSheets: INGEST_SHEETS,
        readSizes: (Deno.env.get("BENCH_PG_READ_SIZES") ?? "100000,1000000").split(",").map(Number),
        wrkSeconds: WRK_SECONDS,
        wrk: await ensureWrk(),
        startServer: startTrackedServer,
        measureLatency,
        log,
      }),
    );
    log("p done");
  }
  printTable();
  if (ONLY === undefined) await writeResults();
  else console.log("\n--only given: bench/results.json (the full run's record) left as it was");
}

/**
 * (a') The least work that stores the same data: the original server's rows (one per sheet, items
 * and locations as JSON text, the unique key), in one transaction.
 */
function benchOriginalRows(sheets: StatSheet[]): number {
  const db = new DatabaseSync(`${workDir}/original.db`);
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA cache_size = -65536");
  db.exec(`CREATE TABLE stat_sheets (
    id INTEGER PRIMARY KEY AUTOINCREMENT, match_id TEXT NOT NULL, player_id TEXT NOT NULL,
    timestamp TEXT NOT NULL, looted_items TEXT NOT NULL, locations TEXT NOT NULL,
    created_at TEXT NOT NULL, UNIQUE (match_id, player_id))`);
  const insert = db.prepare(
    `INSERT INTO stat_sheets (match_id, player_id, timestamp, looted_items, locations, created_at)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const t0 = performance.now();
  db.exec("BEGIN");
  for (const sheet of sheets) {
    insert.run(
      sheet.match_id,
      sheet.player_id,
      sheet.timestamp!,
      JSON.stringify(sheet.looted_items),
      JSON.stringify(sheet.locations),
      "2026-01-01T00:00:00.000Z",
    );
  }
  db.exec("COMMIT");
  const rate = sheets.length / ((performance.now() - t0) / 1000);
  db.close();
  return rate;
}

/** (a) raw insert, (b) store ingest and (c) HTTP batch ingest, over the same sheets. */
async function benchIngest(): Promise<void> {
  const sheets = [...simulateMatches({ matches: Math.ceil(INGEST_SHEETS / 4), seed: 5 })].slice(
    0,
    INGEST_SHEETS,
  );
  const raw = benchRawInsert(sheets);
  figures.push({
    id: "a",
    name: `Raw insert, node:sqlite, ${formatCount(sheets.length)} sheets`,
    value: raw,
    unit: "sheets/s",
  });
  const original = benchOriginalRows(sheets);
  figures.push({
    id: "a'",
    name: "Original rows (one per sheet, JSON columns, unique key), node:sqlite",
    value: original,
    unit: "sheets/s",
  });
  log("a done");
  const store = await benchStoreIngest(sheets);
  figures.push({
    id: "b",
    name: "Store ingest, no HTTP",
    value: store,
    unit: "sheets/s",
    ceiling: { name: "(a)", value: raw },
    ratio: store / raw,
    target: "≥ 0.5",
    met: store / raw >= 0.5,
  });
  figures.push({
    id: "b",
    name: "Store ingest, no HTTP, against the original rows",
    value: store,
    unit: "sheets/s",
    ceiling: { name: "(a')", value: original },
    ratio: store / original,
  });
  log("b done");
  for (const clients of [1, 4]) {
    const rate = await benchHttpBatch(sheets, clients);
    figures.push({
      id: "c",
      name: `HTTP batch ingest, ${clients} client${clients > 1 ? "s" : ""}`,
      value: rate,
      unit: "sheets/s",
      ceiling: { name: "(a)", value: raw },
      ratio: rate / raw,
      target: "≥ 0.35",
      met: rate / raw >= 0.35,
    });
    figures.push({
      id: "c",
      name: `HTTP batch ingest, ${clients} client${
        clients > 1 ? "s" : ""
      }, against the original rows`,
      value: rate,
      unit: "sheets/s",
      ceiling: { name: "(a')", value: original },
      ratio: rate / original,
      target: "≥ 0.2",
      met: rate / original >= 0.2,
    });
    log(`c (${clients}) done`);
  }
}

/**
 * (g) The heaviest request of each hostile class, each against a server process while a second
 * client polls /api/health: the worst health latency one request imposes (ceiling 100 ms), and the
 * server's peak memory across them and the whole bad-input suite (ceiling 300 MiB).
 */
async function benchHostile(): Promise<void> {
  const writeKey = "bench-write-key";
  await using server = await startTrackedServer([
    "--db",
    `${workDir}/hostile.db`,
    "--write-key",
    writeKey,
    "--quiet",
  ]);
  const { figures: hostile, peakRss, suiteRequests, suite5xx } = await benchHostileRequests(
    server,
    writeKey,
  );
  for (const figure of hostile) {
    figures.push({
      id: "g",
      name: `/api/health worst latency during: ${figure.name} (answered ${figure.status} in ${
        figure.requestMs.toFixed(0)
      } ms)`,
      value: figure.worstHealthMs,
      unit: "ms",
      ceiling: { name: "ms", value: 100 },
      ratio: figure.worstHealthMs / 100,
      target: "< 100 ms",
      met: figure.worstHealthMs < 100 && figure.status < 500,
    });
  }
  figures.push({
    id: "g",
    name:
      `Server peak RSS across ${suiteRequests} bad-input requests and the above (${suite5xx} 5xx)`,
    value: peakRss / 2 ** 20,
    unit: "MiB",
    target: "≤ 300 MiB",
    met: peakRss <= 300 * 2 ** 20 && suite5xx === 0,
  });
}

/**
 * (h) `GET /api/export` of every sheet, CSV then Parquet, from a fresh server process over the
 * 1M-sheet database of e (or one built here): throughput, and the process's peak RSS across both
 * (ceiling 300 MiB, the same as f: an export must not hold the result set).
 */
async function benchExport(): Promise<void> {
  let dbPath = `${workDir}/reads.db`;
  let sheets: number;
  try {
    statSync(dbPath);
    using store = openSqliteStore(dbPath);
    sheets = (await store.aggregate()).total_stat_sheets;
  } catch {
    dbPath = `${workDir}/export.db`;
    using store = openSqliteStore(dbPath);
    const t0 = performance.now();
    let chunk: StatSheet[] = [];
    for (const sheet of simulateMatches({ matches: Math.ceil(EXPORT_SHEETS / 4), seed: 13 })) {
      chunk.push(sheet);
      if (chunk.length === 5_000) {
        await store.insertSheets(prepareSheets(chunk, new Date()));
        chunk = [];
      }
    }
    if (chunk.length > 0) await store.insertSheets(prepareSheets(chunk, new Date()));
    sheets = (await store.aggregate()).total_stat_sheets;
    log(
      `export dataset at ${formatCount(sheets)} sheets (built in ${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s)`,
    );
  }
  await using server = await startTrackedServer(["--db", dbPath, "--quiet"]);
  const before = (await readProcessMemory(server.child.pid)).rss;
  for (const format of ["csv", "parquet"] as const) {
    const t0 = performance.now();
    const response = await fetch(`${server.url}/api/export?format=${format}`, {
      headers: { "accept-encoding": "identity" },
    });
    if (!response.ok) throw new Error(`/api/export answered ${response.status}`);
    let bytes = 0;
    let lines = 0;
    for await (const chunk of response.body!) {
      bytes += chunk.byteLength;
      if (format === "csv") { for (const byte of chunk) if (byte === 10) lines++; }
    }
    const seconds = (performance.now() - t0) / 1000;
    if (format === "csv" && lines - 1 !== sheets) {
      throw new Error(`CSV export has ${lines - 1} rows for ${sheets} sheets`);
    }
    figures.push({
      id: "h",
      name: `Export ${formatCount(sheets)} sheets as ${format} (${
        (bytes / 2 ** 20).toFixed(0)
      } MiB in ${seconds.toFixed(1)} s)`,
      value: sheets / seconds,
      unit: "sheets/s",
    });
    log(`h: ${format} exported`);
  }
  const peak = (await readProcessMemory(server.child.pid)).peakRss;
  figures.push({
    id: "h",
    name: `Server peak RSS exporting ${formatCount(sheets)} sheets (${
      (before / 2 ** 20).toFixed(0)
    } MiB before)`,
    value: peak / 2 ** 20,
    unit: "MiB",
    target: "≤ 300 MiB",
    met: peak <= 300 * 2 ** 20,
  });
}

/**
 * (s) `deno task simulate` end to end, as a user runs it (its default batch size and concurrency)
 * against a server on a fresh database: generation, HTTP upload, ingest and the closing totals.
 * Its ceiling is the same generation written as NDJSON to a file, which uploads nothing. The
 * target, a million sheets in 40 s, is a rate of 25,000 sheets/s.
 */
async function benchSimulateTask(): Promise<void> {
  const matches = Math.ceil(SIMULATE_SHEETS / SIMULATION_DEFAULTS.playersPerMatch);
  const sheets = matches * SIMULATION_DEFAULTS.playersPerMatch;
  const simulate = async (args: string[]) => {
    const t0 = performance.now();
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "-P=simulate", "cli/simulate.ts", "--matches", String(matches), ...args],
      cwd: new URL("..", import.meta.url).pathname,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) {
      throw new Error(`deno task simulate failed: ${new TextDecoder().decode(stderr)}`);
    }
    return sheets / ((performance.now() - t0) / 1000);
  };
  const generated = await simulate(["--generate-only", "--out", `${workDir}/simulated.ndjson`]);
  await using server = await startTrackedServer(["--db", `${workDir}/simulate.db`]);
  const rate = await simulate(["--server", server.url]);
  figures.push({
    id: "s",
    name: `deno task simulate, ${formatCount(sheets)} sheets to a server (1M in ${
      (1_000_000 / rate).toFixed(0)
    } s at this rate)`,
    value: rate,
    unit: "sheets/s",
    ceiling: { name: "generating them alone (--generate-only)", value: generated },
    ratio: rate / generated,
    target: "≥ 25,000 /s (1M in ≤ 40 s)",
    met: rate >= 25_000,
  });
}

/**
 * (i) `GET /api/experiments/drop_boost` on battle_royale_ab grown to BENCH_EXPERIMENT_SHEETS
 * sheets, with a pool of 20,000 returning players: the analysis reads the per-player rollup
 * (one row per player), so its cost follows players, not sheets.
 */
async function benchExperiment(): Promise<void> {
  const ab = findScenario("battle_royale_ab")!;
  const file = formatScenario(ab);
  const scenario = parseScenario({
    ...file,
    players: { ...(file.players as Record<string, unknown>), pool_size: 20_000 },
  });
  const dbPath = `${workDir}/experiment.db`;
  {
    using store = openSqliteStore(dbPath);
    const t0 = performance.now();
    let stored = 0;
    let chunk: StatSheet[] = [];
    for (const sheet of simulateScenario(scenario, { matches: 100_000, seed: 17 })) {
      chunk.push(sheet);
      if (chunk.length === 5_000 || stored + chunk.length >= EXPERIMENT_SHEETS) {
        await store.insertSheets(prepareSheets(chunk, new Date()));
        stored += chunk.length;
        chunk = [];
        if (stored >= EXPERIMENT_SHEETS) break;
      }
    }
    log(
      `experiment dataset at ${formatCount(stored)} sheets (${
        ((performance.now() - t0) / 1000).toFixed(1)
      } s)`,
    );
  }
  await using server = await startTrackedServer(["--db", dbPath]);
  for (const [label, query] of [["units", ""], ["item:medkit", "?metric=item:medkit"]]) {
    const { p50, p99 } = await measureLatency(
      () => `${server.url}/api/experiments/drop_boost${query}`,
      100,
    );
    figures.push({
      id: "i",
      name: `/api/experiments/drop_boost (${label}) at ${
        formatCount(EXPERIMENT_SHEETS)
      }: p50 (p99 ${p99.toFixed(2)} ms)`,
      value: p50,
      unit: "ms",
      target: "p50 ≤ 50 ms",
      met: p50 <= 50,
    });
  }
}

async function writeResults() {
  const cpu = cpus()[0]?.model ?? "unknown";
  const results = {
    date: new Date().toISOString(),
    machine: {
      cpu,
      cores: navigator.hardwareConcurrency,
      memoryGiB: Math.round(Deno.systemMemoryInfo().total / 2 ** 30),
      deno: Deno.version.deno,
    },
    seconds: Math.round((performance.now() - started) / 1000),
    figures,
  };
  await Deno.writeTextFile(
    new URL("./results.json", import.meta.url),
    `${JSON.stringify(results, null, 2)}\n`,
  );
  console.log(
    `\nWritten to bench/results.json (${results.seconds} s on ${cpu}, ${results.machine.cores} cores)`,
  );
}

function printTable() {
  const rows = figures.map((figure) => [
    figure.id,
    figure.name,
    `${formatValue(figure.value)} ${figure.unit}`,
    figure.ceiling ? `${formatValue(figure.ceiling.value)} ${figure.ceiling.name}` : "",
    figure.ratio === undefined ? "" : figure.ratio.toFixed(2),
    figure.target ?? "",
    figure.met === undefined ? "" : figure.met ? "yes" : "NO",
  ]);
  const header = ["#", "Figure", "Value", "Ceiling", "Ratio", "Target", "Met"];
  console.log(`\n${formatTable(header, rows, { rule: true }).join("\n")}`);
}

function formatValue(value: number): string {
  if (!Number.isFinite(value)) return "n/a";
  return value >= 100 ? formatCount(value) : value.toFixed(2);
}

try {
  await main();
} finally {
  await Deno.remove(workDir, { recursive: true });
}
// The signal listeners would keep the process alive.
Deno.exit(0);
