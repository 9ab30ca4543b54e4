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
// Where landing ends is never read from an object's bytes: each object carries, atomically with it, its
// record count and the offset after its last record (see store.ts). Offsets need not be contiguous
// (transaction markers and aborted records leave gaps a read-committed consumer never sees), so on take-up
// the sink reads the partition again from the last object's first offset and skips its record count.
//
// Each record lands as exactly one line (landedLine in tail.ts): nothing is dropped.
//
// Rebalances: when one starts, the sink stops writing at once (buffers dropped, nothing of them was
// committed), and object creation is create-if-absent: a write that finds its key taken (another member
// landed from the same offset) writes nothing, and the partition is taken up again from the landed objects.
// Objects in a partition folder whose names are not the connector's are ignored, logged once.
import { Consumer, type Message, type MessagesStream } from '@platformatic/kafka';
import { objectKey } from './landing.ts';
import { landedLine, landedObjects, landedTail } from './tail.ts';
import type { Buffered, Position, SinkOptions, SinkStats } from './types.ts';
export type { FlushPolicy, SinkOptions, SinkStats } from './types.ts';
export { landedLine, landedObjects, landedRecords, landedTail } from './tail.ts';
import { clientOptions } from '../kafka/connection.ts';
import { setTimeout as pause } from 'node:timers/promises';

type Stream = MessagesStream<Buffer, Buffer, Buffer, Buffer>;


