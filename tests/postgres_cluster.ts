/**
 * A throwaway PostgreSQL cluster for tests and benchmarks: `initdb` in a temporary folder and
 * `pg_ctl` on a free loopback port, never a system service. As root, the cluster runs as the
 * `postgres` user (PostgreSQL refuses to run as root). Under `CI=true` a missing PostgreSQL is an
 * error; elsewhere the caller is told why it was skipped.
 * @module
 */

/** A running cluster; dispose it (or `stop()`) to stop it and remove its files. */
export interface PostgresCluster extends AsyncDisposable {
  /** Connection URL of the cluster's `postgres` database, as `--db` takes it. */
  url: string;
  port: number;
  stop(): Promise<void>;
  /** Stops it synchronously, for an `unload` handler, where nothing can be awaited. */
  stopSync(): void;
  /** Stops the server but keeps its files, as an outage would; `resume` starts it again. */
  pause(): Promise<void>;
  resume(): Promise<void>;
}

/** Why no cluster could be started here (PostgreSQL is not installed). */
export interface PostgresUnavailable {
  skipped: string;
}

/**
 * Starts a cluster, or says why it cannot. Throws when PostgreSQL is installed but fails to start,
 * and when it is missing under `CI=true` (where `.ci/run` installs it).
 */
export async function startPostgresCluster(): Promise<PostgresCluster | PostgresUnavailable> {
  const bindir = await findBindir();
  if (!bindir) {
    const reason =
      "PostgreSQL is not installed (no pg_config on PATH): apt-get install postgresql-15";
    if (Deno.env.get("CI") === "true") throw new Error(`${reason}; CI requires it`);
    return { skipped: reason };
  }
  const dir = await Deno.makeTempDir({ prefix: "loot_pg_" });
  const asRoot = Deno.uid() === 0;
  const owner = asRoot ? "postgres" : undefined;
  if (owner) await run("chown", [owner, dir]);
  const as = (command: string, args: string[]) =>
    owner ? run("runuser", ["-u", owner, "--", command, ...args]) : run(command, args);
  const data = `${dir}/data`;
  // --no-sync: initdb's own fsyncs; the server still commits with fsync (synchronous_commit on).
  await as(`${bindir}/initdb`, [
    "-D",
    data,
    "-A",
    "trust",
    "-U",
    "loot",
    "--no-sync",
    "-E",
    "UTF8",
  ]);
  const port = findFreePort();
  const startServer = () =>
    as(`${bindir}/pg_ctl`, [
      "-D",
      data,
      "-l",
      `${dir}/server.log`,
      "-w",
      "-t",
      "30",
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=on -c synchronous_commit=on`,
      "start",
    ]);
  await startServer();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await as(`${bindir}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"]);
    await Deno.remove(dir, { recursive: true });
  };
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const args = ["-D", data, "-m", "fast", "-w", "stop"];
    const [command, commandArgs] = owner
      ? ["runuser", ["-u", owner, "--", `${bindir}/pg_ctl`, ...args]]
      : [`${bindir}/pg_ctl`, args];
    new Deno.Command(command, { args: commandArgs, stdout: "null", stderr: "null" }).outputSync();
    Deno.removeSync(dir, { recursive: true });
  };
  return {
    url: `postgres://loot@127.0.0.1:${port}/postgres`,
    port,
    stop,
    stopSync,
    pause: () => as(`${bindir}/pg_ctl`, ["-D", data, "-m", "fast", "-w", "stop"]),
    resume: startServer,
    [Symbol.asyncDispose]: stop,
  };
}

async function findBindir(): Promise<string | undefined> {
  try {
    const { code, stdout } = await new Deno.Command("pg_config", { args: ["--bindir"] }).output();
    return code === 0 ? new TextDecoder().decode(stdout).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function run(command: string, args: string[]): Promise<void> {
  const { code, stderr } = await new Deno.Command(command, {
    args,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} failed (exit ${code}): ${new TextDecoder().decode(stderr)}`,
    );
  }
}

function findFreePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
