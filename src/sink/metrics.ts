// The sink's Prometheus metrics (`npx pinpipe sink --metrics-port N`, prom-client on fastify): records and
// files landed and records skipped as already landed (counters: Prometheus computes rates from them), and
// the lag per partition (log end offset minus landed), read when scraped.
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Sink } from './sink.ts';

export function sinkRegistry(sink: Sink): Registry {
  const registry = new Registry();
  const counter = (name: string, help: string, read: () => number) => new Counter({
    name, help, registers: [registry],
    collect() {
      // The sink keeps its own totals; the counter shows them (they only grow).
      this.reset();
      this.inc(read());
    },
  });
  counter('pinpipe_sink_records_total', 'Records landed durably', () => sink.stats.records);
  counter('pinpipe_sink_files_total', 'Objects written', () => sink.stats.files);
  counter('pinpipe_sink_skipped_total', 'Records read again and skipped because they were already landed', () => sink.stats.skipped);
  new Gauge({
    name: 'pinpipe_sink_lag_records',
    help: 'Records in Kafka not yet landed, per partition',
    labelNames: ['topic', 'partition'] as const,
    registers: [registry],
    async collect() {
      const lag = await sink.lag().catch(() => ({} as Record<string, number>));
      this.reset();
      for (const [key, n] of Object.entries(lag)) {
        const i = key.lastIndexOf('/');
        this.set({ topic: key.slice(0, i), partition: key.slice(i + 1) }, n);
      }
    },
  });
  return registry;
}

/** The metrics endpoint as a fastify app: GET /metrics, a 404 in plain text for anything else. */
export function sinkMetricsApp(sink: Sink): FastifyInstance {
  const registry = sinkRegistry(sink);
  const app = Fastify({ connectionTimeout: 10_000, requestTimeout: 30_000, keepAliveTimeout: 10_000, frameworkErrors: (_e, _req, reply) => void notFound(reply as FastifyReply) });
  app.get('/metrics', async (_req, reply) => reply.header('content-type', registry.contentType).send(await registry.metrics()));
  app.setNotFoundHandler((_req, reply) => notFound(reply));
  return app;
}

const notFound = (reply: FastifyReply) => reply.code(404).type('text/plain').send('not found: /metrics\n');

export async function serveSinkMetrics(sink: Sink, port: number, host = '127.0.0.1'): Promise<{ url: string; close(): Promise<void> }> {
  const app = sinkMetricsApp(sink);
  await app.listen({ port, host });
  const address = app.server.address();
  return { url: `http://${host}:${typeof address === 'object' && address ? address.port : port}`, close: () => app.close() };
}
