// The posting emulator (`npx pinpipe emulate`): picks rows like the original script (Python's random with
// the seed, randint(0, 11000) per loop, one ind for the three tables), reads them from the source database,
// and posts them to the ingestion API: Kafka REST v2 records per topic (batch mode), or the Kinesis proxy
// (stream mode). Requests are sent by a few workers, at most R a second, retried (p-retry: exponential
// backoff with jitter, and at least the server's Retry-After) on 429, 5xx and network errors. Progress goes
// to a callback (the CLI draws it); the summary per table says selected, sent, acknowledged, failed.
import pRetry, { AbortError } from 'p-retry';
import type { Config, TableKey } from '../config/index.ts';
import { TABLES } from '../config/index.ts';
import type { SourceDb } from '../source/db.ts';
import { originalRowSequence } from './pyrandom.ts';
import type { SourceRecord } from '../source/files.ts';

export interface EmulateOptions {
  mode: 'batch' | 'stream';
  count: number;
  /** Requests a second at most (0: as fast as the API answers). */
  rate: number;
  concurrency: number;
  batchSize: number;
  seed: number;
  apiUrl: string;
  apiKey?: string;
  maxAttempts?: number;
  /** The highest offset randint picks (the original: 11000). */
  maxRow?: number;
  log?: (line: string) => void;
  /** Called as rows are picked and records acknowledged (the CLI draws a progress bar from it). */
  onProgress?: (progress: EmulateProgress) => void;
}

export interface EmulateProgress {
  /** Rows picked so far, of `count`. */
  rows: number;
  count: number;
  acknowledged: number;
  failed: number;
  retries: number;
  seconds: number;
}

export interface TableSummary {
  selected: number;
  sent: number;
  acknowledged: number;
  failed: number;
}

export interface EmulateSummary {
  tables: Record<TableKey, TableSummary>;
  requests: number;
  retries: number;
  seconds: number;
  /** The keys acknowledged per table, in order of acknowledgement (for reconciliation). */
  acknowledgedKeys: Record<TableKey, number[]>;
}

