/**
 * Typed reads over `node:sqlite` statements. `StatementSync` returns rows as loosely typed records;
 * the row types are declared where each query is written, and narrowed in one place here.
 * @module
 */
import type { SQLInputValue, StatementSync } from "node:sqlite";

/** A value bound to a `?` placeholder. */
export type SqlParam = SQLInputValue;

/** Every row of `statement`, typed as the query's declared columns. */
export function allRows<Row>(statement: StatementSync, params: readonly SqlParam[] = []): Row[] {
  return statement.all(...params) as Row[];
}

/** The first row of a query that always yields one (an aggregate, a count). */
export function firstRow<Row>(statement: StatementSync, params: readonly SqlParam[] = []): Row {
  const row = statement.get(...params);
  if (row === undefined) throw new Error(`Query returned no row: ${statement.sourceSQL}`);
  return row as Row;
}

/** The first row of a query, or undefined when it yields none. */
export function maybeRow<Row>(
  statement: StatementSync,
  params: readonly SqlParam[] = [],
): Row | undefined {
  return statement.get(...params) as Row | undefined;
}
