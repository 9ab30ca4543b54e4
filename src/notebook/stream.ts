// The Kinesis streaming notebook (notebooks/stream/kinesis.py), generated from the Python of
// sql/stream/kinesis.py and the cleaning SQL of the batch notebooks: for each table, the steps of
// sql/clean/<t>.sql after the landed records are bound, up to and including the dedupe, and the merge of
// sql/common/merge.sql with the dedupe's own columns and order (taken from the dedupe include of
// sql/clean/<t>.sql). One definition of each cleaning rule, applied by batch and streaming alike.
import { PinpipeError } from '../errors.ts';
import { expandIncludes } from './include.ts';
import { dedupeArgs, mergeKeyArgs, withMergeKeys } from './merge-keys.ts';
import { splitStatements } from './sql-lexer.ts';
import { parseSqlSource, sessionSteps, type Step } from './sql-source.ts';

export const STREAM_TEMPLATE = 'sql/stream/kinesis.py';
export const STREAM_NOTEBOOK = 'notebooks/stream/kinesis.py';
const MARK = '# pinpipe:cleaning-sql';
const MERGE_FILE = 'sql/common/merge.sql';

function fail(file: string, what: string): never {
  throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file}: ${what} (NOTEBOOK_INVALID).`);
}

function pythonRaw(sql: string, file: string): string {
  if (sql.includes('"""') || sql.endsWith('\\')) fail(file, 'a statement holds """ or ends in \\, which a Python raw string cannot carry');
  return `r"""${sql}"""`;
}

function statements(steps: Step[], file: string): Statement[] {
  return steps.flatMap((s) => {
    if (s.sql === null) fail(file, `step "${s.title}" has no SQL`);
    return splitStatements(s.sql).map((sql) => ({ title: s.title, sql }));
  });
}

function pythonList(items: Statement[], file: string, indent: string): string {
  return items.map((i) => `${indent}# ${i.title}\n${indent}${pythonRaw(i.sql, file)},`).join('\n');
}

export interface Statement { title: string; sql: string }
export interface StreamStatements { cleaning: Statement[]; setup: Statement[]; merge: Statement[]; rejects: string }

/**
 * The statements the streaming notebook runs for each table, from the batch notebooks' SQL: the cleaning
 * (the steps of sql/clean/<t>.sql after the binding, up to the dedupe), the tables' creation, the merge and
 * the rejects of sql/common/merge.sql.
 */
export function streamStatements(read: (relativePath: string) => string, tables: readonly string[], used: Set<string> = new Set()): Record<string, StreamStatements> {
  const out: Record<string, StreamStatements> = {};
  for (const t of tables) {
    const file = `sql/clean/${t}.sql`;
    const raw = read(file);
    const model = parseSqlSource(`clean/${t}`, file, expandIncludes(file, withMergeKeys(file, raw), read, used));
    const bind = model.steps.findIndex((s) => s.source !== null);
    const dedupe = model.steps.findIndex((s) => s.sql !== null && s.sql.includes(`${t}_deduplicated`));
    if (bind < 0 || dedupe < bind) fail(file, 'a stream needs a source binding step and, after it, the dedupe step');
    // The session's settings (UTC), as the batch notebooks' first step; the batch's load steps are its own.
    const session = sessionSteps(read, used);
    const { args, order } = dedupeArgs(raw, file);
    const mergeModel = parseSqlSource(`stream/${t}`, MERGE_FILE, expandIncludes(file, `-- title: merge\n-- include: common/merge.sql ${args} ${mergeKeyArgs(order, file)}`, read, used));
    const mergeStatements = statements(mergeModel.steps, MERGE_FILE);
    const last = mergeStatements.pop();
    if (!last || !/^SELECT/i.test(last.sql.replace(/^(--[^\n]*\n|\s)+/, ''))) fail(MERGE_FILE, 'the last step must select the rejects');
    const setup = mergeStatements.filter((x) => /^CREATE TABLE IF NOT EXISTS/i.test(x.sql));
    out[t] = {
      cleaning: statements([...session, ...model.steps.slice(bind + 1, dedupe + 1)], file),
      setup,
      merge: mergeStatements.filter((x) => !setup.includes(x)),
      rejects: last.sql,
    };
  }
  return out;
}

export function renderStreamNotebook(read: (relativePath: string) => string, tables: readonly string[], used: Set<string>): string {
  const template = read(STREAM_TEMPLATE);
  if (!template.includes(MARK)) fail(STREAM_TEMPLATE, `the marker ${MARK} is missing`);
  const all = streamStatements(read, tables, used);
  const file = (t: string) => `sql/clean/${t}.sql`;
  const cleaning = tables.map((t) => `    "${t}": [\n${pythonList(all[t]!.cleaning, file(t), '        ')}\n    ],`);
  const setup = tables.map((t) => `    "${t}": [\n${pythonList(all[t]!.setup, MERGE_FILE, '        ')}\n    ],`);
  const merge = tables.map((t) => `    "${t}": [\n${pythonList(all[t]!.merge, MERGE_FILE, '        ')}\n    ],`);
  const rejects = tables.map((t) => `    "${t}": ${pythonRaw(all[t]!.rejects, MERGE_FILE)},`);
  const cell = [
    '# The cleaning of each table: the steps of sql/clean/<table>.sql that follow the binding of the landed',
    '# records, up to the dedupe (the batch notebooks run the very same text), then the merge and the rejects',
    '# of sql/common/merge.sql (SETUP creates the tables, once per query start). Parameters (:name) are the',
    '# widgets, bound by Spark.',
    `CLEANING = {\n${cleaning.join('\n')}\n}`,
    '',
    `SETUP = {\n${setup.join('\n')}\n}`,
    '',
    `MERGE = {\n${merge.join('\n')}\n}`,
    '',
    `REJECTS = {\n${rejects.join('\n')}\n}`,
  ].join('\n');
  used.add(STREAM_TEMPLATE);
  return template.replace(MARK, () => cell);
}
