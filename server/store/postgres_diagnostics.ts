/**
 * Checks that scan a whole PostgreSQL database: for tests, the multi-process tests and benchmarks,
 * never for request paths. Each opens its own short-lived connection, so a store can stay open
 * beside it (and other processes can keep writing: the check reads one snapshot).
 * @module
 */
import { connectPostgres } from "./postgres_connect.ts";
import { ROLLUP_RECOUNTS } from "./postgres_rollups.ts";

/**
 * Recounts every rollup from the sheets (shards summed) and lists each disagreement, none when
 * consistent: the contract of SQLite's `checkRollups`.
 */
export async function checkPostgresRollups(url: string): Promise<string[]> {
  const sql = connectPostgres(url, { max: 1, readOnly: true });
  try {
    // One snapshot for every comparison, so sheets committed meanwhile cannot look like drift.
    return await sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      const problems: string[] = [];
      for (const { table, stored, recount } of ROLLUP_RECOUNTS) {
        const [{ differing }] = await tx.unsafe<[{ differing: number }]>(
          `WITH stored AS (${stored}), recount AS (${recount})
           SELECT (SELECT COUNT(*) FROM (TABLE stored EXCEPT TABLE recount) a) +
                  (SELECT COUNT(*) FROM (TABLE recount EXCEPT TABLE stored) b) AS differing`,
        );
        if (differing > 0) problems.push(`${table} differs from a recount in ${differing} rows`);
      }
      return problems;
    });
  } finally {
    await sql.end();
  }
}
