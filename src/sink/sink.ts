// The sink (`npx pinpipe sink`): a consumer group that lands topics in the S3 connector's layout
// (topics/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json), flushing a partition's buffer when it
// reaches a record count, a byte size or an age.
//
// Exactly once across crashes and rebalances: an object's key derives from the offset of its first
// record, offsets are committed only after the object is durable, and when a partition is taken up the
// sink first reads where the landed objects end and skips what is already there. So a crash between the
// write and the commit, or two owners of a partition during a rebalance, never land a record twice, and
// an uncommitted buffer lost in a crash is read again from Kafka.
//
// Offsets need not be contiguous (transaction markers and aborted records leave gaps that a read-committed
// consumer never sees): the last object's name gives the offset of its first record and its lines the
// count, so on take-up the sink reads the partition again from that first offset and skips that many
// records, rather than computing an end offset from the count.
import { Kafka, logLevel, type Consumer, type EachBatchPayload } from 'kafkajs';
import { objectKey } from './landing.ts';
import type { LandingStore } from './store.ts';
import type { KafkaConnection } from '../kafka/connection.ts';

export interface FlushPolicy {
  records: number;
  bytes: number;
  ageMs: number;
}

export interface SinkOptions {
  brokers: string[];
  /** TLS / SASL for a remote Kafka (see src/kafka/connection.ts). */
  connection?: KafkaConnection;
  topics: string[];
  groupId: string;
  store: LandingStore;
  flush: FlushPolicy;
  log?: (line: string) => void;
}

export interface SinkStats {
  files: number;
  records: number;
  skipped: number;
}

interface Buffered {
  start: number;
  next: number;
  lines: Buffer[];
  bytes: number;
  since: number;
}

/** The last landed object of a partition: the offset of its first record and how many records it holds. */
export async function landedTail(store: LandingStore, topic: string, partition: number): Promise<{ start: number; records: number } | null> {
  const keys = (await store.list(`topics/${topic}/partition=${partition}/`)).filter((k) => k.endsWith('.json'));
  const last = keys.at(-1);
  if (!last) return null;
  return { start: Number(/\+(\d+)\.json$/.exec(last)![1]), records: countLines(await store.get(last)) };
}

/** How many records are landed for a partition, over all its objects. */
export async function landedRecords(store: LandingStore, topic: string, partition: number): Promise<number> {
  let n = 0;
  for (const key of await store.list(`topics/${topic}/partition=${partition}/`)) if (key.endsWith('.json')) n += countLines(await store.get(key));
  return n;
}

function countLines(body: Buffer): number {
  let lines = 0;
  for (const b of body) if (b === 10) lines++;
  return lines;
}

/**
 * Where a partition stands. `next`: one past the offset of the last landed record, known exactly once a
 * record past the landed ones has been seen. Until then (`resume`), records before `start` are in earlier
 * objects and the first `skip` records from `start` on are in the last object.
 */
type Position = { next: number } | { resume: { start: number; skip: number; reached: boolean; sought: boolean } };

