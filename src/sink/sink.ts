// The sink (`npx pinpipe sink`): a consumer group that lands topics in the S3 connector's layout
// (topics/<topic>/partition=<p>/<topic>+<p>+<startOffset>.json), flushing a partition's buffer when it
// reaches a record count, a byte size or an age.
//
// Exactly once across crashes and rebalances: an object's key derives from the offset of its first
// record, offsets are committed only after the object is durable, and when a partition is taken up the
// sink first reads where the landed objects end and skips what is already there. So a crash between the
// write and the commit, or two owners of a partition during a rebalance, never land a record twice, and
// an uncommitted buffer lost in a crash is read again from Kafka. (Offsets are taken as contiguous, which
// holds for topics written without transactions, as the API writes them.)
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

/** One past the last offset landed for a partition, from the objects themselves (0 when none). */
export async function landedEnd(store: LandingStore, topic: string, partition: number): Promise<number> {
  const prefix = `topics/${topic}/partition=${partition}/`;
  const keys = (await store.list(prefix)).filter((k) => k.endsWith('.json'));
  const last = keys.at(-1);
  if (!last) return 0;
  const start = Number(/\+(\d+)\.json$/.exec(last)![1]);
  const body = await store.get(last);
  let lines = 0;
  for (const b of body) if (b === 10) lines++;
  return start + lines;
}

export class Sink {
  readonly stats: SinkStats = { files: 0, records: 0, skipped: 0 };
  private consumer: Consumer;
  private readonly kafka: Kafka;
  private readonly buffers = new Map<string, Buffered>();
  /** Next offset to land per partition, from the landed objects when the partition was taken up. */
  private readonly expected = new Map<string, number>();
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
      for (const key of [...this.expected.keys()]) if (!assigned.has(key)) { this.expected.delete(key); this.buffers.delete(key); }
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
      if (!this.expected.has(key)) {
        const end = await landedEnd(this.options.store, batch.topic, batch.partition);
        this.expected.set(key, end);
        this.log(`sink: ${key} landed up to offset ${end}`);
      }
      for (const m of batch.messages) {
        if (!isRunning() || isStale()) return;
        const offset = Number(m.offset);
        const expected = this.expected.get(key)!;
        let buf = this.buffers.get(key);
        if (offset < (buf ? buf.next : expected)) {
          this.stats.skipped++;
          resolveOffset(m.offset);
          continue;
        }
        if (!buf) {
          buf = { start: offset, next: offset, lines: [], bytes: 0, since: Date.now() };
          this.buffers.set(key, buf);
        }
        const line = Buffer.concat([m.value ?? Buffer.alloc(0), Buffer.from('\n')]);
        buf.lines.push(line);
        buf.bytes += line.length;
        buf.next = offset + 1;
        // Resolving moves the fetch position only: commits are explicit, after a durable flush.
        resolveOffset(m.offset);
        if (buf.lines.length >= this.options.flush.records || buf.bytes >= this.options.flush.bytes) {
          await this.flush(batch.topic, batch.partition);
        }
        await heartbeat();
      }
    });
  }

  private async flush(topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const buf = this.buffers.get(key);
    if (!buf || !buf.lines.length) return;
    await this.options.store.put(objectKey(topic, partition, buf.start), Buffer.concat(buf.lines));
    this.buffers.delete(key);
    this.expected.set(key, buf.next);
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
          const landed = this.expected.get(`${topic}/${o.partition}`) ?? (await landedEnd(this.options.store, topic, o.partition));
          out[`${topic}/${o.partition}`] = Math.max(0, Number(o.high) - landed);
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
