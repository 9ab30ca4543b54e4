// Which notebooks the project has and how each is assembled from sql/: one cleaning notebook per table
// and one notebook holding the nine queries (each also a file of its own under sql/queries/).
import { PinpipeError } from '../errors.ts';
import { expandIncludes } from './include.ts';
import { withMergeKeys } from './merge-keys.ts';
import { renderNotebook } from './render.ts';
import { renderStreamNotebook, STREAM_NOTEBOOK } from './stream.ts';
import { parseSqlSource, sessionSteps, type NotebookModel, type Widget } from './sql-source.ts';

export const CLEAN_TABLES = ['pin', 'geo', 'user'] as const;

/** The nine queries of spec/transform.md, in its order. */
export const QUERY_NAMES = [
  'popular_category_by_country',
  'popular_category_by_year',
  'top_user_by_country',
  'top_country_by_user_followers',
  'popular_category_by_age_group',
  'median_followers_by_age_group',
  'users_joined_by_year',
  'median_followers_by_join_year',
  'median_followers_by_age_group_and_join_year',
] as const;
export type QueryName = (typeof QUERY_NAMES)[number];

export function isQueryName(name: string): name is QueryName {
  return (QUERY_NAMES as readonly string[]).includes(name);
}

/** Reads a file of the project by its path relative to the repository root. */
export type ReadSource = (relativePath: string) => string;

export interface RenderedNotebook {
  /** Relative path under the repository: `notebooks/clean/pin.sql`. */
  path: string;
  /** Workspace-relative name without extension: `clean/pin`. */
  name: string;
  /** The SQL notebook's model (null for the Python streaming notebook). */
  model: NotebookModel | null;
  content: string;
}

function mergeWidgets(models: NotebookModel[]): Widget[] {
  const byName = new Map<string, Widget>();
  for (const m of models) {
    for (const w of m.widgets) {
      const seen = byName.get(w.name);
      if (seen && seen.defaultValue !== w.defaultValue) {
        throw new PinpipeError('NOTEBOOK_INVALID', `notebook: widget "${w.name}" has two defaults across sql/queries (NOTEBOOK_INVALID). Make them equal.`);
      }
      byName.set(w.name, w);
    }
  }
  return [...byName.values()];
}

/** A SQL source of sql/ with its includes expanded; the files it includes are added to `used`. */
function sqlSource(file: string, read: ReadSource, used: Set<string>): string {
  return expandIncludes(file, withMergeKeys(file, read(file)), read, used);
}

export function queryModel(name: QueryName, read: ReadSource, used: Set<string> = new Set()): NotebookModel {
  const file = `sql/queries/${name}.sql`;
  const model = parseSqlSource(`queries/${name}`, file, sqlSource(file, read, used));
  if (model.steps.length !== 1 || model.steps[0]!.resultName !== name) {
    throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file} must hold exactly one \`-- result: ${name} | ...\` step (NOTEBOOK_INVALID).`);
  }
  return model;
}

export function renderAllNotebooks(read: ReadSource): RenderedNotebook[] {
  const out: RenderedNotebook[] = [];
  for (const table of CLEAN_TABLES) {
    const file = `sql/clean/${table}.sql`;
    const used = new Set<string>();
    const model = parseSqlSource(`clean/${table}`, file, sqlSource(file, read, used));
    out.push({ path: `notebooks/clean/${table}.sql`, name: model.name, model, content: renderNotebook(model, [file, ...[...used].sort()]) });
  }
  const used = new Set<string>();
  const queries = QUERY_NAMES.map((q) => queryModel(q, read, used));
  // The notebook's first step sets the session to UTC, as every cleaning notebook's does.
  const session = sessionSteps(read, used);
  const merged: NotebookModel = {
    name: 'queries',
    title: 'Analytics queries',
    about: 'The nine questions of spec/transform.md over the cleaned Delta tables. Every result has a total ORDER BY, so it is deterministic.',
    widgets: mergeWidgets(queries),
    steps: [...session, ...queries.flatMap((q) => q.steps)],
  };
  const maintainUsed = new Set<string>();
  const maintain = parseSqlSource('maintain', 'sql/maintain.sql', sqlSource('sql/maintain.sql', read, maintainUsed));
  out.push({ path: 'notebooks/maintain.sql', name: 'maintain', model: maintain, content: renderNotebook(maintain, ['sql/maintain.sql', ...[...maintainUsed].sort()]) });
  const streamUsed = new Set<string>();
  out.push({ path: STREAM_NOTEBOOK, name: 'stream/kinesis', model: null, content: renderStreamNotebook(read, CLEAN_TABLES, streamUsed) });
  out.push({
    path: 'notebooks/queries.sql',
    name: 'queries',
    model: merged,
    content: renderNotebook(merged, [...QUERY_NAMES.map((q) => `sql/queries/${q}.sql`), ...[...used].sort()]),
  });
  return out;
}
