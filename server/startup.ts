/**
 * Start-up failures as one line each: what could not be done (the port, the database path) and
 * what to do instead, without a stack trace. Shared by the server and every CLI task.
 * @module
 */
import { openSqliteStore } from "./store/sqlite.ts";
import type { Store } from "./store/store.ts";

/** A task could not start; the message is the one line to print (exit code 1). */
export class StartupError extends Error {
  override name = "StartupError";
}

/** Turns a failure to listen on `host:port` into a {@link StartupError} naming the port and the remedy. */
export function describeListenError(
  error: unknown,
  { port, host }: { port: number; host: string },
): StartupError {
  const where = `${host}:${port}`;
  const next = port === 0 ? "--port 0" : `--port ${port === 65_535 ? port - 1 : port + 1}`;
  let message: string;
  if (error instanceof Deno.errors.AddrInUse) {
    message =
      `Port ${port} is already in use on ${host} (another server is running there): stop it, or pick another port with ${next}`;
  } else if (error instanceof Deno.errors.AddrNotAvailable) {
    message =
      `Cannot listen on ${where}: the address ${host} is not one of this machine's; use --host 127.0.0.1 or --host 0.0.0.0`;
  } else if (error instanceof Deno.errors.PermissionDenied) {
    message =
      `Not allowed to listen on port ${port} (ports below 1024 need privileges): use a higher port, e.g. --port 5000`;
  } else if (error instanceof Deno.errors.NotCapable) {
    message =
      `Deno was not given network access for ${where}: run the task through deno task, whose permission set allows it`;
  } else {
    message = `Cannot listen on ${where}: ${firstLine(error)}; check --host and --port`;
  }
  return new StartupError(message, { cause: error });
}

/** Turns a failure to open the database at `path` into a {@link StartupError} naming the path and the remedy. */
export function describeDatabaseError(error: unknown, path: string): StartupError {
  const remedy = "pass a writable --db PATH (or set LOOT_DB), e.g. --db data/loot_telemetry.db";
  const code = (error as { code?: unknown })?.code;
  const text = firstLine(error);
  let reason: string;
  if (error instanceof Deno.errors.NotCapable) {
    reason = "Deno was not given access to it";
  } else if (isDirectory(path)) {
    reason = "it is a folder, not a file";
  } else if (
    code === "EEXIST" || code === "ENOTDIR" || error instanceof Deno.errors.NotADirectory
  ) {
    reason = "part of its folder path is a file, not a folder";
  } else if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    reason = "its folder is not writable";
  } else if (/readonly|read-only/i.test(text)) {
    reason = "it is read-only";
  } else if (/not a database|malformed|file is encrypted/i.test(text)) {
    reason = "the file is not a SQLite database (or is damaged)";
  } else if (/unable to open|cannot open|no such file|ENOENT/i.test(text) || code === "ENOENT") {
    reason = "it cannot be opened or created there";
  } else if (/newer than this server knows/.test(text)) {
    return new StartupError(`Cannot open the database ${path}: ${text}`, { cause: error });
  } else {
    reason = text;
  }
  return new StartupError(`Cannot open the database ${path}: ${reason}; ${remedy}`, {
    cause: error,
  });
}

/**
 * True when `location` names a PostgreSQL database (a `postgres://` or `postgresql://` URL); any
 * other `--db` value is a SQLite path.
 */
export function isPostgresUrl(location: string): boolean {
  // "postgres:/host" (one slash, a typo) is still meant for PostgreSQL: say what is wrong with it
  // rather than create a SQLite file of that name.
  return /^postgres(ql)?:/i.test(location.trim());
}

/** A database location fit for a log line: a PostgreSQL URL loses its password. */
export function redactLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = "***";
    return url.href;
  } catch {
    return "the PostgreSQL URL given";
  }
}

/**
 * Opens the store `location` names: PostgreSQL for a `postgres://` URL, else the SQLite file (or
 * `:memory:`). Throws a one-line {@link StartupError} naming the database and the remedy. The
 * PostgreSQL engine is loaded only when asked for.
 */
export async function openStore(
  location: string,
  options: { readOnly?: boolean } = {},
): Promise<Store> {
  if (isPostgresUrl(location)) {
    if (!URL.canParse(location) || !location.includes("://")) {
      // Never echo it: the text that failed to parse holds the password.
      throw new StartupError(
        "The PostgreSQL URL in --db (or LOOT_DB) is not a valid URL: write it as postgres://user:password@host:port/dbname, percent-encoding special characters in the password (@ as %40, : as %3A, / as %2F, # as %23)",
      );
    }
    const { openPostgresStore } = await import("./store/postgres.ts");
    try {
      return await openPostgresStore(location, options);
    } catch (error) {
      throw describePostgresError(error, location);
    }
  }
  try {
    return openSqliteStore(location, options);
  } catch (error) {
    throw describeDatabaseError(error, location);
  }
}

/** Turns a failure to open a PostgreSQL database into a {@link StartupError}, never showing the password. */
export function describePostgresError(error: unknown, url: string): StartupError {
  const where = redactLocation(url);
  const code = (error as { code?: unknown })?.code;
  const text = firstLine(error);
  let reason: string;
  let remedy = "check --db (or LOOT_DB)";
  if (error instanceof Deno.errors.NotCapable) {
    reason = "Deno was not given network access to it";
    remedy = "run the task through deno task, whose permission set allows it";
  } else if (code === "ECONNREFUSED" || error instanceof Deno.errors.ConnectionRefused) {
    reason = "nothing listens there (connection refused)";
    remedy = "start PostgreSQL, or fix the host and port in --db";
  } else if (code === "ENOTFOUND" || /failed to lookup|not known/i.test(text)) {
    reason = "its host name does not resolve";
  } else if (code === "3D000") {
    reason = "that database does not exist";
    remedy = "create it (createdb NAME) or name an existing one in --db";
  } else if (code === "28P01" || code === "28000") {
    reason = "the server refused the user or password";
    remedy = "fix the user and password in --db";
  } else if (code === "42501") {
    reason =
      "the user may not create the tables (PostgreSQL 15 lets only the owner create in public)";
    remedy =
      "create the database owned by that user (createdb --owner USER NAME), or GRANT CREATE ON SCHEMA public TO USER";
  } else if (code === "CONNECT_TIMEOUT" || /timeout/i.test(text)) {
    reason = "it did not answer in time";
  } else if (
    /newer than this server knows|no Loot Telemetry tables|read-only store cannot/.test(text)
  ) {
    return new StartupError(`Cannot open the PostgreSQL database ${where}: ${text}`, {
      cause: error,
    });
  } else {
    reason = text;
  }
  return new StartupError(`Cannot open the PostgreSQL database ${where}: ${reason}; ${remedy}`, {
    cause: error,
  });
}

/**
 * Runs a task's `main` and exits with its code. A {@link StartupError} is printed as its one line
 * and exits 1; anything else is a bug and keeps its stack.
 */
export async function runMain(main: () => Promise<number>): Promise<never> {
  let code: number;
  try {
    code = await main();
  } catch (error) {
    if (!(error instanceof StartupError)) throw error;
    console.error(error.message);
    code = 1;
  }
  Deno.exit(code);
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split("\n")[0]!.replace(/\.$/, "");
}