/** Resolves with fn's value, or rejects after ms: a commit must not hang the partition during a rebalance. */
function within<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} took more than ${ms} ms`)), ms);
    fn().then((v) => { clearTimeout(t); resolve(v); }, (e: unknown) => { clearTimeout(t); reject(e instanceof Error ? e : new Error(String(e))); });
  });
}

export class Sink {
  readonly stats: SinkStats = { files: 0, records: 0, skipped: 0, unreadable: 0, conflicts: 0 };
  private consumer: Consumer<Buffer, Buffer, Buffer, Buffer> | null = null;
  private stream: Stream | null = null;
  private readonly buffers = new Map<string, Buffered>();
  /** Per partition, what is landed: read from the landed objects when the partition is taken up. */
  private readonly positions = new Map<string, Position>();
  /** The partitions this member owns since the last rebalance (null before the first join). */
  private assigned: Set<string> | null = null;
  private readonly locks = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | null = null;
  private loop: Promise<void> | null = null;
  private stopped = false;
  /** Aborted by stop(): ends a wait between tries to join. */
  private readonly halt = new AbortController();
  /** Grows when a rebalance starts: a write begun in an earlier epoch no longer moves any position. */
  private epoch = 0;
  /** Foreign names already logged. */
  private readonly foreignLogged = new Set<string>();

  constructor(private readonly options: SinkOptions) {}

  private log(line: string): void {
    this.options.log?.(line);
  }

  /** Serializes the work on one partition (appends, flushes) across the consuming loop and the age timer. */
  private async locked(key: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.locks.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    this.locks.set(key, next.catch(() => {}));
    await next;
  }

  private newConsumer(): Consumer<Buffer, Buffer, Buffer, Buffer> {
    const consumer = new Consumer<Buffer, Buffer, Buffer, Buffer>({
      ...clientOptions({ brokers: this.options.brokers, ...(this.options.connection ? { connection: this.options.connection } : {}) }, 'pinpipe-sink'),
      groupId: this.options.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      rebalanceTimeout: 20_000,
      autocommit: false,
      maxWaitTime: 500,
      retries: 5,
      retryDelay: 500,
    });
    // A rebalance starts: stop writing at once. Every buffer is dropped (none was committed) and every
    // position forgotten, so that whatever this member owns after it is taken up from the landed objects.
    consumer.on('consumer:group:rebalance', () => {
      this.epoch++;
      this.buffers.clear(); this.positions.clear();
      this.assigned = new Set();
      this.log('sink: a rebalance started; writing stopped until the group settles');
    });
    // The group settled: forget what this member knew of partitions it no longer owns.
    consumer.on('consumer:group:join', () => {
      const assigned = new Set<string>();
      for (const a of consumer.assignments ?? []) for (const p of a.partitions) assigned.add(`${a.topic}/${p}`);
      for (const key of [...this.positions.keys()]) if (!assigned.has(key)) { this.positions.delete(key); this.buffers.delete(key); }
      for (const key of [...this.buffers.keys()]) if (!assigned.has(key)) this.buffers.delete(key);
      this.assigned = assigned;
      this.log(`sink: assigned ${[...assigned].join(', ') || 'nothing'}`);
    });
    return consumer;
  }

  private async open(): Promise<void> {
    this.consumer = this.newConsumer();
    this.stream = await this.consumer.consume({ topics: this.options.topics, autocommit: false, mode: 'committed', fallbackMode: 'earliest', sessionTimeout: 10_000, heartbeatInterval: 1000, rebalanceTimeout: 20_000 });
  }

  /**
   * Joins the group and starts landing. Kafka may be away (not up yet, restarting): the sink then says so
   * and tries again with backoff, for as long as it runs, as a Kafka Connect worker does.
   */
  async start(): Promise<void> {
    const joined = await this.attempt();
    this.loop = this.consume(joined);
    this.timer = setInterval(() => { void this.flushAged(); }, Math.max(100, Math.min(1000, this.options.flush.ageMs / 2)));
  }

  /** One try at joining the group; a failure is logged. */
  private async attempt(): Promise<boolean> {
    try {
      await this.open();
      return true;
    } catch (err) {
      this.log(`sink: cannot join group ${this.options.groupId} at ${this.options.brokers.join(',')} yet (${err instanceof Error ? err.message : String(err)}); retrying`);
      await this.consumer?.close(true).catch(() => {});
      return false;
    }
  }

  /** Tries to join until it succeeds (true) or the sink stops (false): 1 s, doubling to 10 s between tries. */
  private async join(): Promise<boolean> {
    for (let wait = 1000; ; wait = Math.min(10_000, wait * 2)) {
      await pause(wait, undefined, { signal: this.halt.signal }).catch(() => {});
      if (this.stopped) return false;
      if (await this.attempt()) return true;
    }
  }

  /**
   * Lands messages as they come. When Kafka goes away the stream fails: the member then leaves, forgets
   * every position and buffer (nothing of them is committed), and joins again, so that it takes the
   * partitions up from the landed objects, exactly as after a crash.
   */
  private async consume(joined: boolean): Promise<void> {
    if (!joined && !(await this.join())) return;
    while (!this.stopped) {
      try {
        for await (const m of this.stream!) {
          if (this.stopped) break;
          await this.onMessage(m);
        }
        if (this.stopped) return;
        throw new Error('the stream ended');
      } catch (e) {
        if (this.stopped) return;
        this.log(`sink: consuming failed (${e instanceof Error ? e.message : String(e)}); joining again from the landed objects`);
        const old = this.consumer;
        this.positions.clear();
        this.buffers.clear();
        this.assigned = null;
        await this.stream?.close().catch(() => {});
        await old?.close(true).catch(() => {});
        if (!(await this.join())) return;
      }
    }
  }

  /** Moves the fetch position of a partition (the stream reads from it on its next fetch). */
  private seek(topic: string, partition: number, offset: number): void {
    this.stream?.offsetsToFetch.set(`${topic}:${partition}`, BigInt(offset));
  }

  private async onMessage(m: Message<Buffer, Buffer, Buffer, Buffer>): Promise<void> {
    const key = `${m.topic}/${m.partition}`;
    // A message of a partition handed to another member since it was fetched: that member lands it.
    if (this.assigned && !this.assigned.has(key)) return;
    const offset = Number(m.offset);
    await this.locked(key, async () => {
      if (!this.positions.has(key)) {
        const found = await landedObjects(this.options.store, m.topic, m.partition);
        for (const f of found.foreign) {
          if (this.foreignLogged.has(f)) continue;
          this.foreignLogged.add(f);
          this.log(`sink: ignoring ${f}: not an object of the connector's layout (${m.topic}+${m.partition}+<offset>.json)`);
        }
        const tail = await landedTail(this.options.store, m.topic, m.partition, found);
        this.positions.set(key, tail ? { resume: { start: tail.start, skip: tail.records, reached: false, sought: false, mark: 0 } } : { next: 0 });
        this.log(`sink: ${key} taken up; ${tail ? `the last landed object starts at offset ${tail.start} and holds ${tail.records} records${tail.next === null ? ' (no metadata: counted from its lines)' : ''}` : 'nothing landed yet'}`);
      }
      let position = this.positions.get(key)!;
      if ('resume' in position) {
        const r = position.resume;
        if (offset < r.start) { this.stats.skipped++; return; }
        if (offset === r.start) r.reached = true;
        if (!r.reached) {
          if (!r.sought) {
            // The committed offset lies past the last object's first record: read the partition again
            // from that record, so that the object's records can be counted off.
            r.sought = true;
            r.mark = offset;
            this.seek(m.topic, m.partition, r.start);
            return;
          }
          if (offset >= r.mark) {
            // Still what was fetched before the seek took effect: ask again, and drop it.
            this.seek(m.topic, m.partition, r.start);
            return;
          }
          this.log(`sink: ${key}: offset ${r.start} is no longer in Kafka (retention?); taking the last object's offsets as contiguous`);
          position = { next: r.start + r.skip };
        } else if (r.skip > 0) {
          r.skip--;
          this.stats.skipped++;
          return;
        } else position = { next: offset };
        this.positions.set(key, position);
      }
      const buf = this.buffers.get(key);
      if (offset < (buf ? buf.next : position.next)) { this.stats.skipped++; return; }
      await this.append(m.topic, m.partition, offset, m.value);
    });
  }

  private async append(topic: string, partition: number, offset: number, value: Buffer | null | undefined): Promise<void> {
    const key = `${topic}/${partition}`;
    let buf = this.buffers.get(key);
    if (!buf) {
      buf = { start: offset, next: offset, lines: [], bytes: 0, since: Date.now() };
      this.buffers.set(key, buf);
    }
    const landed = landedLine(value);
    if (!landed.readable) {
      this.stats.unreadable++;
      this.log(`sink: ${key}@${offset}: the value is not JSON and holds a line break; landed as one _pinpipe_unreadable line`);
    }
    const line = Buffer.concat([landed.line, Buffer.from('\n')]);
    buf.lines.push(line);
    buf.bytes += line.length;
    buf.next = offset + 1;
    if (buf.lines.length >= this.options.flush.records || buf.bytes >= this.options.flush.bytes) await this.flush(topic, partition);
  }

  private async flush(topic: string, partition: number): Promise<void> {
    const key = `${topic}/${partition}`;
    const buf = this.buffers.get(key);
    if (!buf || !buf.lines.length) return;
    const epoch = this.epoch;
    const objKey = objectKey(topic, partition, buf.start);
    const created = await this.options.store.put(objKey, Buffer.concat(buf.lines), { records: buf.lines.length, next: buf.next });
    // A rebalance started during the write: the object (if created) is durable and authoritative; this
    // member no longer moves positions or commits for it.
    if (epoch !== this.epoch) return;
    if (!created) { this.stats.conflicts++;
      this.log(`sink: ${objKey} was landed by another member meanwhile; nothing written, taking ${key} up again from the landed objects`);
      this.buffers.delete(key);
      this.positions.delete(key);
      return;
    }
    this.buffers.delete(key);
    this.positions.set(key, { next: buf.next });
    this.stats.files++;
    this.stats.records += buf.lines.length;
    try {
      const consumer = this.consumer!;
      await within(10_000, 'the offset commit', () => consumer.commit({ offsets: [{ topic, partition, offset: BigInt(buf.next), leaderEpoch: -1 }] }));
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
    const out: Record<string, number> = {};
    const consumer = this.consumer;
    if (!consumer) return out;
    const ends = await consumer.listOffsets({ topics: this.options.topics, timestamp: -1n });
    for (const [topic, partitions] of ends) {
      for (let partition = 0; partition < partitions.length; partition++) {
        const key = `${topic}/${partition}`;
        const position = this.positions.get(key);
        const buffered = this.buffers.get(key);
        let landed: number;
        if (position && 'next' in position) landed = position.next;
        else {
          const tail = await landedTail(this.options.store, topic, partition);
          landed = tail ? (tail.next ?? tail.start + tail.records) : 0;
        }
        if (buffered) landed = Math.min(landed, buffered.start);
        out[key] = Math.max(0, Number(partitions[partition]!) - landed);
      }
    }
    return out;
  }

  /** Flushes what is buffered, commits, and leaves the group. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.halt.abort();
    if (this.timer) clearInterval(this.timer);
    await this.stream?.close().catch(() => {});
    await this.loop;
    for (const key of [...this.buffers.keys()]) {
      const i = key.lastIndexOf('/');
      await this.locked(key, () => this.flush(key.slice(0, i), Number(key.slice(i + 1))));
    }
    await this.consumer?.close().catch(() => {});
  }
}