const KEY: Record<TableKey, string> = { pin: 'index', geo: 'ind', user: 'ind' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Request {
  table: TableKey;
  records: SourceRecord[];
}

export async function emulate(config: Config, db: SourceDb, options: EmulateOptions): Promise<EmulateSummary> {
  const log = options.log ?? (() => {});
  const started = Date.now();
  const tables = Object.fromEntries(TABLES.map((t) => [t, { selected: 0, sent: 0, acknowledged: 0, failed: 0 }])) as Record<TableKey, TableSummary>;
  const acknowledgedKeys = Object.fromEntries(TABLES.map((t) => [t, [] as number[]])) as Record<TableKey, number[]>;
  const seq = originalRowSequence(options.seed, options.maxRow ?? 11000);
  const queues = Object.fromEntries(TABLES.map((t) => [t, [] as SourceRecord[]])) as Record<TableKey, SourceRecord[]>;
  const pending: Request[] = [];
  let requests = 0;
  let retries = 0;
  let loops = 0;
  let nextSlot = Date.now();
  const interval = options.rate > 0 ? 1000 / options.rate : 0;

  async function slot(): Promise<void> {
    if (!interval) return;
    const now = Date.now();
    const at = Math.max(now, nextSlot);
    nextSlot = at + interval;
    if (at > now) await sleep(at - now);
  }

  /** Batch mode: Kafka REST v2 records per topic. Stream mode: the Kinesis proxy, PutRecord or PutRecords. */
  function request(req: Request): { url: string; method: string; type: string; body: string } {
    if (options.mode === 'batch') {
      return {
        url: `${options.apiUrl}/topics/${encodeURIComponent(config.names.topic[req.table])}`,
        method: 'POST',
        type: 'application/vnd.kafka.json.v2+json',
        body: JSON.stringify({ records: req.records.map((value) => ({ value })) }),
      };
    }
    const stream = config.names.stream[req.table];
    const one = req.records.length === 1;
    return {
      url: `${options.apiUrl}/streams/${encodeURIComponent(stream)}/${one ? 'record' : 'records'}`,
      method: 'PUT',
      type: 'application/json',
      body: JSON.stringify(one
        ? { StreamName: stream, Data: req.records[0], PartitionKey: `partition-${req.table}` }
        : { records: req.records.map((r) => ({ data: r, 'partition-key': `partition-${req.table}` })) }),
    };
  }

  const acknowledge = (table: TableKey, records: SourceRecord[]) => {
    tables[table].acknowledged += records.length;
    acknowledgedKeys[table].push(...records.map((r) => Number(r[KEY[table]])));
  };

  /** A failed attempt that may be retried, after at least `retryAfter` seconds when the server said so. */
  class Retryable extends Error {
    constructor(message: string, readonly retryAfter: number) {
      super(message);
    }
  }

  async function attempt(req: Request): Promise<void> {
    const { url, method, type, body } = request(req);
    await slot();
    requests++;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, {
        method,
        headers: { 'content-type': type, ...(options.apiKey ? { 'x-api-key': options.apiKey } : {}) },
        body,
        signal: AbortSignal.timeout(60_000),
      });
      text = await res.text();
    } catch (e) {
      throw new Retryable(e instanceof Error ? e.message : String(e), 0);
    }
    const retryAfter = Number(res.headers.get('retry-after') ?? 0) || 0;
    if (res.status === 200 && options.mode === 'stream' && req.records.length > 1) {
      const put = JSON.parse(text) as { FailedRecordCount?: number; Records?: { ErrorCode?: string }[] };
      if ((put.FailedRecordCount ?? 0) > 0) {
        // Kinesis took part of a PutRecords: those are acknowledged, the refused ones are sent again.
        const refused = new Set((put.Records ?? []).map((r, i) => (r.ErrorCode ? i : -1)).filter((i) => i >= 0));
        acknowledge(req.table, req.records.filter((_, i) => !refused.has(i)));
        req.records = req.records.filter((_, i) => refused.has(i));
        throw new Retryable(`${refused.size} records refused by Kinesis`, retryAfter);
      }
    }
    if (res.status === 200) {
      acknowledge(req.table, req.records);
      return;
    }
    const reason = `HTTP ${res.status}: ${text.slice(0, 200)}`;
    if (res.status === 429 || res.status >= 500) throw new Retryable(reason, retryAfter);
    throw new AbortError(reason);
  }

  async function post(req: Request): Promise<void> {
    const max = options.maxAttempts ?? 8;
    tables[req.table].sent += req.records.length;
    let attempts = 0;
    try {
      await pRetry(async () => {
        attempts++;
        await attempt(req);
      }, {
        retries: max - 1,
        factor: 2,
        minTimeout: 200,
        maxTimeout: 10_000,
        randomize: true,
        onFailedAttempt: async ({ error, retriesLeft }) => {
          if (retriesLeft <= 0) return;
          retries++;
          const after = error instanceof Retryable ? error.retryAfter : 0;
          if (after > 0) await sleep(after * 1000);
        },
      });
    } catch (e) {
      tables[req.table].failed += req.records.length;
      log(`emulate: ${req.records.length} ${req.table} record(s) failed after ${attempts} attempt(s): ${e instanceof Error ? e.message : String(e)}`);
    }
    report();
  }

  async function select(): Promise<boolean> {
    if (loops >= options.count) return false;
    loops++;
    const row = seq.next().value as number;
    for (const t of TABLES) {
      const record = await db.byKey(t, row);
      if (!record) continue;
      tables[t].selected++;
      queues[t].push(record);
      if (queues[t].length >= options.batchSize) pending.push({ table: t, records: queues[t].splice(0) });
    }
    if (loops >= options.count) for (const t of TABLES) if (queues[t].length) pending.push({ table: t, records: queues[t].splice(0) });
    return true;
  }

  function report(): void {
    options.onProgress?.({
      rows: loops,
      count: options.count,
      acknowledged: TABLES.reduce((n, t) => n + tables[t].acknowledged, 0),
      failed: TABLES.reduce((n, t) => n + tables[t].failed, 0),
      retries,
      seconds: (Date.now() - started) / 1000,
    });
  }

  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, async () => {
      for (;;) {
        const req = pending.shift();
        if (req) {
          await post(req);
          continue;
        }
        if (!(await select())) {
          if (!pending.length) return;
        }
      }
    }));
  } finally {
    report();
  }
  return { tables, requests, retries, seconds: (Date.now() - started) / 1000, acknowledgedKeys };
}
