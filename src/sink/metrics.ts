// The sink's Prometheus metrics (`npx pinpipe sink --metrics-port N`): records and files landed, records
// skipped as already landed, the landing rate, and the lag per partition (log end offset minus landed),
// computed when scraped.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Sink } from './sink.ts';

export function renderSinkMetrics(sink: Sink, lag: Record<string, number>, rate: number): string {
  const lines = [
    '# HELP pinpipe_sink_records_total Records landed durably',
    '# TYPE pinpipe_sink_records_total counter',
    `pinpipe_sink_records_total ${sink.stats.records}`,
    '# HELP pinpipe_sink_files_total Objects written',
    '# TYPE pinpipe_sink_files_total counter',
    `pinpipe_sink_files_total ${sink.stats.files}`,
    '# HELP pinpipe_sink_skipped_total Records read again and skipped because they were already landed',
    '# TYPE pinpipe_sink_skipped_total counter',
    `pinpipe_sink_skipped_total ${sink.stats.skipped}`,
    '# HELP pinpipe_sink_records_per_second Landing rate over the last interval',
    '# TYPE pinpipe_sink_records_per_second gauge',
    `pinpipe_sink_records_per_second ${rate.toFixed(1)}`,
    '# HELP pinpipe_sink_lag_records Records in Kafka not yet landed, per partition',
    '# TYPE pinpipe_sink_lag_records gauge',
    ...Object.entries(lag).map(([key, n]) => {
      const i = key.lastIndexOf('/');
      return `pinpipe_sink_lag_records{topic="${key.slice(0, i)}",partition="${key.slice(i + 1)}"} ${n}`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}

export async function serveSinkMetrics(sink: Sink, port: number, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  let last = { at: Date.now(), records: sink.stats.records };
  let rate = 0;
  const server: Server = createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found: /metrics\n');
      return;
    }
    const now = Date.now();
    if (now - last.at >= 1000) {
      rate = ((sink.stats.records - last.records) * 1000) / (now - last.at);
      last = { at: now, records: sink.stats.records };
    }
    void sink.lag().catch(() => ({})).then((lag) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(renderSinkMetrics(sink, lag, rate));
    });
  });
  await new Promise<void>((resolve) => server.listen(port, host, () => resolve()));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((r) => server.close(() => r())) };
}
