// Prometheus metrics of the ingestion API (prom-client, a registry per server so that several servers in
// one process keep their own counts): requests by route and status, records acknowledged by topic or
// stream, errors by status and code, latency by route, and the records waiting for the broker.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

export class ApiMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({ name: 'pinpipe_api_requests_total', help: 'Requests by route and status', labelNames: ['route', 'status'] as const, registers: [this.registry] });
  readonly records = new Counter({ name: 'pinpipe_api_records_total', help: 'Records acknowledged by the broker', labelNames: ['topic', 'stream'] as const, registers: [this.registry] });
  readonly errors = new Counter({ name: 'pinpipe_api_errors_total', help: 'Requests answered with an error', labelNames: ['status', 'code'] as const, registers: [this.registry] });
  readonly latency = new Histogram({
    name: 'pinpipe_api_request_seconds',
    help: 'Request latency by route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  constructor(inflight: () => number) {
    new Gauge({
      name: 'pinpipe_api_producer_inflight_records',
      help: 'Records sent to Kafka and not yet acknowledged',
      registers: [this.registry],
      collect() {
        this.set(inflight());
      },
    });
  }

  render(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
