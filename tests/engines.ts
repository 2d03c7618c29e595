/**
 * One test suite, two engines: `engineTest` registers a test once per storage engine, and
 * `openTestStore` / `openTestApp` give each test a fresh, empty store of the engine it runs on.
 *
 * PostgreSQL tests share one throwaway cluster per test process: the one `.ci/run` started (its URL
 * in `LOOT_TEST_PG_URL`), or else one started here on first use (`tests/postgres_cluster.ts`) and
 * stopped when the process ends. Each store gets a database of its own, dropped on dispose. Where
 * PostgreSQL is not installed, its tests are reported as ignored with the reason; under `CI=true`
 * they fail instead.
 * @module
 */
import postgres from "postgres";
import type { Hono } from "hono";
import { type AppOptions, createApp } from "../server/app.ts";
import type { AppEnv } from "../server/deps.ts";
import { openSqliteStore } from "../server/store/sqlite.ts";
import { checkRollups } from "../server/store/sqlite_diagnostics.ts";
import { openPostgresStore } from "../server/store/postgres.ts";
import { checkPostgresRollups } from "../server/store/postgres_diagnostics.ts";
import type { Store } from "../server/store/store.ts";
import { startPostgresCluster } from "./postgres_cluster.ts";

/** The storage engines every contract and HTTP test runs on. */
export const ENGINES = ["sqlite", "postgres"] as const;
/** One of {@link ENGINES}. */
export type EngineName = (typeof ENGINES)[number];

/** A fresh store for one test; dispose it to close it (and drop its PostgreSQL database). */
export interface TestStore extends AsyncDisposable {
  store: Store;
  engine: EngineName;
  /** Where it lives: `:memory:` for SQLite, the database URL for PostgreSQL. */
  location: string;
}

/** An app over a fresh store, for in-process HTTP tests; dispose it to close the store. */
export interface TestEngineApp extends AsyncDisposable {
  app: Hono<AppEnv>;
  store: Store;
  engine: EngineName;
  /** Where its store lives (see {@link TestStore.location}). */
  location: string;
  /** Errors the app logged as unexpected (should stay empty). */
  logged: unknown[];
}

/**
 * Registers `name [engine]` for every engine. A PostgreSQL test is ignored, with the reason in its
 * name, where PostgreSQL is not installed (never under `CI=true`, where that is a failure).
 */
export function engineTest(
  name: string,
  fn: (engine: EngineName, t: Deno.TestContext) => Promise<void>,
): void {
  for (const engine of ENGINES) {
    const skipped = engine === "postgres" ? postgresUnavailable() : undefined;
    Deno.test({
      name: skipped ? `${name} [${engine}] (skipped: ${skipped})` : `${name} [${engine}]`,
      ignore: skipped !== undefined,
      fn: (t) => fn(engine, t),
    });
  }
}

/**
 * Opens a fresh, empty store of `engine`. `onDisk` puts a SQLite store in a temporary file instead
 * of memory, for {@link checkTestRollups} and the read worker (PostgreSQL is always a database).
 */
export async function openTestStore(
  engine: EngineName,
  { onDisk = false }: { onDisk?: boolean } = {},
): Promise<TestStore> {
  if (engine === "sqlite") {
    const dir = onDisk ? Deno.makeTempDirSync({ prefix: "loot_test_" }) : undefined;
    const location = dir ? `${dir}/store.db` : ":memory:";
    const store = openSqliteStore(location);
    return {
      store,
      engine,
      location,
      [Symbol.asyncDispose]: () => {
        store.close();
        if (dir) Deno.removeSync(dir, { recursive: true });
        return Promise.resolve();
      },
    };
  }
  const database = await createDatabase();
  const store = await openPostgresStore(database.url);
  return {
    store,
    engine,
    location: database.url,
    [Symbol.asyncDispose]: async () => {
      await store.end();
      await database.drop();
    },
  };
}

/**
 * Recounts every rollup of a test store from its sheets and lists each disagreement (none when
 * consistent). A SQLite store must have been opened `onDisk`.
 */
