// Executes a Databricks notebook source on the local Spark: widgets take their defaults unless a parameter
// is given, source cells are bound by the local target, SQL cells run statement by statement with their
// named parameters bound by Spark. A failure names the notebook, the cell and Spark's message.
import { PinpipeError } from '../errors.ts';
import { namedParameters, parseNotebook, splitStatements, type Cell, type SourceBinding } from '../notebook/index.ts';
import { SparkStatementError, type SparkClient } from './spark/index.ts';
import type { StatementResult } from '../sql/result.ts';

export interface CellResult {
  cell: number;
  step: string;
  resultName: string | null;
  result: StatementResult;
}

export interface NotebookRunOptions {
  client: SparkClient;
  /** Shown in progress and errors: `notebooks/clean/pin.sql`. */
  file: string;
  text: string;
  params: Record<string, string>;
  /**
   * The statements that bind a source cell on this target; `query` runs a statement in the notebook's
   * session and returns its rows (the local target reads what the bronze table holds).
   */
  bindSource: (binding: SourceBinding, topic: string, query: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<string[]>;
  progress?: (line: string) => void;
  /** Only run these result cells (by name); other result cells are skipped. */
  onlyResults?: readonly string[];
  group?: string;
  /** Checked before every statement (given its text): true stops the notebook (a cancelled or timed-out run). */
  shouldStop?: (statement: string) => boolean;
}

function stepTitle(cell: Cell): string | null {
  const m = /^-- MAGIC #+ (?:\d+\. )?(.+)$/m.exec(cell.text);
  return m ? m[1]!.trim() : null;
}

export async function runNotebook(options: NotebookRunOptions): Promise<CellResult[]> {
  const { client, file, text, params } = options;
  const progress = options.progress ?? (() => {});
  const cells = parseNotebook(file, text);
  const widgets: Record<string, string> = {};
  for (const cell of cells) for (const w of cell.widgets) widgets[w.name] = params[w.name] ?? w.defaultValue;
  const runnable = cells.filter((c) => c.kind === 'sql' || c.kind === 'source');
  const results: CellResult[] = [];
  let step = '';
  let done = 0;
  for (const cell of cells) {
    if (cell.kind === 'markdown') {
      step = stepTitle(cell) ?? step;
      continue;
    }
    if (cell.kind === 'widgets') continue;
    done++;
    if (cell.resultName && options.onlyResults && !options.onlyResults.includes(cell.resultName)) continue;
    progress(`${file} cell ${cell.index} (${done}/${runnable.length}): ${step}`);
    let statements: string[];
    if (cell.kind === 'source') {
      const topic = widgets[cell.source!.topicWidget];
      if (topic === undefined) throw new PinpipeError('NOTEBOOK_INVALID', `run: ${file} cell ${cell.index} binds topic widget "${cell.source!.topicWidget}", which the notebook does not declare (NOTEBOOK_INVALID).`);
      const query = async (sql: string) => (await options.client.sql(sql, {}, options.group ? { group: options.group, maxRows: 10_000_000 } : { maxRows: 10_000_000 })).rows;
      statements = await options.bindSource(cell.source!, topic, query);
    } else {
      statements = splitStatements(cell.text);
    }
    for (const statement of statements) {
      if (options.shouldStop?.(statement)) throw new PinpipeError('STATEMENT_FAILED', `run: ${file} stopped before cell ${cell.index} (cancelled or timed out).`);
      const args: Record<string, string> = {};
      for (const name of namedParameters(statement)) {
        const value = widgets[name];
        if (value === undefined) {
          throw new PinpipeError('STATEMENT_FAILED', `run: ${file} cell ${cell.index} (${step}) uses parameter :${name}, which is not a widget of the notebook (STATEMENT_FAILED). Declare it in the SQL source.`);
        }
        args[name] = value;
      }
      try {
        const result = await options.client.sql(statement, args, options.group ? { group: options.group } : {});
        if (result.columns.length) results.push({ cell: cell.index, step, resultName: cell.resultName, result });
      } catch (cause) {
        if (cause instanceof SparkStatementError) {
          if (cause.sparkMessage.includes('Unable to instantiate org.apache.hadoop.hive.ql.metadata.SessionHiveMetaStoreClient')) {
            throw new PinpipeError('STATEMENT_FAILED', `run: ${file} cell ${cell.index} could not open the lake's metastore (STATEMENT_FAILED): another Spark process holds it (one JVM at a time may open a lake). Stop the other one (npx pinpipe workspace stop, npx pinpipe spark stop) or let commands share it with npx pinpipe spark start.`, { cause });
          }
          throw new PinpipeError('STATEMENT_FAILED', `run: ${file} cell ${cell.index} (${step}) failed${cause.errorClass ? ` [${cause.errorClass}]` : ''} (STATEMENT_FAILED):\n${cause.sparkMessage.trim()}`, { cause, details: { file, cell: cell.index, errorClass: cause.errorClass } });
        }
        throw cause;
      }
    }
  }
  return results;
}
