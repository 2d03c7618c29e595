/**
 * How the PostgreSQL engine connects: one place for the pool settings every part of it (the store,
 * its read pool, the diagnostics) uses.
 * @module
 */
import postgres from "postgres";

/** A connection pool as this engine configures it (bigint and numeric read as numbers). */
export type PostgresSql = postgres.Sql<{ bigint: number }>;
/** A transaction on a {@link PostgresSql} pool. */
export type PostgresTransaction = postgres.TransactionSql<{ bigint: number }>;

/**
 * Connects to `url` with the engine's settings: a small pool (`max`, default 4), notices
 * silenced, every commit durable (`synchronous_commit = on`: a resolved insert is on disk), and
 * `bigint`/`numeric` read as JS numbers rather than strings (counts, sums and epoch ms stay far
 * below 2^53). `readOnly` makes every transaction read-only.
 */
export function connectPostgres(
  url: string,
  options: { max?: number; readOnly?: boolean } = {},
): PostgresSql {
  return postgres(url, {
    max: options.max ?? 4,
    onnotice: () => {},
    // An unreachable host fails in seconds, as one start-up line, instead of hanging.
    connect_timeout: 10,
    types: {
      bigint: {
        to: 20,
        from: [20, 1700],
        serialize: (value: number) => String(value),
        parse: (value: string) => Number(value),
      },
    },
    connection: {
      application_name: "loot-telemetry",
      synchronous_commit: "on",
      ...(options.readOnly ? { default_transaction_read_only: true } : {}),
    },
  });
}

/** `host:port/database` of a PostgreSQL URL, never its user or password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    // Without a database name the driver (like libpq) connects to the one named after the user.
    const database = decodeURIComponent(parsed.pathname.replace(/^\//, "")) ||
      decodeURIComponent(parsed.username) || "postgres";
    return `${parsed.hostname || "localhost"}:${parsed.port || "5432"}/${database}`;
  } catch {
    return "(unparsable URL)";
  }
}
