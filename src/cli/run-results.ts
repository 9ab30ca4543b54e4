// After a successful run: the cleaning reports and the nine results, read back from the tables the run
// wrote through the target's SQL runner (a SQL notebook has no exit value on Databricks, nor locally).
import type { Config } from '../config/index.ts';
import { readRunResults } from '../deploy/results.ts';
import type { JobSpec } from '../job/index.ts';
import type { SqlRunner } from '../sql/result.ts';
import { targetOf } from '../target.ts';
import { printNamedResults, printReports, type Print } from './print.ts';

export async function printRunResults(config: Config, job: JobSpec, runId: number, log: Print, out: Print): Promise<void> {
  let sql: SqlRunner;
  try {
    sql = await targetOf(config).sql(log);
  } catch (e) {
    log(`run-job: the reports and results are in the tables; to print them here: ${e instanceof Error ? e.message : String(e)}`);
    return;
  }
  try {
    const read = await readRunResults(config, sql, job, String(runId));
    if (read.reports.length) printReports(log, read.reports);
    printNamedResults(out, read.results);
    if (read.reports.length) out(`${JSON.stringify(read.reports)}\n`);
  } finally {
    await sql.close();
  }
}
