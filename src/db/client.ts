import { fillPlaceholders, type SQL } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

const dialect = new SQLiteAsyncDialect();

/**
 * Runs drizzle `sql` statements as ONE D1 batch: one round trip, one transaction.
 *
 * drizzle-orm 0.45's own `db.batch()` cannot run raw `db.run(sql\`...\`)` statements that
 * have parameters (it calls `.bind` on a prepared statement it never created: "Cannot read
 * properties of undefined (reading 'bind')"), and the set-based, guarded statements of
 * the state transitions are raw SQL. drizzle still builds every statement and its bound
 * parameters; only the execution goes straight to the binding.
 */
export async function runBatch(d1: D1Database, statements: SQL[]): Promise<D1Result[]> {
  return d1.batch(
    statements.map((statement) => {
      const { sql, params } = dialect.sqlToQuery(statement);
      return d1.prepare(sql).bind(...params);
    }),
  );
}

/**
 * A batch whose SQL text never changes, built by drizzle once per isolate with
 * `sql.placeholder(name)` for every value: a hot path pays only for filling in the values,
 * not for building the same statements again on every request.
 */
export function compileBatch<Name extends string>(statements: SQL[]) {
  const queries = statements.map((statement) => dialect.sqlToQuery(statement));
  return (d1: D1Database, values: Record<Name, unknown>): Promise<D1Result[]> =>
    d1.batch(queries.map(({ sql, params }) => d1.prepare(sql).bind(...fillPlaceholders(params, values))));
}

/** The SQL text and parameters drizzle builds for a statement (tests read query plans with it). */
export function toQuery(statement: SQL) {
  return dialect.sqlToQuery(statement);
}

/** The rows a statement of a batch returned, typed by the caller. */
export function rowsOf<T>(result: D1Result | undefined): T[] {
  return (result?.results ?? []) as T[];
}

/** D1 errors that come from the data, not from D1: a retry cannot fix them. */
export function isDataError(error: unknown): boolean {
  return /SQLITE_CONSTRAINT|constraint failed|integer overflow|datatype mismatch|SQLITE_MISMATCH/i.test(describeError(error));
}

export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.message} ${String(error.cause ?? "")}`.trim() : String(error);
}
