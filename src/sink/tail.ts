// What is landed in a partition, read from the store: the connector's objects by start offset (other
// names are foreign), the last one's record count and end offset from its metadata (never from its bytes,
// except for an object without metadata, landed by another tool, whose lines are its records as the
// connector writes them), and the one-line form of a record's value (see sink.ts).
import { compactJson } from '../json/line.ts';
import type { LandingStore } from './store.ts';

export interface LandedObjects {
  /** The connector's objects of the partition, by start offset. */
  objects: { key: string; start: number }[];
  /** Names in the partition folder that are not the connector's (ignored). */
  foreign: string[];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The objects of a partition named as the connector names them (<topic>+<p>+<offset>.json), by offset. */
export async function landedObjects(store: LandingStore, topic: string, partition: number): Promise<LandedObjects> {
  const prefix = `topics/${topic}/partition=${partition}/`;
  const pattern = new RegExp(`^${escapeRegExp(`${topic}+${partition}+`)}(\\d{10,})\\.json$`);
  const objects: LandedObjects['objects'] = [];
  const foreign: string[] = [];
  for (const key of await store.list(prefix)) {
    const m = pattern.exec(key.slice(prefix.length));
    if (m) objects.push({ key, start: Number(m[1]) });
    else foreign.push(key);
  }
  objects.sort((a, b) => a.start - b.start);
  return { objects, foreign };
}

/**
 * The last landed object of a partition: the offset of its first record, how many records it holds, and
 * the offset after its last record (null for an object without metadata, landed by another tool: its
 * records are then its lines, as the connector writes them).
 */
export async function landedTail(store: LandingStore, topic: string, partition: number, found?: LandedObjects): Promise<{ start: number; records: number; next: number | null } | null> {
  const last = (found ?? (await landedObjects(store, topic, partition))).objects.at(-1);
  if (!last) return null;
  const meta = await store.meta(last.key);
  if (meta) return { start: last.start, records: meta.records, next: meta.next };
  return { start: last.start, records: countLines(await store.get(last.key)), next: null };
}

/** How many records are landed for a partition, over all its objects. */
export async function landedRecords(store: LandingStore, topic: string, partition: number): Promise<number> {
  let n = 0;
  for (const { key } of (await landedObjects(store, topic, partition)).objects) n += countLines(await store.get(key));
  return n;
}

/**
 * A record's value as one landed line (without its line end). A value holding a line break is compacted
 * (whitespace between JSON tokens removed, digits kept); one that still cannot be one JSON line (not JSON)
 * lands as {"_pinpipe_unreadable": {"reason", "base64"}}, which the cleaning sets aside with a reason.
 */
export function landedLine(value: Buffer | null | undefined): { line: Buffer; readable: boolean } {
  const bytes = value ?? Buffer.alloc(0);
  if (value && !bytes.includes(10) && !bytes.includes(13)) return { line: bytes, readable: true };
  const compact = value ? compactJson(bytes) : { ok: false as const, reason: 'is null' };
  if (compact.ok) return { line: Buffer.from(compact.text), readable: true };
  return { line: Buffer.from(JSON.stringify({ _pinpipe_unreadable: { reason: `the value ${compact.reason}`, base64: bytes.toString('base64') } })), readable: false };
}

function countLines(body: Buffer): number {
  let lines = 0;
  for (const b of body) if (b === 10) lines++;
  return lines;
}

