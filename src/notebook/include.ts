// One definition of each shared piece of SQL: a line `-- include: <file under sql/> [name=value ...]` is
// replaced, when the notebooks are built, by that file's lines, indented like the directive, with each
// `{{name}}` replaced by its value (values may be quoted: name="a b"). Included files may include others.
// The generated notebooks stay self-contained and readable on Databricks: the SQL is written out in full.
import { PinpipeError } from '../errors.ts';

export type ReadSql = (relativePath: string) => string;

const DIRECTIVE = /^(\s*)-- include: (\S+)((?:\s+[A-Za-z_][A-Za-z0-9_]*=(?:"[^"]*"|\S+))*)\s*$/;
const ARG = /([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g;

function fail(file: string, line: number, what: string): never {
  throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file}:${line}: ${what} (NOTEBOOK_INVALID). Fix the SQL source file.`);
}

/** The text with its includes expanded; `used` collects the files included (for the notebook's header). */
export function expandIncludes(file: string, text: string, read: ReadSql, used: Set<string> = new Set(), depth = 0): string {
  if (depth > 5) fail(file, 1, 'includes nested more than five deep (a loop?)');
  return text.replace(/\r\n/g, '\n').split('\n').flatMap((line, i) => {
    if (!line.includes('-- include:')) return [line];
    const m = DIRECTIVE.exec(line);
    if (!m) fail(file, i + 1, 'an include reads `-- include: common/<file>.sql name=value ...`');
    const [, indent = '', target = '', argText = ''] = m;
    const included = `sql/${target}`;
    let body: string;
    try {
      body = read(included);
    } catch {
      fail(file, i + 1, `${included} cannot be read`);
    }
    used.add(included);
    const args = new Map([...argText.matchAll(ARG)].map((a) => [a[1]!, a[2]!.replace(/^"|"$/g, '')]));
    const expanded = expandIncludes(included, body.replace(/\n+$/, ''), read, used, depth + 1).replace(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_all, name: string) => {
      const v = args.get(name);
      if (v === undefined) fail(file, i + 1, `${included} needs a value for {{${name}}}`);
      return v;
    });
    return expanded.split('\n').map((l) => (l ? `${indent}${l}` : l));
  }).join('\n');
}
