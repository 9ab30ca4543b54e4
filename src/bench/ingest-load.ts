// The clients of bench:ingest, in a worker thread of their own, so that they do not share the API's event
// loop (real clients are other processes): `concurrency` clients post `requests` requests of `size` records
// each to the API, one at a time each, and report records/s and each request's latency.
import { parentPort, workerData } from 'node:worker_threads';

export interface LoadCase {
  url: string;
  size: number;
  concurrency: number;
  requests: number;
}

export interface LoadResult {
  seconds: number;
  latencies: number[];
}

const RECORD = (i: number) => ({ ind: i, timestamp: '2020-08-28 03:52:47', latitude: -62.1234, longitude: 120.5678, country: 'Antarctica (the territory South of 60 deg S)' });

export async function runLoad(c: LoadCase): Promise<LoadResult> {
  let next = 0;
  const latencies: number[] = [];
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: c.concurrency }, async () => {
    while (next < c.requests) {
      const r = next++;
      const body = JSON.stringify({ records: Array.from({ length: c.size }, (_, i) => ({ value: RECORD(r * c.size + i) })) });
      const s = process.hrtime.bigint();
      const res = await fetch(c.url, { method: 'POST', headers: { 'content-type': 'application/vnd.kafka.json.v2+json' }, body });
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`bench: HTTP ${res.status}`);
      latencies.push(Number(process.hrtime.bigint() - s) / 1e6);
    }
  }));
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, latencies };
}

if (parentPort && workerData) {
  const port = parentPort;
  runLoad(workerData as LoadCase).then((r) => port.postMessage(r), (e: unknown) => port.postMessage({ error: e instanceof Error ? e.message : String(e) }));
}
