// Bounds on what a client may store in the local workspace, checked before anything is stored, each refusal
// a 400 INVALID_PARAMETER_VALUE naming the field (never a 5xx, never a stack overflow). Where Databricks
// documents a limit the same one is used, so nothing a real workspace accepts is refused here:
//  - request bodies: 16 MiB in all (an import carries up to 10 MB of source, base64-encoded), 10 MiB for the
//    Jobs API ("The maximum allowed size of a request to the Jobs API is 10MB");
//  - workspace paths: up to 4,096 characters (the longest path a workspace or a POSIX file system takes)
//    and 64 folders deep (no Databricks limit is documented; real trees are a few levels deep; this bound
//    keeps the stored ancestors of one path, each stored with its full path, at most 64 × 4,096 characters);
//  - JSON nesting: 32 levels (job settings nest 7 at most: tasks[].new_cluster.init_scripts[].volumes...);
//  - strings: 65,536 characters each (job names take 4,096 bytes, descriptions 27,700 characters), except an
//    import's `content` and a dashboard's `serialized_dashboard`, bounded by the body size;
//  - a job's tags: 25, string values ("A maximum of 25 tags can be added to the job"); tasks: 1,000 a job;
//    task keys: 100 characters; a run's idempotency token: 64 characters (as documented).
import { invalid } from './failure.ts';

export const MAX_BODY_BYTES = 16 * 1024 * 1024;
export const MAX_JOBS_BODY_BYTES = 10 * 1024 * 1024;
export const MAX_PATH_CHARS = 4096;
export const MAX_PATH_DEPTH = 64;
export const MAX_JSON_DEPTH = 32;
export const MAX_STRING_CHARS = 65_536;
export const MAX_JOB_NAME_CHARS = 4096;
export const MAX_TAGS = 25;
export const MAX_TASKS = 1000;
export const MAX_TASK_KEY_CHARS = 100;
export const MAX_IDEMPOTENCY_TOKEN_CHARS = 64;
/** Top-level body fields that may hold long text (bounded by the body size and their route's own check). */
export const LARGE_FIELDS = new Set(['content', 'serialized_dashboard']);

/** A field path for messages: `tags.a.a...` with at most 6 parts shown. */
function fieldName(parts: string[]): string {
  const shown = parts.slice(0, 6).map((p, i) => (p === '[]' || i === 0 ? p : `.${p}`)).join('');
  return parts.length > 6 ? `${shown}...` : shown || '(body)';
}

/**
 * The field of a JSON text that nests deeper than `limit` levels, or undefined: one pass over the raw text
 * counting brackets outside strings (O(n), nothing parsed), remembering the key at each open level so the
 * refusal can name the field. Run before JSON.parse, so no deep value ever reaches a recursive walk.
 */
export function tooDeepField(text: string, limit = MAX_JSON_DEPTH): string | undefined {
  // names[d]: how the child being read at level d is named (its key's text span, or an array's '[]').
  const keyStart: number[] = [];
  const keyEnd: number[] = [];
  let depth = 0;
  let lastStart = -1;
  let lastEnd = -1;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      lastStart = i;
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
      lastEnd = i + 1;
    } else if (c === 0x3a) {
      keyStart[depth] = lastStart;
      keyEnd[depth] = lastEnd;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) {
        const parts: string[] = [];
        for (let d = 1; d < depth; d++) {
          if (keyStart[d] === -2) parts.push('[]');
          else {
            let key = text.slice(keyStart[d], Math.min(keyEnd[d]!, keyStart[d]! + 200));
            try {
              key = JSON.parse(key) as string;
            } catch { /* a long key, cut */ }
            parts.push(key);
          }
        }
        return fieldName(parts);
      }
      if (c === 0x5b) keyStart[depth] = -2;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

/** Refuses a string longer than MAX_STRING_CHARS anywhere in a parsed body (depth already bounded). */
export function checkStrings(body: Record<string, unknown>): void {
  const visit = (v: unknown, parts: string[]): void => {
    if (typeof v === 'string') {
      if (v.length > MAX_STRING_CHARS) throw invalid(`Invalid value for field ${fieldName(parts)}: ${v.length} characters; at most ${MAX_STRING_CHARS} are allowed.`);
    } else if (Array.isArray(v)) {
      for (const x of v) visit(x, [...parts, '[]']);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        if (k.length > MAX_STRING_CHARS) throw invalid(`Invalid key in field ${fieldName(parts)}: ${k.length} characters; at most ${MAX_STRING_CHARS} are allowed.`);
        visit(x, [...parts, k]);
      }
    }
  };
  for (const [k, v] of Object.entries(body)) if (!LARGE_FIELDS.has(k)) visit({ [k]: v }, []);
}

/** Refuses a workspace path longer or deeper than the bounds (the path as given, and normalized). */
export function checkPath(p: string, name: string): void {
  if (p.length > MAX_PATH_CHARS) throw invalid(`Invalid value for field ${name}: the path is ${p.length} characters long; at most ${MAX_PATH_CHARS} are allowed.`);
  let depth = 0;
  for (let i = 0; i < p.length; i++) if (p.charCodeAt(i) === 0x2f && i + 1 < p.length && p.charCodeAt(i + 1) !== 0x2f) depth++;
  if (depth > MAX_PATH_DEPTH) throw invalid(`Invalid value for field ${name}: the path is ${depth} folders deep; at most ${MAX_PATH_DEPTH} are allowed.`);
}

/** Checks that a field, when given, is a string of at most `max` characters. */
export function optionalString(v: unknown, name: string, max: number): void {
  if (v === undefined) return;
  if (typeof v !== 'string') throw invalid(`Invalid value for field ${name}: must be a string.`);
  if (v.length > max) throw invalid(`Invalid value for field ${name}: ${v.length} characters; at most ${max} are allowed.`);
}

/** A plain JSON object (not null, not an array). */
export function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Checks a map of strings (tags, base parameters, job parameters), optionally bounded in entries. */
export function stringMap(v: unknown, name: string, maxEntries = Infinity): void {
  if (v === undefined) return;
  if (!isObject(v)) throw invalid(`Invalid value for field ${name}: must be an object of strings.`);
  const entries = Object.entries(v);
  if (entries.length > maxEntries) throw invalid(`Invalid value for field ${name}: ${entries.length} entries; at most ${maxEntries} are allowed.`);
  for (const [k, x] of entries) if (typeof x !== 'string') throw invalid(`Invalid value for field ${name}.${k}: must be a string.`);
}
