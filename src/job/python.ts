// The one way a value is written into generated Python (the Airflow DAGs): as a Python literal, ASCII only,
// every string escaped (backslash, quote, and any character outside printable ASCII as \x, \u or \U), so no
// value can end a string or add code. Values an Airflow operator renders with Jinja (its template fields) must
// also not be read as a template: such a string with `{{`, `{%` or `{#` (a Databricks secret reference such as
// {{secrets/scope/key}} in spark_conf) is written inside {% raw %}...{% endraw %}, which Jinja renders as the
// string itself; one holding `endraw` or ending in a template file extension is refused. A template we mean is
// marked as one (Template).
import { PinpipeError } from '../errors.ts';

/** A Jinja template we write on purpose into a templated field (e.g. Airflow's `{{ run_id }}`). */
export class Template {
  constructor(readonly text: string) {}
}

export type PyValue = string | number | boolean | null | Template | PyValue[] | { [key: string]: PyValue };

/** A Python expression written as is (a call such as `timedelta(seconds=60)`), never built from a value. */
export class PyCode {
  constructor(readonly code: string) {}
}

/** Extensions Airflow's Databricks operators read a templated string as a file of (template_ext). */
const TEMPLATE_EXTENSIONS = ['.json-tpl'];

function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/**
 * A Python comment line of any text: everything outside printable ASCII written as \x, \u or \U (as in a
 * string), so a value in a comment (a schedule, a time zone, a job name) cannot end the line and add code.
 */
export function pyComment(text: string): string {
  let out = '# ';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0x20 && cp < 0x7f) out += ch;
    else if (cp < 0x100) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return out;
}

/**
 * A literal string for a template field, as Jinja will render it back to itself: wrapped in {% raw %} when it
 * holds Jinja's delimiters; refused, naming where it is, when even that cannot keep it literal.
 */
export function untemplated(s: string, where: string): string {
  if (/endraw/.test(s) || TEMPLATE_EXTENSIONS.some((e) => s.endsWith(e))) {
    throw new PinpipeError('CONFIG_INVALID', `dag: the value ${JSON.stringify(s)} of ${where} would be read by Airflow as a Jinja template (it holds endraw, or ends in ${TEMPLATE_EXTENSIONS.join(', ')}) (CONFIG_INVALID). Choose a value without them.`);
  }
  return /\{\{|\{%|\{#/.test(s) ? `{% raw %}${s}{% endraw %}` : s;
}

/**
 * A value as a Python literal. `templated`: the value goes into an operator's template field, so its strings
 * must not read as templates (Template values are the ones meant as such).
 */
export function pyLiteral(v: PyValue | PyCode, options: { templated?: boolean; where?: string } = {}): string {
  const where = options.where ?? 'a DAG value';
  if (v instanceof PyCode) return v.code;
  if (v instanceof Template) return pyString(v.text);
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PinpipeError('CONFIG_INVALID', `dag: ${where} is ${v}, which has no Python literal (CONFIG_INVALID).`);
    return Object.is(v, -0) ? '0' : String(v);
  }
  if (typeof v === 'string') return pyString(options.templated ? untemplated(v, where) : v);
  if (Array.isArray(v)) return `[${v.map((x, i) => pyLiteral(x, { ...options, where: `${where}[${i}]` })).join(', ')}]`;
  const entries = Object.entries(v).map(([k, x]) => `${pyString(k)}: ${pyLiteral(x, { ...options, where: `${where}.${k}` })}`);
  return `{${entries.join(', ')}}`;
}

/** A Python identifier-safe keyword argument list: `name=literal` pairs, one a line at the given indent. */
export function pyKwargs(args: Record<string, PyValue | PyCode | undefined>, indent: string, options: { templated?: readonly string[]; where: string }): string {
  return Object.entries(args)
    .filter((e): e is [string, PyValue | PyCode] => e[1] !== undefined)
    .map(([k, v]) => {
      if (!/^[A-Za-z_]\w*$/.test(k)) throw new PinpipeError('CONFIG_INVALID', `dag: ${k} is not a Python keyword argument (${options.where}) (CONFIG_INVALID).`);
      return `${indent}${k}=${pyLiteral(v, { templated: options.templated?.includes(k) ?? false, where: `${options.where} ${k}` })},`;
    })
    .join('\n');
}
