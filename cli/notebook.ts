/**
 * `deno task notebook`: executes notebooks/simulator.ipynb headlessly with Jupyter's nbconvert into
 * outputs/simulator.executed.ipynb, exports that to outputs/simulator.executed.html, starting a
 * server in-process when none answers at LOOT_SERVER; lists every file it wrote or overwrote.
 * @module
 */
import { join, resolve } from "node:path";
import { createClient } from "../lib/mod.ts";
import { DEFAULT_DB_PATH } from "../server/config.ts";
import { type RunningServer, startServer } from "../server/serve.ts";
import { openStore, runMain } from "../server/startup.ts";
import type { Store } from "../server/store/store.ts";
import { readFlags, reportUsageError } from "./_terminal.ts";

const USAGE = `Usage: deno task notebook [options]

Executes notebooks/simulator.ipynb with Jupyter (no browser) and writes the executed copy, with all
outputs, to OUT/simulator.executed.ipynb, its HTML export to OUT/simulator.executed.html and the
charts to OUT/. Files already there are overwritten; the run lists each file it wrote.

Options:
  --out DIR        Output folder (env LOOT_OUTPUT_DIR, default outputs)
  --db PATH|URL    Database of the server started when none answers: a SQLite file or a
                   postgres:// URL (env LOOT_DB, default ${DEFAULT_DB_PATH})
  --fresh          Start that server on a temporary database instead
  --timeout S      Seconds a cell may run (default 600)
  --help           Show this text

Environment:
  LOOT_SERVER      Server the notebook talks to (default http://localhost:5000)`;

const INSTALL_JUPYTER = `Jupyter is not installed. On Debian or Ubuntu:
  sudo apt-get update && sudo apt-get install -y --no-install-recommends \\
    jupyter-nbconvert python3-nbclient python3-ipykernel jupyter-client
then install Deno's kernel: deno jupyter --install`;

const NOTEBOOK = new URL("../notebooks/simulator.ipynb", import.meta.url).pathname;
const EXECUTED = "simulator.executed.ipynb";
const EXPORTED_HTML = "simulator.executed.html";

async function main(): Promise<number> {
  const flags = readFlags(USAGE, {
    out: { type: "string" },
    db: { type: "string" },
    fresh: { type: "boolean" },
    timeout: { type: "string" },
  });
  if (typeof flags === "number") return flags;
  const { values } = flags;
  const timeout = values.timeout ?? "600";
  if (!/^\d{1,5}$/.test(timeout)) {
    return reportUsageError(
      `--timeout must be whole seconds, got ${JSON.stringify(timeout)}`,
      USAGE,
    );
  }

  const missing = await findMissingJupyter();
  if (missing) {
    console.error(missing);
    return 1;
  }

  const outDir = resolve(values.out ?? Deno.env.get("LOOT_OUTPUT_DIR") ?? "outputs");
  let serverUrl = Deno.env.get("LOOT_SERVER") ?? "http://localhost:5000";
  let started: { server: RunningServer; store: Store; tempDir?: string } | undefined;
  if (!(await createClient(serverUrl, { retries: 0 }).checkHealth()).healthy) {
    const tempDir = values.fresh ? await Deno.makeTempDir({ prefix: "loot_notebook_" }) : undefined;
    const store = await openStore(
      tempDir ? join(tempDir, "loot.db") : values.db ?? Deno.env.get("LOOT_DB") ?? DEFAULT_DB_PATH,
    );
    const server = await startServer(store, { port: 0, host: "127.0.0.1" });
    started = { server, store, tempDir };
    console.error(
      `No server answered at ${serverUrl}; started one in-process on ${server.url} (${store.description})`,
    );
    serverUrl = server.url;
  } else {
    console.error(`Using the server at ${serverUrl}`);
  }

  try {
    await Deno.mkdir(outDir, { recursive: true });
    const before = await readModifiedTimes(outDir);
    console.error(`Executing ${NOTEBOOK} …`);
    const executed = await runNbconvert([
      "--to",
      "notebook",
      "--execute",
      NOTEBOOK,
      "--output-dir",
      outDir,
      "--output",
      EXECUTED,
      `--ExecutePreprocessor.timeout=${timeout}`,
    ], { LOOT_SERVER: serverUrl, LOOT_OUTPUT_DIR: outDir });
    if (executed !== 0) {
      console.error(
        `The notebook failed (nbconvert exit ${executed}); the cell's error is printed above.`,
      );
      return executed;
    }
    const exported = await runNbconvert([
      "--to",
      "html",
      join(outDir, EXECUTED),
      "--output-dir",
      outDir,
      "--output",
      EXPORTED_HTML,
    ]);
    if (exported !== 0) {
      console.error(`The HTML export failed (nbconvert exit ${exported}); see above.`);
      return exported;
    }
    console.log(describeWrites(outDir, before, await readModifiedTimes(outDir)));
    return 0;
  } finally {
    if (started) {
      await started.server.shutdown();
      started.store.close();
      if (started.tempDir) await Deno.remove(started.tempDir, { recursive: true });
    }
  }
}

/** Runs `jupyter nbconvert` from notebooks/, so the notebook's relative paths resolve. */
async function runNbconvert(args: string[], env: Record<string, string> = {}): Promise<number> {
  const { code } = await new Deno.Command("jupyter", {
    args: ["nbconvert", ...args],
    cwd: new URL("../notebooks/", import.meta.url).pathname,
    // The debugger's frozen-modules notice is noise for a headless run.
    env: { ...env, PYDEVD_DISABLE_FILE_VALIDATION: "1" },
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return code;
}

/** Each file's modification time (ms) in `dir`, by name; subfolders are not the run's. */
async function readModifiedTimes(dir: string): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isFile) continue;
    times.set(entry.name, (await Deno.stat(join(dir, entry.name))).mtime?.getTime() ?? 0);
  }
  return times;
}

/** The files the run wrote, each marked new or overwritten, so a rerun never replaces work silently. */
function describeWrites(
  dir: string,
  before: Map<string, number>,
  after: Map<string, number>,
): string {
  const written = [...after].filter(([name, time]) => before.get(name) !== time)
    .map(([name]) => name).sort();
  const overwritten = written.filter((name) => before.has(name)).length;
  const width = Math.max(...written.map((name) => name.length));
  return [
    `Wrote ${written.length} files to ${dir} (${
      written.length - overwritten
    } new, ${overwritten} overwritten):`,
    ...written.map((name) =>
      `  ${name.padEnd(width)}  ${before.has(name) ? "overwritten" : "new"}`
    ),
    `Open the HTML export: ${join(dir, EXPORTED_HTML)}`,
  ].join("\n");
}

/** Returns what to install when nbconvert or the Deno kernelspec is missing, else undefined. */
async function findMissingJupyter(): Promise<string | undefined> {
  const run = async (args: string[]) => {
    try {
      const output = await new Deno.Command("jupyter", { args, stdout: "piped", stderr: "null" })
        .output();
      return output.success ? new TextDecoder().decode(output.stdout) : undefined;
    } catch {
      return undefined;
    }
  };
  if ((await run(["nbconvert", "--version"])) === undefined) return INSTALL_JUPYTER;
  const kernels = await run(["kernelspec", "list", "--json"]);
  const names = kernels ? Object.keys(JSON.parse(kernels).kernelspecs ?? {}) : [];
  if (!names.includes("deno")) {
    return "Deno's Jupyter kernel is not installed: run deno jupyter --install";
  }
  return undefined;
}

await runMain(main);
