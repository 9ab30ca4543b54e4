// What the commands print, in one place: tables of rows (reports, summaries, reconciliations) to stderr for
// people, results to stdout (table, JSON, CSV) or to files (Arrow IPC), and a job run's summary.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RunSummary } from '../deploy/run.ts';
import type { TableReport } from '../local/batch.ts';
import { REPORT_COLUMNS, textResult, type StatementResult } from '../sql/result.ts';
import { resultToArrowFile } from '../warehouse/arrow.ts';
import { formatResult, formatTable, type OutputFormat } from './format.ts';

export type Print = (text: string) => void;

/** Rows as an aligned table, columns in the order given (or of the first row). */
export function rowsTable(rows: Record<string, unknown>[], names?: string[]): string {
  return formatTable(textResult(rows, names));
}

export function printReports(log: Print, reports: TableReport[]): void {
  log(rowsTable(reports as unknown as Record<string, unknown>[], [...REPORT_COLUMNS]));
}

/** Named results, each as `== name` and a table. */
export function printNamedResults(out: Print, results: Iterable<[string, StatementResult]>): void {
  for (const [name, result] of results) out(`== ${name}\n${formatTable(result)}\n\n`);
}

/** A job run: each task's state, time, attempt and error; the error output of failed tasks. */
export function printRunSummary(log: Print, out: Print, summary: RunSummary): void {
  const rows = summary.tasks.map((t) => ({ task: t.taskKey, state: t.state, seconds: t.seconds.toFixed(1), attempt: t.attempt, error: t.error ?? '' }));
  log(rowsTable(rows, ['task', 'state', 'seconds', 'attempt', 'error']));
  for (const t of summary.tasks) if (t.errorTrace && t.state !== 'SUCCESS') log(`--- ${t.taskKey} error output:\n${t.errorTrace}`);
}

/** Query results: to stdout as a table, JSON or CSV, to a file with --out, or as Arrow IPC files. */
export function printResults(log: Print, out: Print, results: Map<string, StatementResult>, format: OutputFormat | 'arrow', file: string | undefined): void {
  const names = [...results.keys()];
  if (format === 'arrow') {
    if (!file) throw new Error('printResults: arrow output needs a file');
    const many = names.length > 1;
    if (many) mkdirSync(file, { recursive: true });
    for (const [name, result] of results) {
      const target = many ? path.join(file, `${name}.arrow`) : file;
      writeFileSync(target, resultToArrowFile(result));
      log(`query: wrote ${target} (${result.rowCount} rows)`);
    }
    return;
  }
  let text: string;
  if (format === 'json' && names.length > 1) text = JSON.stringify(Object.fromEntries([...results].map(([n, r]) => [n, r.rows])), null, 2);
  else if (names.length > 1) text = [...results].map(([n, r]) => `== ${n}\n${formatResult(r, format)}\n`).join('\n');
  else text = formatResult(results.get(names[0]!)!, format);
  if (file) {
    writeFileSync(file, `${text}\n`);
    log(`query: wrote ${file}`);
  } else out(`${text}\n`);
}