export class Sink {
  readonly stats: SinkStats = { files: 0, records: 0, skipped: 0 };
  private consumer: Consumer;
  private readonly kafka: Kafka;
  private readonly buffers = new Map<string, Buffered>();
  /** Per partition, what is landed: read from the landed objects when the partition is taken up. */
  private readonly positions = new Map<string, Position>();
  private readonly locks = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(private readonly options: SinkOptions) {
    this.kafka = new Kafka({ clientId: 'pinpipe-sink', brokers: options.brokers, ...options.connection, logLevel: logLevel.NOTHING, retry: { retries: 8 } });
    this.consumer = this.kafka.consumer({ groupId: options.groupId, sessionTimeout: 10000, heartbeatInterval: 1000, rebalanceTimeout: 20000 });
  }

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Serializes the work on one partition (appends, flushes) across eachBatch and the age timer. */
  private async locked(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(key, next.catch(() => {}));
    await next;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    // A rebalance may hand a partition to another member: forget what this one knew, so that taking it up
    // again starts from the landed objects. Unflushed buffers are dropped: they were never committed.
    this.consumer.on(this.consumer.events.GROUP_JOIN, (e) => {
      const assigned = new Set<string>();
      for (const [topic, parts] of Object.entries(e.payload.memberAssignment)) for (const p of parts) assigned.add(`${topic}/${p}`);
      for (const key of [...this.positions.keys()]) if (!assigned.has(key)) { this.positions.delete(key); this.buffers.delete(key); }
      this.log(`sink: assigned ${[...assigned].join(', ') || 'nothing'}`);
    });
    for (const topic of this.options.topics) await this.consumer.subscribe({ topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: (payload) => this.onBatch(payload),
    });
    this.timer = setInterval(() => { void this.flushAged(); }, Math.max(100, Math.min(1000, this.options.flush.ageMs / 2)));
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload): Promise<void> {
    const key = `${batch.topic}/${batch.partition}`;
    await this.locked(key, async () => {
      if (!this.positions.has(key)) {
        const tail = await landedTail(this.options.store, batch.topic, batch.partition);
        this.positions.set(key, tail ? { resume: { start: tail.start, skip: tail.records, reached: false, sought: false } } : { next: 0 });
        this.log(`sink: ${key} taken up; ${tail ? `the last landed object starts at offset ${tail.start} and holds ${tail.records} records` : 'nothing landed yet'}`);
      }
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) return;
        const offset = Number(m.offset);
        let position = this.positions.get(key)!;
        if ('resume' in position) {
          const r = position.resume;
          if (offset < r.start) { this.skip(resolveOffset, m.offset); continue; }
          if (offset === r.start) r.reached = true;
          if (!r.reached) {
            if (!r.sought) {
              // The committed offset lies past the last object's first record: read the partition again
              // from that record, so that the object's records can be counted off.
              r.sought = true;
              this.consumer.seek({ topic: batch.topic, partition: batch.partition, offset: String(r.start) });
              return;
            }
            this.log(`sink: ${key}: offset ${r.start} is no longer in Kafka (retention?); taking the last object's offsets as contiguous`);
            position = { next: r.start + r.skip };
          } else if (r.skip > 0) {
            r.skip--;
            this.skip(resolveOffset, m.offset);
            continue;
          } else position = { next: offset };
          this.positions.set(key, position);
        }
        const buf = this.buffers.get(key);
        if (offset < (buf ? buf.next : position.next)) { this.skip(resolveOffset, m.offset); continue; }
        await this.append(batch.topic, batch.partition, offset, m.value);
        // Resolving moves the fetch position only: commits are explicit, after a durable flush.
        resolveOffset(m.offset);
        await heartbeat();
      }
    });
  }

  private skip(resolveOffset: (offset: string) => void, offset: string): void {
    this.stats.skipped++;
    resolveOffset(offset);
  }

  private async append(topic: string, partition: number, offset: number, value: Buffer | null): Promise<void> {
    const key = `${topic}/${partition}`;
    let buf = this.buffers.get(key);
    if (!buf) {
      buf = { start: offset, next: offset, lines: [], bytes: 0, since: Date.now() };
      this.buffers.set(key, buf);
    }
    const line = Buffer.concat([value ?? Buffer.alloc(0), Buffer.from('\n')]);
    buf.lines.push(line);
    buf.bytes += line.length;
    buf.next = offset + 1;
    if (buf.lines.length >= this.options.flush.records || buf.bytes >= this.options.flush.bytes) await this.flush(topic, partition);
  }

  private async flush(topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const buf = this.buffers.get(key);
    if (!buf || !buf.lines.length) return;
    await this.options.store.put(objectKey(topic, partition, buf.start), Buffer.concat(buf.lines));
    this.buffers.delete(key);
    this.positions.set(key, { next: buf.next });
    this.stats.files++;
    this.stats.records += buf.lines.length;
    try {
      await this.consumer.commitOffsets([{ topic, partition, offset: String(buf.next) }]);
    } catch (e) {
      // The object is durable; a later owner starts from the landed objects, so nothing is landed twice.
      this.log(`sink: commit of ${key}@${buf.next} failed (${e instanceof Error ? e.message : String(e)}); the landed objects stay authoritative`);
    }
  }

  private async flushAged(): Promise<void> {
    const now = Date.now();
    for (const [key, buf] of [...this.buffers]) {
      if (now - buf.since < this.options.flush.ageMs) continue;
      const i = key.lastIndexOf('/');
      await this.locked(key, () => this.flush(key.slice(0, i), Number(key.slice(i + 1)))).catch((e: unknown) => {
        this.log(`sink: flush of ${key} failed: ${e instanceof Error ? e.message : String(e)}`);
      });
    }
  }

  /** Consumer lag per partition: the log end offset minus what is landed. */
  async lag(): Promise<Record<string, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const out: Record<string, number> = {};
      for (const topic of this.options.topics) {
        for (const o of await admin.fetchTopicOffsets(topic)) {
          const key = `${topic}/${o.partition}`;
          const position = this.positions.get(key);
          const buffered = this.buffers.get(key);
          let landed: number;
          if (position && 'next' in position) landed = position.next;
          else {
            const tail = await landedTail(this.options.store, topic, o.partition);
            landed = tail ? tail.start + tail.records : 0;
          }
          if (buffered) landed = Math.min(landed, buffered.start);
          out[key] = Math.max(0, Number(o.high) - landed);
        }
      }
      return out;
    } finally {
      await admin.disconnect();
    }
  }

  /** Flushes what is buffered, commits, and leaves the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.consumer.stop();
    for (const key of [...this.buffers.keys()]) {
      const i = key.lastIndexOf('/');
      await this.locked(key, () => this.flush(key.slice(0, i), Number(key.slice(i + 1))));
    }
    await this.consumer.disconnect();
  }
}
