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

/** What a cleaning notebook reports for its table. */
export interface TableReport {
  table_name: string;
  rows_in: number;
  rows_out: number;
  duplicates_dropped: number;
  rejected: number;
}
