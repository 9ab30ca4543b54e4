// Reads a data folder in the shape of shared/data/real/ (pinterest_data.jsonl, geolocation_data.csv,
// user_data.csv), real or generated, as the records the posting emulator would send: one JSON object
// per row, datetimes as text, numbers as numbers.
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PinpipeError } from '../errors.ts';
import type { TableKey } from '../config/index.ts';

export type SourceRecord = Record<string, string | number | null>;

export const SOURCE_FILES: Record<TableKey, string> = {
  pin: 'pinterest_data.jsonl',
  geo: 'geolocation_data.csv',
  user: 'user_data.csv',
};

const CSV_COLUMNS: Record<'geo' | 'user', string[]> = {
  geo: ['ind', 'timestamp', 'latitude', 'longitude', 'country'],
  user: ['ind', 'first_name', 'last_name', 'age', 'date_joined'],
};
const NUMERIC = new Set(['ind', 'latitude', 'longitude', 'age']);

/** Splits one CSV line (RFC 4180 quoting, no embedded newlines). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i <= line.length) {
    if (line[i] === '"') {
      let value = '';
      i++;
      while (i < line.length) {
        if (line[i] === '"' && line[i + 1] === '"') { value += '"'; i += 2; }
        else if (line[i] === '"') { i++; break; }
        else value += line[i++];
      }
      out.push(value);
      i++; // the comma
    } else {
      const end = line.indexOf(',', i);
      const stop = end < 0 ? line.length : end;
      out.push(line.slice(i, stop));
      i = stop + 1;
    }
  }
  return out;
}

export function csvField(value: string | number | null): string {
  if (value === null) return '';
  const text = String(value);
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function sourceFile(dir: string, table: TableKey): string {
  return path.join(dir, SOURCE_FILES[table]);
}

/** Streams the records of one table from DIR. A missing or malformed file is an error naming it. */
export async function* readSourceTable(dir: string, table: TableKey): AsyncGenerator<SourceRecord> {
  const file = sourceFile(dir, table);
  if (!existsSync(file)) {
    throw new PinpipeError('DATA_INVALID', `data: ${file} does not exist (DATA_INVALID). DIR must hold ${Object.values(SOURCE_FILES).join(', ')}.`);
  }
  const lines = readline.createInterface({ input: createReadStream(file, 'utf8'), crlfDelay: Infinity });
  let lineNo = 0;
  let header: string[] | null = null;
  for await (const line of lines) {
    lineNo++;
    if (!line.trim()) continue;
    if (table === 'pin') {
      try {
        yield JSON.parse(line) as SourceRecord;
      } catch (cause) {
        throw new PinpipeError('DATA_INVALID', `data: ${file}:${lineNo} is not a JSON object (DATA_INVALID). Fix or remove the line.`, { cause });
      }
      continue;
    }
    const fields = parseCsvLine(line);
    if (!header) {
      header = fields;
      const want = CSV_COLUMNS[table];
      if (want.some((c) => !header!.includes(c))) {
        throw new PinpipeError('DATA_INVALID', `data: ${file}:1 header is "${line}" (DATA_INVALID); it must name ${want.join(',')}.`);
      }
      continue;
    }
    const record: SourceRecord = {};
    header.forEach((name, i) => {
      const raw = fields[i] ?? '';
      record[name] = NUMERIC.has(name) && raw !== '' && Number.isFinite(Number(raw)) ? Number(raw) : raw;
    });
    yield record;
  }
}
