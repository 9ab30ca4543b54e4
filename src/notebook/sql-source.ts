// Reads the annotated SQL files of sql/ into a notebook model: a title, an explanation, widgets, and steps
// (each a markdown explanation plus one SQL statement, or a source binding that the target renders).
import { PinpipeError } from '../errors.ts';

export interface Widget {
  name: string;
  defaultValue: string;
  label: string;
}

export interface SourceBinding {
  /** The temporary view the binding creates over the rows not cleaned yet: `value STRING, source_file STRING`. */
  view: string;
  /** The widget that holds the topic name. */
  topicWidget: string;
  /** The session variable that holds the bronze table's name (quoted, optionally qualified). */
  bronzeVariable: string;
  /** The session variable that holds this run's load number (the bronze rows it loads get it). */
  loadVariable: string;
  /** The session variable that holds the last load cleaned: the view holds the rows of later loads. */
  afterVariable: string;
}

/** `view topic=widget bronze=variable load=variable after=variable`, as in `-- source:` and `-- pinpipe:source`. */
export const SOURCE_ARGS = /^([A-Za-z_]\w*) topic=([A-Za-z_]\w*) bronze=([A-Za-z_]\w*) load=([A-Za-z_]\w*) after=([A-Za-z_]\w*)$/;

export function sourceBinding(m: RegExpExecArray): SourceBinding {
  return { view: m[1]!, topicWidget: m[2]!, bronzeVariable: m[3]!, loadVariable: m[4]!, afterVariable: m[5]! };
}

export function sourceArgs(b: SourceBinding): string {
  return `${b.view} topic=${b.topicWidget} bronze=${b.bronzeVariable} load=${b.loadVariable} after=${b.afterVariable}`;
}

export interface Step {
  title: string;
  explanation: string[];
  sql: string | null;
  source: SourceBinding | null;
  /** For queries: the result name under which the step's rows are reported. */
  resultName: string | null;
}

export interface NotebookModel {
  /** Path of the notebook under notebooks/, without extension: `clean/pin`, `queries`. */
  name: string;
  title: string;
  about: string;
  widgets: Widget[];
  steps: Step[];
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function fail(file: string, line: number, what: string): never {
  throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file}:${line}: ${what} (NOTEBOOK_INVALID). Fix the SQL source file.`);
}

/**
 * Header lines: `-- title: T`, `-- about: A`, `-- widget: name = default | label`.
 * Steps: `-- step: Title` (or `-- result: name | Title` for a named query result), then `-- ` lines of
 * explanation, then either `-- source: view topic=widget bronze=… load=… after=…` or the SQL statement up to the next step.
 */
export function parseSqlSource(name: string, file: string, text: string): NotebookModel {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  const model: NotebookModel = { name, title: '', about: '', widgets: [], steps: [] };
  let step: Step | null = null;
  let inExplanation = false;
  const sqlLines: string[] = [];
  const finish = (lineNo: number) => {
    if (!step) return;
    const sql = sqlLines.join('\n').trim().replace(/;\s*$/, '');
    sqlLines.length = 0;
    if (step.source && sql) fail(file, lineNo, `step "${step.title}" has both a source binding and SQL`);
    if (!step.source && !sql) fail(file, lineNo, `step "${step.title}" has no SQL`);
    step.sql = step.source ? null : sql;
    model.steps.push(step);
  };
  lines.forEach((line, i) => {
    const lineNo = i + 1;
    const header = /^-- (title|about|widget|step|result|source): ?(.*)$/.exec(line);
    if (header) {
      const [, key, rest = ''] = header;
      if (key === 'title') model.title = rest.trim();
      else if (key === 'about') model.about = rest.trim();
      else if (key === 'widget') {
        const m = /^([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*\|\s*(.+)$/.exec(rest);
        if (!m) fail(file, lineNo, 'a widget line reads `-- widget: name = default | label`');
        model.widgets.push({ name: m[1]!, defaultValue: m[2]!, label: m[3]!.trim() });
      } else if (key === 'step' || key === 'result') {
        finish(lineNo);
        let title = rest.trim();
        let resultName: string | null = null;
        if (key === 'result') {
          const m = /^([a-z_][a-z0-9_]*)\s*\|\s*(.+)$/.exec(title);
          if (!m) fail(file, lineNo, 'a result line reads `-- result: name | Title`');
          resultName = m[1]!;
          title = m[2]!.trim();
        }
        step = { title, explanation: [], sql: null, source: null, resultName };
        inExplanation = true;
      } else if (key === 'source') {
        if (!step) fail(file, lineNo, 'a source binding must follow a step line');
        const m = SOURCE_ARGS.exec(rest.trim());
        if (!m) fail(file, lineNo, 'a source line reads `-- source: view topic=widget bronze=variable load=variable after=variable`');
        const source = sourceBinding(m);
        if (!model.widgets.some((w) => w.name === source.topicWidget)) fail(file, lineNo, `source names widget "${source.topicWidget}", which is not declared`);
        step.source = source;
        inExplanation = false;
      }
      return;
    }
    if (!step) {
      if (line.trim() && !line.startsWith('--')) fail(file, lineNo, 'SQL before the first step');
      return;
    }
    if (inExplanation && line.startsWith('--')) {
      step.explanation.push(line.replace(/^-- ?/, ''));
      return;
    }
    inExplanation = false;
    sqlLines.push(line);
  });
  finish(lines.length);
  if (!model.title) fail(file, 1, 'missing `-- title:` line');
  if (!IDENT.test(name.replace(/\//g, '_'))) fail(file, 1, `bad notebook name ${name}`);
  return model;
}

export const SESSION_FILE = 'sql/common/session.sql';

/** The session's settings (UTC) as steps, the first of every notebook; `used` records the file. */
export function sessionSteps(read: (relativePath: string) => string, used: Set<string>): Step[] {
  used.add(SESSION_FILE);
  return parseSqlSource('session', SESSION_FILE, `-- title: session\n${read(SESSION_FILE)}`).steps;
}
