import type { Hono } from "hono";
import { type AppOptions, createApp } from "../server/app.ts";
import type { AppEnv } from "../server/deps.ts";
import { prepareSheets, type StatSheet } from "../lib/mod.ts";
import type { InsertOutcome } from "../server/store/store.ts";
import { openSqliteStore, type SqliteStore } from "../server/store/sqlite.ts";
import type { Store } from "../server/store/store.ts";

/** A valid wire-format stat sheet; override any field, or set one to undefined to drop it. */
export function makeSheet(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const sheet: Record<string, unknown> = {
    match_id: "match_001",
    player_id: "player_1_1",
    timestamp: "2025-10-23T10:30:00",
    looted_items: { rubber_duck: 3, medkit: 1, ammo_box: 2, grenade: 0, gold_coin: 4 },
    locations: { rubber_duck: [25.5, 75.2], medkit: [10.0, 50.0] },
    match_duration: 1250,
    player_level: 23,
    ...overrides,
  };
  for (const [key, value] of Object.entries(sheet)) if (value === undefined) delete sheet[key];
  return sheet;
}

/** An app over a private in-memory store; dispose it to close the store. */
export interface TestApp extends Disposable {
  app: Hono<AppEnv>;
  store: Store;
  /** Errors the app logged as unexpected (should stay empty). */
  logged: unknown[];
}

/** Creates an app over `:memory:` SQLite, for in-process HTTP tests. */
export function createTestApp(options: AppOptions = {}): TestApp {
  const store = openSqliteStore(":memory:");
  const logged: unknown[] = [];
  const app = createApp(store, { logError: (error) => logged.push(error), ...options });
  return { app, store, logged, [Symbol.dispose]: () => store.close() };
}

/** POSTs a JSON value (or raw text when `body` is a string) with `content-type: application/json` by default. */
export function post(
  app: Hono<AppEnv>,
  path: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return Promise.resolve(app.request(path, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  }));
}

/** GETs a path and returns status and parsed JSON body. */
// The body is untyped on purpose: tests assert its shape field by field.
export async function getJson(
  app: Hono<AppEnv>,
  path: string,
  // deno-lint-ignore no-explicit-any
): Promise<{ status: number; body: any }> {
  const response = await app.request(path);
  return { status: response.status, body: await response.json() };
}

/** Returns a temporary directory removed when disposed. */
export function makeTempDir(): { path: string } & Disposable {
  const path = Deno.makeTempDirSync({ prefix: "loot_test_" });
  return { path, [Symbol.dispose]: () => Deno.removeSync(path, { recursive: true }) };
}

/** The six charts the demo and the notebook write, in the original notebook's order. */
export const SIX_CHARTS = [
  "loot_totals",
  "duck_heatmap",
  "local_vs_server_comparison",
  "server_duck_heatmap",
  "item_distribution",
  "performance_dashboard",
] as const;

/** The six charts of the notebook's Modes, Over time and Players sections (game scenarios only). */
export const SECTION_CHARTS = [
  "mode_totals",
  "duck_heatmap_by_mode",
  "units_over_time",
  "player_progression",
  "units_per_sheet",
  "level_vs_units",
] as const;

/** Stores sheets the way every ingest path does: prepared (`prepareSheets`) at `receivedAt`. */
export async function storeSheets(
  store: Store,
  sheets: readonly StatSheet[],
  receivedAt: Date = new Date("2026-01-01T00:00:00Z"),
): Promise<InsertOutcome[]> {
  return await store.insertSheets(prepareSheets(sheets, receivedAt));
}

/** A SQLite store in a temporary file (diagnostics open the file themselves); dispose to remove both. */
export function openTempStore(): { store: SqliteStore; path: string } & Disposable {
  const dir = makeTempDir();
  const path = `${dir.path}/store.db`;
  const store = openSqliteStore(path);
  return {
    store,
    path,
    [Symbol.dispose]: () => {
      store.close();
      dir[Symbol.dispose]();
    },
  };
}

/** Three small sheets, one with an off-map location. */
export const SMALL_SHEETS: StatSheet[] = [
  {
    match_id: "m1",
    player_id: "p1",
    looted_items: { medkit: 2, grenade: 0 },
    locations: { medkit: [10, 90] },
  },
  {
    match_id: "m1",
    player_id: "p2",
    looted_items: { medkit: 1, shield: 4 },
    locations: { shield: [100, 0] },
  },
  {
    match_id: "m2",
    player_id: "p1",
    looted_items: { medkit: 3 },
    locations: { medkit: [150, 10] },
  },
];

const ROOT = new URL("../", import.meta.url).pathname;

/** Runs `deno task -q NAME ARGS…` from the project folder, as a user would; returns exit code and output. */
export async function runTask(
  name: string,
  args: string[] = [],
  options: { env?: Record<string, string>; cwd?: string } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "--config", `${ROOT}deno.json`, name, ...args],
    cwd: options.cwd ?? ROOT,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}
