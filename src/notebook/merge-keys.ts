// The rule for which copy of a key wins, written once: the dedupe include of sql/clean/<t>.sql names the
// columns and their order; the merge (batch and stream alike) compares a new row with the table's as one
// struct in that order, derived here at build time, so the two can never disagree.
import { PinpipeError } from '../errors.ts';
import { quoteIdentifier } from './sql-lexer.ts';

const DEDUPE = /^-- include: common\/dedupe\.sql (.*)$/m;
const WRITE = /^(-- include: common\/(?:write|merge)\.sql .*)$/gm;

function fail(file: string, what: string): never {
  throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file}: ${what} (NOTEBOOK_INVALID).`);
}

/** The terms of the dedupe's order (`a ASC NULLS LAST, b[0] ASC NULLS LAST, ...`): each a column and an index. */
function orderTerms(order: string, file: string): { column: string; index: string }[] {
  return order.split(',').map((p) => p.trim()).map((p) => {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(\[[0-9]+\])? ASC NULLS LAST$/.exec(p);
    if (!m) fail(file, `the dedupe's order term "${p}" is not \`column ASC NULLS LAST\` (the merge compares rows in that order only)`);
    return { column: m[1]!, index: m[2] ?? '' };
  });
}

/**
 * The dedupe's order as one comparable struct over the columns of `alias`: each column preceded by its
 * IS NULL, so that a struct comparison sorts NULLs last as the dedupe's window does. The merge updates a
 * key only where the new row's struct is the smaller.
 */
export function orderKey(order: string, alias: string, file: string): string {
  const fields = orderTerms(order, file).flatMap(({ column, index }) => {
    const e = `${alias}.${quoteIdentifier(column)}${index}`;
    return [`${e} IS NULL`, e];
  });
  return `struct(${fields.join(', ')})`;
}

/** The dedupe include's arguments (`t=... columns="..." order="..."`), checked: the order names every column. */
export function dedupeArgs(raw: string, file: string): { args: string; order: string; columns: string } {
  const m = DEDUPE.exec(raw);
  if (!m) fail(file, 'the merge needs the dedupe include (its columns and order decide which copy wins)');
  const order = /order="([^"]*)"/.exec(m[1]!)?.[1];
  if (!order) fail(file, 'the dedupe include has no order="..."');
  const listed = /columns="([^"]*)"/.exec(m[1]!)?.[1];
  if (!listed) fail(file, 'the dedupe include has no columns="..."');
  const columns = listed.split(',').map((c) => c.trim());
  const ordered = new Set(orderTerms(order, file).map((o) => o.column));
  const unordered = columns.filter((c) => c !== 'ind' && !ordered.has(c));
  if (unordered.length) fail(file, `the dedupe's order leaves out ${unordered.join(', ')}: copies differing there would be kept by chance`);
  return { args: m[1]!, order, columns: listed };
}

/** The merge's key arguments for an include: `winner_key="struct(...)" held_key="..." target_key="..."`. */
export function mergeKeyArgs(order: string, file: string): string {
  return ['winner', 'held', 'target'].map((a) => `${a}_key="${orderKey(order, a, file)}"`).join(' ');
}

/**
 * A cleaning source with the merge keys, the table's columns and the dedupe's order added to its write (or
 * merge) include, from its dedupe include.
 */
export function withMergeKeys(file: string, raw: string): string {
  if (!raw.match(WRITE)) return raw;
  const { order, columns } = dedupeArgs(raw, file);
  return raw.replace(WRITE, (line) => `${line} columns="${columns}" order="${order}" ${mergeKeyArgs(order, file)}`);
}
