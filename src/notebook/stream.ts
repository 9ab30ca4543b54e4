// The Kinesis streaming notebook (notebooks/stream/kinesis.py), generated from the Python of
// sql/stream/kinesis.py and the cleaning SQL of the batch notebooks: for each table, the steps of
// sql/clean/<t>.sql after the landed records are bound, up to and including the dedupe, and the merge of
// sql/common/merge.sql with the dedupe's own columns and order (taken from the dedupe include of
// sql/clean/<t>.sql). One definition of each cleaning rule, applied by batch and streaming alike.
import { PinpipeError } from '../errors.ts';
import { expandIncludes } from './include.ts';
import { parseSqlSource, type Step } from './sql-source.ts';
import { splitStatements } from './sql-lexer.ts';

export const STREAM_TEMPLATE = 'sql/stream/kinesis.py';
export const STREAM_NOTEBOOK = 'notebooks/stream/kinesis.py';
const MARK = '# pinpipe:cleaning-sql';
const DEDUPE = /^-- include: common\/dedupe\.sql (.*)$/m;

function fail(file: string, what: string): never {
  throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file}: ${what} (NOTEBOOK_INVALID).`);
}

function pythonRaw(sql: string, file: string): string {
  if (sql.includes('"""') || sql.endsWith('\\')) fail(file, 'a statement holds """ or ends in \\, which a Python raw string cannot carry');
  return `r"""${sql}"""`;
}

function statements(steps: Step[], file: string): { title: string; sql: string }[] {
  return steps.flatMap((s) => {
    if (s.sql === null) fail(file, `step "${s.title}" has no SQL`);
    return splitStatements(s.sql).map((sql) => ({ title: s.title, sql }));
  });
}

function pythonList(items: { title: string; sql: string }[], file: string, indent: string): string {
  return items.map((i) => `${indent}# ${i.title}\n${indent}${pythonRaw(i.sql, file)},`).join('\n');
}

export function renderStreamNotebook(read: (relativePath: string) => string, tables: readonly string[], used: Set<string>): string {
  const template = read(STREAM_TEMPLATE);
  if (!template.includes(MARK)) fail(STREAM_TEMPLATE, `the marker ${MARK} is missing`);
  const cleaning: string[] = [];
  const setup: string[] = [];
  const merge: string[] = [];
  const rejects: string[] = [];
  for (const t of tables) {
    const file = `sql/clean/${t}.sql`;
    const raw = read(file);
    const model = parseSqlSource(`clean/${t}`, file, expandIncludes(file, raw, read, used));
    const bind = model.steps.findIndex((s) => s.source !== null);
    const dedupe = model.steps.findIndex((s) => s.sql !== null && s.sql.includes(`${t}_deduplicated`));
    if (bind < 0 || dedupe < bind) fail(file, 'a stream needs a source binding step and, after it, the dedupe step');
    const session = model.steps.slice(0, bind);
    const m = DEDUPE.exec(raw);
    if (!m) fail(file, 'the stream needs the dedupe include (its columns and order drive the merge)');
    const mergeFile = 'sql/common/merge.sql';
    const mergeModel = parseSqlSource(`stream/${t}`, mergeFile, expandIncludes(file, `-- title: merge\n-- include: common/merge.sql ${m[1]}`, read, used));
    const mergeStatements = statements(mergeModel.steps, mergeFile);
    const last = mergeStatements.pop();
    if (!last || !/^SELECT/i.test(last.sql.replace(/^(--[^\n]*\n|\s)+/, ''))) fail(mergeFile, 'the last step must select the rejects');
    cleaning.push(`    "${t}": [\n${pythonList(statements([...session, ...model.steps.slice(bind + 1, dedupe + 1)], file), file, '        ')}\n    ],`);
    const creates = mergeStatements.filter((x) => /^CREATE TABLE IF NOT EXISTS/i.test(x.sql));
    const merges = mergeStatements.filter((x) => !creates.includes(x));
    setup.push(`    "${t}": [\n${pythonList(creates, mergeFile, '        ')}\n    ],`);
    merge.push(`    "${t}": [\n${pythonList(merges, mergeFile, '        ')}\n    ],`);
    rejects.push(`    "${t}": ${pythonRaw(last.sql, mergeFile)},`);
  }
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
