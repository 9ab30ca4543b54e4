// What a SQL statement gives back, whatever ran it (the local Spark, a SQL warehouse): named, typed columns
// and rows as objects. Shared by the runners, the output formats, the Arrow writer and the dashboard.

export interface Column {
  name: string;
  /** The engine's type name: Spark's simpleString (`int`, `decimal(38,6)`) or a Thrift type name. */
  type: string;
}

export interface StatementResult {
  columns: Column[];
  rows: Record<string, unknown>[];
  rowCount: number;
  truncated: boolean;
}

/** A result built from plain rows, every column typed as text (for reports printed as tables). */
export function textResult(rows: Record<string, unknown>[], names: string[] = Object.keys(rows[0] ?? {})): StatementResult {
  return { columns: names.map((name) => ({ name, type: 'string' })), rows, rowCount: rows.length, truncated: false };
}

/** Runs SQL statements with named parameters: the local Spark, or a SQL warehouse (see src/target.ts). */
export interface SqlRunner {
  /** Where the statements run, for progress lines: `local Spark over /lake`, `SQL warehouse 1234 of target dev`. */
  readonly where: string;
  run(statement: string, args: Record<string, string>): Promise<StatementResult>;
  close(): Promise<void>;
}

/**
 * What a cleaning notebook reports for its table, for the run: landed files and non-blank lines new this
 * run (all of them on a full refresh), keys inserted, updated and left unchanged by the merge, lines that
 * changed nothing (copies), records set aside, and the rows the table holds after the run.
 */
export interface TableReport {
  table_name: string;
  full_refresh: boolean;
  files_in: number;
  rows_in: number;
  inserted: number;
  updated: number;
  unchanged: number;
  duplicates_dropped: number;
  rejected: number;
  rows_out: number;
}

/** The report's columns, in the order the notebooks select and the commands print them. */
export const REPORT_COLUMNS = ['table_name', 'full_refresh', 'files_in', 'rows_in', 'inserted', 'updated', 'unchanged', 'duplicates_dropped', 'rejected', 'rows_out'] as const;
