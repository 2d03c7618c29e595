/** Load generation for the benchmarks: wrk from Debian against servers on loopback. */

/** What one wrk run measured. */
export interface WrkResult {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers and socket errors. */
  errors: number;
}

/** Finds wrk, installing it from Debian when missing and running as root; false when unavailable. */
export async function ensureWrk(): Promise<boolean> {
  const has = async () => {
    try {
      return (await new Deno.Command("wrk", { args: ["--version"], stdout: "null", stderr: "null" })
        .output()).code !== 127;
    } catch {
      return false;
    }
  };
  if (await has()) return true;
  if (Deno.uid() !== 0) return false;
  console.error("Installing wrk (the load generator) from Debian …");
  await new Deno.Command("apt-get", {
    args: ["install", "-y", "-qq", "wrk"],
    stdout: "null",
    stderr: "null",
  }).output();
  return await has();
}

/** Runs wrk with the stat-sheet script: `connections` connections for `seconds`, each request a new sheet. */
export async function runWrk(
  url: string,
  options: { seconds: number; connections: number; tag: string },
): Promise<WrkResult> {
  const script = new URL("./post_sheet.lua", import.meta.url).pathname;
  const { stdout } = await new Deno.Command("wrk", {
    args: [
      "-t2",
      `-c${options.connections}`,
      `-d${options.seconds}s`,
      "--latency",
      "-s",
      script,
      url,
      "--",
      options.tag,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stdout);
  const number = (pattern: RegExp) => Number(text.match(pattern)?.[1] ?? NaN);
  return {
    requestsPerSecond: number(/Requests\/sec:\s+([\d.]+)/),
    p50Ms: parseDuration(text.match(/\s50%\s+([\d.]+\w+)/)?.[1]),
    p99Ms: parseDuration(text.match(/\s99%\s+([\d.]+\w+)/)?.[1]),
    errors: (number(/Non-2xx or 3xx responses:\s+(\d+)/) || 0) +
      (number(/Socket errors:.*?timeout (\d+)/) || 0),
  };
}

function parseDuration(text: string | undefined): number {
  const match = text?.match(/^([\d.]+)(us|ms|s)$/);
  if (!match) return NaN;
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2] as "us" | "ms" | "s"];
}

/** Starts bench/bare_server.ts, the ceiling of the single-sheet POST benchmark. */
export async function startBareServer(): Promise<{ url: string } & AsyncDisposable> {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-net", new URL("./bare_server.ts", import.meta.url).pathname],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.getReader();
  const { value } = await reader.read();
  const port = new TextDecoder().decode(value).match(/listening (\d+)/)?.[1];
  reader.releaseLock();
  if (!port) throw new Error("bare server did not start");
  return {
    url: `http://127.0.0.1:${port}`,
    [Symbol.asyncDispose]: async () => {
      child.kill("SIGTERM");
      await child.status;
      await child.stdout.cancel();
    },
  };
}