export async function checkTestRollups(opened: TestStore): Promise<string[]> {
  if (opened.engine === "sqlite") {
    if (opened.location === ":memory:") throw new Error("open the SQLite store with onDisk: true");
    return checkRollups(opened.location);
  }
  return await checkPostgresRollups(opened.location);
}

/** Creates an app over a fresh store of `engine`, for in-process HTTP tests. */
export async function openTestApp(
  engine: EngineName,
  options: AppOptions = {},
): Promise<TestEngineApp> {
  const opened = await openTestStore(engine);
  const logged: unknown[] = [];
  const app = createApp(opened.store, { logError: (error) => logged.push(error), ...options });
  return {
    app,
    store: opened.store,
    engine,
    location: opened.location,
    logged,
    [Symbol.asyncDispose]: () => opened[Symbol.asyncDispose](),
  };
}

/**
 * A new empty database in the shared test cluster, with the URL to reach it and a way to drop it.
 * Throws where PostgreSQL is unavailable (callers check {@link postgresUnavailable} first).
 */
export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const adminUrl = await sharedClusterUrl();
  const template = await migratedTemplate(adminUrl);
  const name = `loot_test_${Date.now().toString(36)}_${(databaseCounter++).toString(36)}`;
  await withAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  return {
    url: databaseUrl(adminUrl, name),
    drop: () => withAdmin(adminUrl, (sql) => sql.unsafe(`DROP DATABASE ${name} WITH (FORCE)`)),
  };
}

/**
 * Why PostgreSQL tests cannot run in this process, or undefined when they can. Decided without
 * starting anything: a URL from `.ci/run`, else whether `pg_config` is on PATH.
 */
export function postgresUnavailable(): string | undefined {
  if (Deno.env.get("LOOT_TEST_PG_URL")) return undefined;
  if (hasPgConfig()) return undefined;
  const reason =
    "PostgreSQL is not installed (no pg_config on PATH): apt-get install postgresql-15";
  if (Deno.env.get("CI") === "true") {
    throw new Error(`${reason}; CI requires the PostgreSQL tests`);
  }
  return reason;
}

let databaseCounter = 0;
let templateName: Promise<string> | undefined;

/**
 * A database the store has migrated, copied for each test: a copy takes a few milliseconds where
 * running the migrations takes most of a second. Made once per process.
 */
function migratedTemplate(adminUrl: string): Promise<string> {
  templateName ??= (async () => {
    const name = `loot_template_${Date.now().toString(36)}_${Deno.pid}`;
    await withAdmin(adminUrl, (sql) => sql.unsafe(`CREATE DATABASE ${name}`));
    const store = await openPostgresStore(databaseUrl(adminUrl, name));
    await store.end(); // a template must have no connections while it is copied
    return name;
  })();
  return templateName;
}

function databaseUrl(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.href;
}
let clusterUrl: Promise<string> | undefined;

/** The cluster every PostgreSQL test of this process uses, started on first call. */
function sharedClusterUrl(): Promise<string> {
  const given = Deno.env.get("LOOT_TEST_PG_URL");
  if (given) return Promise.resolve(given);
  clusterUrl ??= (async () => {
    const cluster = await startPostgresCluster();
    if ("skipped" in cluster) throw new Error(`PostgreSQL tests cannot run: ${cluster.skipped}`);
    // Tests end without awaiting anything: stop the cluster synchronously as the process exits.
    globalThis.addEventListener("unload", () => cluster.stopSync());
    return cluster.url;
  })();
  return clusterUrl;
}

async function withAdmin<T>(url: string, run: (sql: postgres.Sql) => Promise<T>): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await run(sql);
  } finally {
    await sql.end();
  }
}

let pgConfigFound: boolean | undefined;

function hasPgConfig(): boolean {
  if (pgConfigFound === undefined) {
    try {
      pgConfigFound = new Deno.Command("pg_config", { args: ["--bindir"], stdout: "null" })
        .outputSync().code === 0;
    } catch {
      pgConfigFound = false;
    }
  }
  return pgConfigFound;
}
