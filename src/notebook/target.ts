// A notebook as deployed to one target: the same cells, with the widgets' defaults set to that target's
// values (landing root, topics, tables), so that a notebook opened and run by hand in the workspace reads
// and writes what the target's jobs do. The widget cell is parsed and rendered again; nothing else changes.
import { CELL_SEPARATOR, NOTEBOOK_HEADER, widgetCell } from './render.ts';
import { parseNotebook } from './parse.ts';

export function withWidgetDefaults(file: string, text: string, values: Record<string, string>): string {
  const cells = parseNotebook(file, text);
  const body = text.replace(/\r\n/g, '\n').slice(NOTEBOOK_HEADER.length + 1);
  const raw = body.split(`\n${CELL_SEPARATOR}\n`);
  const out = raw.map((chunk, i) => {
    const cell = cells[i]!;
    if (cell.kind !== 'widgets') return chunk;
    const rendered = widgetCell(cell.widgets.map((w) => ({ name: w.name, defaultValue: values[w.name] ?? w.defaultValue })));
    return chunk.replace(chunk.trim(), rendered);
  });
  return `${NOTEBOOK_HEADER}\n${out.join(`\n${CELL_SEPARATOR}\n`)}`;
}

const PY_WIDGET = /^(dbutils\.widgets\.text\()("(?:[^"\\]|\\.)*")(,\s*)("(?:[^"\\]|\\.)*")(.*)$/gm;

/**
 * The same for a Python notebook: each `dbutils.widgets.text("name", "default")` line gets the target's
 * value as its default (a JSON string literal, which Python reads the same).
 */
export function withPythonWidgetDefaults(text: string, values: Record<string, string>): string {
  return text.replace(PY_WIDGET, (whole, head: string, name: string, comma: string, _dflt: string, tail: string) => {
    const key = JSON.parse(name) as string;
    const value = values[key];
    return value === undefined ? whole : `${head}${name}${comma}${JSON.stringify(value)}${tail}`;
  });
}
