// Where members sit in a JSON text, so that a value can be passed on as the text the client sent (compacted,
// numbers and strings untouched: `-90.0` stays `-90.0`), not re-serialized from a parsed value. The text has
// already been parsed once (it is valid JSON, nested no deeper than the bound checked before parsing); this
// only skips over it.

type Span = [number, number];

const isWs = (c: number) => c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;

function skipWs(t: string, i: number): number {
  while (i < t.length && isWs(t.charCodeAt(i))) i++;
  return i;
}

function skipString(t: string, i: number): number {
  for (i++; i < t.length; i++) {
    const c = t.charCodeAt(i);
    if (c === 0x5c) i++;
    else if (c === 0x22) return i + 1;
  }
  return i;
}

/** The end of the value starting at i (after whitespace). */
function skipValue(t: string, i: number): number {
  const c = t.charCodeAt(i);
  if (c === 0x22) return skipString(t, i);
  if (c === 0x7b || c === 0x5b) {
    let depth = 0;
    for (; i < t.length; i++) {
      const d = t.charCodeAt(i);
      if (d === 0x22) i = skipString(t, i) - 1;
      else if (d === 0x7b || d === 0x5b) depth++;
      else if (d === 0x7d || d === 0x5d) {
        if (--depth === 0) return i + 1;
      }
    }
    return i;
  }
  while (i < t.length) {
    const d = t.charCodeAt(i);
    if (d === 0x2c || d === 0x7d || d === 0x5d || isWs(d)) break;
    i++;
  }
  return i;
}

/** The members of the object starting at i: name -> the span of its value (the last one when repeated, as JSON.parse keeps). */
export function objectMembers(t: string, i = skipWs(t, 0)): Map<string, Span> {
  const out = new Map<string, Span>();
  if (t.charCodeAt(i) !== 0x7b) return out;
  i = skipWs(t, i + 1);
  while (i < t.length && t.charCodeAt(i) !== 0x7d) {
    const keyEnd = skipString(t, i);
    const name = JSON.parse(t.slice(i, keyEnd)) as string;
    i = skipWs(t, skipWs(t, keyEnd) + 1);
    const end = skipValue(t, i);
    out.set(name, [i, end]);
    i = skipWs(t, end);
    if (t.charCodeAt(i) === 0x2c) i = skipWs(t, i + 1);
  }
  return out;
}

/** The elements of the array at span: each one's span. */
export function arrayElements(t: string, span: Span): Span[] {
  const out: Span[] = [];
  let i = skipWs(t, span[0]);
  if (t.charCodeAt(i) !== 0x5b) return out;
  i = skipWs(t, i + 1);
  while (i < span[1] && t.charCodeAt(i) !== 0x5d) {
    const end = skipValue(t, i);
    out.push([i, end]);
    i = skipWs(t, end);
    if (t.charCodeAt(i) === 0x2c) i = skipWs(t, i + 1);
  }
  return out;
}

/** For the array member `name` of the top-level object, each element's members (empty for a non-object). */
export function elementMembers(t: string, name: string): Map<string, Span>[] {
  const span = objectMembers(t).get(name);
  return span ? arrayElements(t, span).map(([s]) => objectMembers(t, s)) : [];
}
