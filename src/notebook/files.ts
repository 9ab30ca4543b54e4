// The catalog of the generated notebooks of the package (notebooks/*.sql and *.py, found from the package
// root, never the working directory, so `npx pinpipe` works from any folder): their names, languages and
// sources, for the local runner, the warehouse and dashboard queries, deploy and the bundle.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PinpipeError } from '../errors.ts';
import { PROJECT_ROOT } from '../project.ts';
import { parseNotebook, type Cell } from './parse.ts';
import { splitStatements } from './sql-lexer.ts';

export type NotebookLanguage = 'SQL' | 'PYTHON';

export interface NotebookFile {
  /** Name under notebooks/ without extension: clean/pin, queries, setup/access. */
  name: string;
  /** Path relative to the package root: notebooks/clean/pin.sql. */
  file: string;
  language: NotebookLanguage;
}

const LANGUAGE_BY_EXT: Record<string, NotebookLanguage> = { '.sql': 'SQL', '.py': 'PYTHON' };
const ROOT = path.join(PROJECT_ROOT, 'notebooks');

/** Every generated (or hand-written Python) notebook, sorted by path. */
export function notebookFiles(): NotebookFile[] {
  const out: NotebookFile[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) walk(full);
      else {
        const ext = path.extname(e.name);
        const language = LANGUAGE_BY_EXT[ext];
        if (!language) continue;
        out.push({ name: path.relative(ROOT, full).slice(0, -ext.length).split(path.sep).join('/'), file: path.relative(PROJECT_ROOT, full).split(path.sep).join('/'), language });
      }
    }
  };
  if (existsSync(ROOT)) walk(ROOT);
  return out;
}

/** The bytes of a notebook file (by its path relative to the package root). */
export function notebookBytes(file: string): Buffer {
  try {
    return readFileSync(path.join(PROJECT_ROOT, file));
  } catch (cause) {
    throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file} cannot be read (NOTEBOOK_INVALID): ${cause instanceof Error ? cause.message : String(cause)}. Run npm run build-notebooks.`, { cause });
  }
}

/** A SQL notebook by name (`queries`, `clean/pin`): its file and text. */
export function sqlNotebook(name: string): { file: string; text: string } {
  const file = `notebooks/${name}.sql`;
  return { file, text: notebookBytes(file).toString('utf8') };
}

/** The query cell of the queries notebook (the generated file, or the text given) that holds a result. */
export function queryCell(name: string, text?: string): Cell {
  const nb = text === undefined ? sqlNotebook('queries') : { file: 'notebooks/queries.sql', text };
  const cell = parseNotebook(nb.file, nb.text).find((c) => c.resultName === name);
  if (!cell) throw new PinpipeError('QUERY_UNKNOWN', `query: ${nb.file} has no result cell named ${name} (QUERY_UNKNOWN).`);
  return cell;
}

/** The statements of a query cell, in order (the last one gives the result). */
export function queryCellStatements(name: string, text?: string): string[] {
  return splitStatements(queryCell(name, text).text);
}
