// What a job run produced, read back from the tables it wrote: on Databricks a SQL notebook has no exit
// value (runs/get-output gives no notebook_output.result for it), so run-job reads the same way on both
// targets. Each cleaning notebook records its report in `<uid>_<t>_reports` under the run's id; the query
// results are the queries notebook's own cells, run again over the tables the job just wrote. The SQL runs
// on the target's SQL runner: the SQL warehouse on Databricks, the local Spark locally.
import type { Config } from '../config/index.ts';
import { jobParameters, tableRef, type JobSpec } from '../job/index.ts';
import { CLEAN_TABLES, QUERY_NAMES } from '../notebook/index.ts';
import { REPORT_COLUMNS, type SqlRunner, type StatementResult, type TableReport } from '../sql/result.ts';
import { queryStatements } from '../warehouse/warehouse.ts';

/** A row with BIGINT values as numbers (a driver may give them as bigint). */
function plain(row: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v]));
}

export interface RunResults {
  reports: TableReport[];
  results: Map<string, StatementResult>;
}

/** The reports of the run's cleaning tasks and, when the job runs the queries notebook, the nine results. */
export async function readRunResults(config: Config, sql: SqlRunner, job: JobSpec, runId: string): Promise<RunResults> {
  const notebooks = new Set(job.tasks.map((t) => t.notebook));
  const reports: TableReport[] = [];
  for (const t of CLEAN_TABLES) {
    if (!notebooks.has(`clean/${t}`)) continue;
    const r = await sql.run(
      `SELECT ${REPORT_COLUMNS.join(', ')} FROM IDENTIFIER(:reports) WHERE run_id = :run_id`,
      { reports: tableRef(config, config.names.reports[t]), run_id: runId },
    );
    reports.push(...(r.rows.map(plain) as unknown as TableReport[]));
  }
  const results = new Map<string, StatementResult>();
  if (notebooks.has('queries')) {
    const params = jobParameters(config, config.landingRoot);
    for (const name of QUERY_NAMES) {
      let last: StatementResult | null = null;
      for (const s of queryStatements(name, params)) last = await sql.run(s.sql, s.args);
      results.set(name, { ...last!, rows: last!.rows.map(plain) });
    }
  }
  return { reports, results };
}
