/** A real `server/main.ts` child process: for end-to-end tests, benchmarks and the soak run. */
export interface ServerProcess extends AsyncDisposable {
  url: string;
  child: Deno.ChildProcess;
  /** Sends `signal` and resolves with the exit code and everything printed. */
  stop(signal?: Deno.Signal): Promise<{ code: number; output: string }>;
}

const MAIN = new URL("./main.ts", import.meta.url).pathname;

/** Starts the server on a free port and waits for its start-up line. */
export async function startServerProcess(
  args: string[],
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-net",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      MAIN,
      "--port",
      "0",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env,
  }).spawn();
  const decoder = new TextDecoder();
  let output = "";
  const reader = child.stdout.getReader();
  const stderr = new Response(child.stderr).text();
  let url: string | undefined;
  while (!url) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`Server exited before listening: ${output}${await stderr}`);
    output += decoder.decode(value, { stream: true });
    url = output.match(/on (http:\/\/\S+) /)?.[1];
  }
  const rest = (async () => {
    for (let next = await reader.read(); !next.done; next = await reader.read()) {
      output += decoder.decode(next.value);
    }
  })();
  let stopped: Promise<{ code: number; output: string }> | undefined;
  const stop = (signal: Deno.Signal = "SIGTERM") => {
    stopped ??= (async () => {
      try {
        child.kill(signal);
      } catch (error) {
        // It may have exited by itself already (a test that signalled it directly): nothing to stop.
        if (!(error instanceof TypeError)) throw error;
      }
      const status = await child.status;
      await rest;
      return { code: status.code, output: output + (await stderr) };
    })();
    return stopped;
  };
  return { url, child, stop, [Symbol.asyncDispose]: async () => void await stop() };
}

/** Resident memory of a process, now and at its peak, in bytes (Linux). */
export async function readProcessMemory(pid: number): Promise<{ rss: number; peakRss: number }> {
  // Deno grants /proc only with --allow-all; cat needs just the run permission the callers already hold.
  const { stdout } = await new Deno.Command("cat", {
    args: [`/proc/${pid}/status`],
    stdout: "piped",
    stderr: "null",
  }).output();
  const status = new TextDecoder().decode(stdout);
  const kib = (field: string) =>
    Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))?.[1] ?? 0) * 1024;
  return { rss: kib("VmRSS"), peakRss: kib("VmHWM") };
}
