// The sink's metrics endpoint without a socket or Kafka (fastify's inject, a stand-in sink): the totals as
// counters (no rate computed at scrape time), the lag per partition read when scraped with its labels
// escaped by prom-client, a registry per endpoint, and a plain 404 for anything but GET /metrics.
import { expect } from 'chai';
import { sinkMetricsApp } from '../../src/sink/metrics.ts';
import type { Sink } from '../../src/sink/sink.ts';

function fakeSink(records: number, lag: Record<string, number>): Sink {
  return { stats: { records, files: 2, skipped: 1 }, lag: async () => lag } as unknown as Sink;
}

describe('sink metrics HTTP contract', () => {
  it('exposes counters and the lag per partition, each endpoint with its own registry', async () => {
    const a = sinkMetricsApp(fakeSink(25, { 'u.pin/0': 3, 'we"ird\\topic/1': 0 }));
    const b = sinkMetricsApp(fakeSink(4, {}));
    try {
      const res = await a.inject({ method: 'GET', url: '/metrics' });
      expect(res.statusCode).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
      expect(res.body).to.include('# TYPE pinpipe_sink_records_total counter').and.include('pinpipe_sink_records_total 25');
      expect(res.body).to.include('pinpipe_sink_files_total 2').and.include('pinpipe_sink_skipped_total 1');
      expect(res.body).to.include('pinpipe_sink_lag_records{topic="u.pin",partition="0"} 3');
      expect(res.body).to.include('pinpipe_sink_lag_records{topic="we\\"ird\\\\topic",partition="1"} 0');
      expect(res.body).not.to.include('per_second');
      // Scraped twice, a counter shows the sink's total, not twice it.
      expect((await a.inject({ method: 'GET', url: '/metrics' })).body).to.include('pinpipe_sink_records_total 25');
      expect((await b.inject({ method: 'GET', url: '/metrics' })).body).to.include('pinpipe_sink_records_total 4');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('answers anything else with a plain 404', async () => {
    const app = sinkMetricsApp(fakeSink(0, {}));
    try {
      for (const [method, url] of [['GET', '/'], ['GET', '/metrics/x'], ['POST', '/metrics'], ['GET', '/%zz']] as const) {
        const res = await app.inject({ method, url });
        expect([res.statusCode, res.body], `${method} ${url}`).to.deep.equal([404, 'not found: /metrics\n']);
      }
    } finally {
      await app.close();
    }
  });
});
