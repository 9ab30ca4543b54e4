// Renders query results for people (an aligned table) and for programs (JSON array of row objects, CSV).
import type { StatementResult } from '../sql/result.ts';

export type OutputFormat = 'table' | 'json' | 'csv';

function text(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = text(value);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function formatTable(result: StatementResult): string {
  const names = result.columns.map((c) => c.name);
  const rows = result.rows.map((r) => names.map((n) => text(r[n])));
  const widths = names.map((n, i) => Math.max(n.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ').trimEnd();
  return [line(names), widths.map((w) => '-'.repeat(w)).join('-+-'), ...rows.map(line), `(${rows.length} row${rows.length === 1 ? '' : 's'})`].join('\n');
}

export function formatCsv(result: StatementResult): string {
  const names = result.columns.map((c) => c.name);
  return [names.map(csvCell).join(','), ...result.rows.map((r) => names.map((n) => csvCell(r[n])).join(','))].join('\n');
}

export function formatResult(result: StatementResult, format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(result.rows, null, 2);
  if (format === 'csv') return formatCsv(result);
  return formatTable(result);
}
