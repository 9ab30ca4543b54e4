// The shape of a posted record per table (spec/data.md, as the original posting script sent them): the
// key is an integer, text columns are text, numbers are numbers, datetimes are text in either form. A
// record that does not fit is refused with the record's position and the field, never half-written.
import type { TableKey } from '../config/index.ts';

type FieldKind = 'int' | 'text' | 'number' | 'datetime';

export const RECORD_FIELDS: Record<TableKey, Record<string, FieldKind>> = {
  pin: {
    index: 'int', unique_id: 'text', title: 'text', description: 'text', poster_name: 'text', follower_count: 'text',
    tag_list: 'text', is_image_or_video: 'text', image_src: 'text', downloaded: 'int', save_location: 'text', category: 'text',
  },
  geo: { ind: 'int', timestamp: 'datetime', latitude: 'number', longitude: 'number', country: 'text' },
  user: { ind: 'int', first_name: 'text', last_name: 'text', age: 'int', date_joined: 'datetime' },
};

export const KEY_FIELD: Record<TableKey, string> = { pin: 'index', geo: 'ind', user: 'ind' };

const DATETIME = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/;

function validDatetime(text: string): boolean {
  const m = DATETIME.exec(text);
  if (!m) return false;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d && h < 24 && mi < 60 && s < 60;
}

/** Why a record does not fit its table, naming the field, or null when it fits. */
export function recordProblem(table: TableKey, value: unknown): string | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'the value must be a JSON object';
  const fields = RECORD_FIELDS[table];
  const record = value as Record<string, unknown>;
  const key = KEY_FIELD[table];
  // Own properties only: a field named like a built-in (`__proto__`, `constructor`, `toString`) is a field.
  if (!Object.hasOwn(record, key) || record[key] === null) return `field "${key}" is required (the key shared by the three tables)`;
  for (const [name, v] of Object.entries(record)) {
    const kind = Object.hasOwn(fields, name) ? fields[name] : undefined;
    if (!kind) return `field "${name}" is not a column of the ${table} table (expected: ${Object.keys(fields).join(', ')})`;
    if (v === null) continue;
    switch (kind) {
      case 'int':
        if (typeof v !== 'number' || !Number.isSafeInteger(v)) return `field "${name}" must be an integer, got ${JSON.stringify(v).slice(0, 40)}`;
        break;
      case 'number':
        if (typeof v !== 'number' || !Number.isFinite(v)) return `field "${name}" must be a number, got ${JSON.stringify(v).slice(0, 40)}`;
        break;
      case 'text':
        if (typeof v !== 'string') return `field "${name}" must be text, got ${JSON.stringify(v).slice(0, 40)}`;
        break;
      case 'datetime':
        if (typeof v !== 'string' || !validDatetime(v)) return `field "${name}" must be a datetime as text, YYYY-MM-DD HH:MM:SS or YYYY-MM-DDTHH:MM:SS, got ${JSON.stringify(v).slice(0, 40)}`;
        break;
    }
  }
  return null;
}
