/**
 * `deno task soak`: concurrent writers and readers against a real server process on loopback for a
 * fixed time; reports requests, 5xx answers, lost acknowledgements, p99 latency and server memory.
 * Exits non-zero when a 5xx, a lost acknowledgement or memory growth is seen.
 * @module
 */
import { ApiError, createClient, formatCount, simulateMatches } from "../lib/mod.ts";
import { readProcessMemory, startServerProcess } from "../server/child_process.ts";
import { runMain, StartupError } from "../server/startup.ts";
import { FlagError, readFlags, readIntegerFlag, reportUsageError } from "./_terminal.ts";

const USAGE = `Usage: deno task soak [options]

Runs writers and readers against a server process on loopback for a fixed time and reports
requests, 5xx answers, lost acknowledgements, p99 latency and the server's memory.

Options:
  --seconds N    How long to run (default 60, at most 3600)
  --writers N    Concurrent writers, alternating single sheets and batches of 50 (default 4)
  --readers N    Concurrent readers of aggregate, stats and heatmap (default 2)
  --help         Show this text`;

interface Tally {
  requests: number;
  serverErrors: number;
  otherFailures: number;
  latenciesMs: number[];
}

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    seconds: { type: "string" },
    writers: { type: "string" },
    readers: { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  let seconds: number, writers: number, readers: number;
  try {
    seconds = readIntegerFlag("seconds", values.seconds, { min: 1, max: 3_600 }) ?? 60;
    writers = readIntegerFlag("writers", values.writers, { min: 1, max: 64 }) ?? 4;
    readers = readIntegerFlag("readers", values.readers, { min: 0, max: 64 }) ?? 2;
  } catch (error) {
    if (!(error instanceof FlagError)) throw error;
    return reportUsageError(error.message, USAGE);
  }
  const dir = await Deno.makeTempDir({ prefix: "loot_soak_" });
  let server;
  try {
    server = await startServerProcess(["--db", `${dir}/soak.db`]);
  } catch (error) {
    await Deno.remove(dir, { recursive: true });
    const detail = (error as Error).message.trim().split("\n").at(-1);
    throw new StartupError(`The soak's server did not start: ${detail}`, { cause: error });
  }
  const rss = async () => (await readProcessMemory(server.child.pid)).rss / 2 ** 20;
  try {
    const client = createClient(server.url, { retries: 0 });
    const writes: Tally = { requests: 0, serverErrors: 0, otherFailures: 0, latenciesMs: [] };
    const reads: Tally = { requests: 0, serverErrors: 0, otherFailures: 0, latenciesMs: [] };
    let acknowledged = 0;
    const deadline = performance.now() + seconds * 1000;
    const memory: number[] = [];
    const sampler = setInterval(async () => memory.push(await rss()), 1000);
    console.error(
      `Soaking ${server.url} for ${seconds} s with ${writers} writers and ${readers} readers …`,
    );

    const timed = async (tally: Tally, call: () => Promise<unknown>) => {
      const started = performance.now();
      tally.requests++;
      try {
        await call();
        tally.latenciesMs.push(performance.now() - started);
        return true;
      } catch (error) {
        if (error instanceof ApiError && error.status >= 500) tally.serverErrors++;
        else tally.otherFailures++;
        return false;
      }
    };
    const writer = async (index: number) => {
      const sheets = simulateMatches({ matches: 10_000_000, matchPrefix: `soak${index}` });
      for (let round = 0; performance.now() < deadline; round++) {
        const batch = Array.from({ length: round % 2 === 0 ? 1 : 50 }, () => sheets.next().value!);
        const ok = await timed(
          writes,
          () =>
            batch.length === 1
              ? client.submit(batch[0]!)
              : client.submitBatch(batch, { chunkSize: 50 }).then((summary) => {
                if (summary.failed > 0) throw new ApiError(500, summary.errors[0]);
              }),
        );
        if (ok) acknowledged += batch.length;
      }
    };
    const reader = async (index: number) => {
      for (let round = index; performance.now() < deadline; round++) {
        await timed(reads, () =>
          [
            () => client.aggregate(),
            () => client.stats({ limit: 100 }),
            () => client.heatmapGrid("rubber_duck", { bins: 20 }),
          ][round % 3]!());
      }
    };
    await Promise.all([
      ...Array.from({ length: writers }, (_, i) => writer(i)),
      ...Array.from({ length: readers }, (_, i) => reader(i)),
    ]);
    clearInterval(sampler);
    const stored = (await client.aggregate()).total_stat_sheets;
    const lost = Math.max(0, acknowledged - stored);
    // Memory over the second half against the first: a leak shows as steady growth.
    const warm = memory.slice(1, Math.max(2, Math.ceil(memory.length / 2)));
    const late = memory.slice(Math.ceil(memory.length / 2));
    const start = Math.max(...warm);
    const end = Math.max(...late);
    const flat = end <= start * 1.25 + 16;

    const p = (values: number[], q: number) =>
      values.sort((a, b) => a - b)[Math.floor((values.length - 1) * q)] ?? NaN;
    const lines = [
      `Duration           ${seconds} s, ${writers} writers, ${readers} readers`,
      `Requests           ${formatCount(writes.requests + reads.requests)} (${
        formatCount((writes.requests + reads.requests) / seconds)
      }/s): ${formatCount(writes.requests)} writes, ${formatCount(reads.requests)} reads`,
      `Sheets acknowledged ${formatCount(acknowledged)}, stored ${
        formatCount(stored)
      }, lost ${lost}`,
      `5xx answers        ${writes.serverErrors + reads.serverErrors}`,
      `Other failures     ${writes.otherFailures + reads.otherFailures}`,
      `Write latency      p50 ${p(writes.latenciesMs, 0.5).toFixed(1)} ms, p99 ${
        p(writes.latenciesMs, 0.99).toFixed(1)
      } ms`,
      `Read latency       p50 ${p(reads.latenciesMs, 0.5).toFixed(1)} ms, p99 ${
        p(reads.latenciesMs, 0.99).toFixed(1)
      } ms`,
      `Server RSS         ${start.toFixed(0)} MiB early, ${end.toFixed(0)} MiB late (${
        flat ? "flat" : "GROWING"
      })`,
    ];
    console.log(lines.join("\n"));
    const passed = writes.serverErrors + reads.serverErrors === 0 && lost === 0 && flat;
    console.log(passed ? "Soak passed" : "Soak FAILED");
    return passed ? 0 : 1;
  } finally {
    await server.stop();
    await Deno.remove(dir, { recursive: true });
  }
}

await runMain(main);
