// One record, one line: the landing holds one compact JSON object per line (spec/wire.md), whatever bytes a
// client sent. compactJson() removes the whitespace between JSON tokens (the only place a valid JSON text
// may hold a line break: inside a string a raw CR or LF is not JSON) without re-serializing, so numbers keep
// their exact digits, and checks the nesting depth in the same pass, before any parser or serializer
// recurses into it. The API uses it to accept or refuse a value (422); the sink uses it on every record that
// holds a line break, so that a record produced to Kafka by any other client still lands as exactly one line
// (a value without CR or LF is one line already and lands as it is, JSON or not: the cleaning judges it).

/** Nesting deeper than this is refused: no table has more than one level, and deep nesting costs stack. */
export const MAX_JSON_DEPTH = 64;

export type Compacted = { ok: true; text: string; depth: number } | { ok: false; reason: string };

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * The nesting depth of a JSON text, counted over brackets outside strings, with an early stop past limit.
 * A text that is not JSON gives some number; JSON.parse judges it afterwards.
 */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The text without whitespace between tokens; strings are kept byte for byte. */
function stripWhitespace(text: string): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (WS.has(c)) {
      out += text.slice(from, i);
      from = i + 1;
    }
  }
  return from === 0 ? text : out + text.slice(from);
}

/**
 * A JSON object's compact text (one line), or why it is not one: not UTF-8 JSON, not an object, or nested
 * deeper than maxDepth.
 */
export function compactJson(input: Buffer | string, maxDepth = MAX_JSON_DEPTH): Compacted {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      return { ok: false, reason: 'is not UTF-8 text' };
    }
  }
  const depth = jsonDepth(text, maxDepth);
  if (depth > maxDepth) return { ok: false, reason: `nests deeper than ${maxDepth} levels` };
  // The original text is judged (stripping first would join `1 2` into `12`); in valid JSON, whitespace
  // only ever sits beside a structural character or inside a string, so stripping it changes nothing else.
  try {
    JSON.parse(text);
  } catch (e) {
    return { ok: false, reason: `is not JSON (${e instanceof Error ? e.message : String(e)})` };
  }
  const compact = stripWhitespace(text);
  if (compact[0] !== '{') return { ok: false, reason: 'is not a JSON object' };
  return { ok: true, text: compact, depth };
}
