// Reads a Databricks notebook source (SQL language) back into cells, so that the local runtime executes
// exactly the notebooks that are deployed.
import { PinpipeError } from '../errors.ts';
import { CELL_SEPARATOR, NOTEBOOK_HEADER, RESULT_MARK, SOURCE_MARK } from './render.ts';
import { SOURCE_ARGS, sourceBinding, type SourceBinding } from './sql-source.ts';

export interface Cell {
  /** 1-based position in the notebook, as Databricks numbers cells. */
  index: number;
  kind: 'markdown' | 'widgets' | 'source' | 'sql';
  text: string;
  source: SourceBinding | null;
  resultName: string | null;
  widgets: { name: string; defaultValue: string }[];
}

const WIDGET = /^CREATE\s+WIDGET\s+TEXT\s+([A-Za-z_][A-Za-z0-9_]*)\s+DEFAULT\s+'((?:[^'\\]|\\.)*)'\s*;?\s*$/i;

function unescape(literal: string): string {
  return literal.replace(/\\(.)/g, '$1');
}

export function parseNotebook(file: string, text: string): Cell[] {
  const normalized = text.replace(/\r\n/g, '\n');
  if (!normalized.startsWith(`${NOTEBOOK_HEADER}\n`)) {
    throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file} does not start with "${NOTEBOOK_HEADER}" (NOTEBOOK_INVALID). Regenerate it with npm run build-notebooks.`);
  }
  const body = normalized.slice(NOTEBOOK_HEADER.length + 1);
  return body.split(`\n${CELL_SEPARATOR}\n`).map((raw, i): Cell => {
    const cellText = raw.trim();
    const lines = cellText.split('\n');
    const base = { index: i + 1, text: cellText, source: null, resultName: null, widgets: [] };
    if (lines.every((l) => l.startsWith('-- MAGIC'))) return { ...base, kind: 'markdown' };
    const first = lines[0] ?? '';
    if (first.startsWith(SOURCE_MARK)) {
      const m = SOURCE_ARGS.exec(first.slice(SOURCE_MARK.length).trim());
      if (!m) throw new PinpipeError('NOTEBOOK_INVALID', `notebook: ${file} cell ${i + 1}: bad source mark "${first}" (NOTEBOOK_INVALID).`);
      return { ...base, kind: 'source', source: sourceBinding(m) };
    }
    if (first.startsWith(RESULT_MARK)) {
      return { ...base, kind: 'sql', text: lines.slice(1).join('\n'), resultName: first.slice(RESULT_MARK.length).trim() };
    }
    if (lines.every((l) => WIDGET.test(l))) {
      const widgets = lines.map((l) => {
        const m = WIDGET.exec(l)!;
        return { name: m[1]!, defaultValue: unescape(m[2]!) };
      });
      return { ...base, kind: 'widgets', widgets };
    }
    return { ...base, kind: 'sql' };
  });
}
