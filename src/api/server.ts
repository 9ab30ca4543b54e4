// The ingestion API (`npx pinpipe api`): the Confluent Kafka REST Proxy v2 routes of spec/wire.md in front
// of Kafka, answering 200 only after the broker acknowledged every record of the request (acks=all,
// idempotent producer), 503 or 429 with Retry-After when it cannot, never a silent drop. Content type,
// JSON and record shape are checked per table (422 naming the record and the field), sizes are bounded
// like Kafka's (413), API keys (401/403) and a rate limit (429) are optional. /health and /metrics too.
// On fastify: one route per endpoint, its body limit and content-type parsing, and every fastify error
// mapped to the REST Proxy's shape (the fuzz test and tests/unit/api-http.test.ts hold that).
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ApiSettings, TableKey } from '../config/index.ts';
import { ApiMetrics } from './metrics.ts';
import { BrokerUnavailable, KafkaGateway, Overloaded, PartitionNotFound, RecordsRefused, TopicNotFound } from '../kafka/producer.ts';
import { HttpFailure, parseBody, parseRecords } from './body.ts';
import { KinesisFailure, kinesisRoute } from './kinesis-routes.ts';
import type { KinesisClient } from '@aws-sdk/client-kinesis';
import type { KafkaConnection } from '../kafka/connection.ts';

const JSON_V2 = 'application/vnd.kafka.json.v2+json';
const BINARY_V2 = 'application/vnd.kafka.binary.v2+json';
const KAFKA_V2 = 'application/vnd.kafka.v2+json';

export interface ApiOptions {
  settings: ApiSettings;
  apiKeys: string[];
  brokers: string[];
  /** TLS / SASL for a remote Kafka (see src/kafka/connection.ts). */
  connection?: KafkaConnection;
  /** Topic name -> table, for the record checks (the configured <uid>.pin/geo/user). */
  tables: Record<string, TableKey>;
  /** The Kinesis proxy routes: a client (kinesalite or AWS) and stream name -> table. */
  kinesis?: { client: KinesisClient; tables: Record<string, TableKey> };
  log?: (line: string) => void;
  /** The state of services this API supervises (the broker it started), reported by /health. */
  children?: () => Record<string, unknown>;
}

export interface ApiServer {
  url: string;
  port: number;
  metrics: ApiMetrics;
  gateway: KafkaGateway;
  app: FastifyInstance;
  close(): Promise<void>;
}

function mediaType(req: FastifyRequest): string {
  return String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

function send(reply: FastifyReply, status: number, body: unknown, contentType = KAFKA_V2, headers: Record<string, string> = {}): FastifyReply {
  // A Buffer, so that fastify keeps the content type exactly as given (no charset added).
  return reply.code(status).headers({ 'content-type': contentType, ...headers }).send(Buffer.from(JSON.stringify(body)));
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The route name the metrics count this request under. */
    routeName: string;
  }
}

/** The API as a fastify app over a Kafka gateway (tests use it with inject()). */
export function apiApp(options: ApiOptions, gateway: KafkaGateway, metrics: ApiMetrics): FastifyInstance {
  const { settings } = options;
  const log = options.log ?? (() => {});
  const buckets = new Map<string, { tokens: number; at: number }>();
  // Bounds on what clients may hold: a whole request within request_timeout_seconds (Node answers 408),
  // headers within headers_timeout_seconds, both checked every second; an idle connection closes after 60 s.
  const requestTimeout = settings.request_timeout_seconds * 1000;
  const app = Fastify({ bodyLimit: settings.max_request_bytes, connectionTimeout: 60_000, requestTimeout, keepAliveTimeout: 10_000,
    ...({ http: { requestTimeout, headersTimeout: Math.min(settings.headers_timeout_seconds * 1000, requestTimeout), connectionsCheckingInterval: 1000 } } as object),
    routerOptions: { ignoreTrailingSlash: true },
    // The stage of an API Gateway invoke URL (`/dev/topics/...`), as the original clients post to it.
    rewriteUrl: (req) => stripStage(req.url ?? '/', settings.stage),
    // A request not received in time (408) or not HTTP at all (400), answered by Node before any route: the
    // REST Proxy's shape too.
    clientErrorHandler: (e, socket) => {
      if (!socket.writable) { socket.destroy(); return; }
      const timeout = (e as NodeJS.ErrnoException).code === 'ERR_HTTP_REQUEST_TIMEOUT';
      const [status, text] = timeout ? [408, 'Request Timeout'] : [400, 'Bad Request'];
      const body = JSON.stringify({ error_code: status * 100 + 1, message: timeout ? `The request did not arrive within ${settings.request_timeout_seconds} s (headers within ${settings.headers_timeout_seconds} s).` : 'Bad request: not a valid HTTP request.' });
      metrics.errors.inc({ status: String(status), code: String(status * 100 + 1) });
      socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: ${KAFKA_V2}\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    },
    // A URL the router cannot decode is the client's fault: 400 in the REST Proxy's shape.
    frameworkErrors: (_e, req, reply) => {
      metrics.errors.inc({ status: '400', code: '40001' });
      void send(reply, 400, { error_code: 40001, message: `Malformed path ${req.url.split('?', 1)[0]}: bad percent-encoding.` });
    },
  });
  app.decorateRequest('routeName', '');
  // Bodies are read as bytes; each route judges its content type and JSON itself, in the REST Proxy's words.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  function authorize(req: FastifyRequest): void {
    const key = req.headers['x-api-key'];
    const client = typeof key === 'string' && key ? `key:${key}` : `addr:${req.socket.remoteAddress ?? ''}`;
    if (settings.require_api_key) {
      if (typeof key !== 'string' || !key) throw new HttpFailure(401, 40101, 'Unauthorized: send your API key in the x-api-key header.');
      if (!options.apiKeys.includes(key)) throw new HttpFailure(403, 40301, 'Forbidden: the API key is not valid.');
    }
    if (settings.rate_limit_rps > 0) {
      const now = Date.now();
      const b = buckets.get(client) ?? { tokens: settings.rate_limit_rps, at: now };
      b.tokens = Math.min(settings.rate_limit_rps, b.tokens + ((now - b.at) / 1000) * settings.rate_limit_rps);
      b.at = now;
      if (b.tokens < 1) {
        buckets.set(client, b);
        const wait = Math.max(1, Math.ceil((1 - b.tokens) / settings.rate_limit_rps));
        throw new HttpFailure(429, 42901, `Too many requests: at most ${settings.rate_limit_rps} a second.`, { 'retry-after': String(wait) });
      }
      b.tokens -= 1;
      buckets.set(client, b);
    }
  }

  const pathname = (req: FastifyRequest) => req.url.split('?', 1)[0]!;
  const guarded = (p: string) => p === '/topics' || p.startsWith('/topics/') || p === '/streams' || p.startsWith('/streams/');

  // Bytes of request bodies being read or handled: a request that would pass max_inflight_bytes is answered
  // 503 before its body is read (a chunked body counts as max_request_bytes, the most it may be).
  let inflightBytes = 0;
  const reserved = new WeakMap<FastifyRequest, number>();
  const release = (req: FastifyRequest) => {
    const n = reserved.get(req);
    if (n) { inflightBytes -= n; reserved.delete(req); }
  };
  app.addHook('onResponse', async (req) => release(req));
  app.addHook('onRequestAbort', async (req) => release(req));
  app.addHook('onRequest', async (req) => {
    if (req.method === 'POST' || req.method === 'PUT') {
      const declared = Number(req.headers['content-length']);
      const n = Number.isFinite(declared) && declared >= 0 ? Math.min(declared, settings.max_request_bytes + 1) : settings.max_request_bytes;
      if (n > 0 && inflightBytes + n > settings.max_inflight_bytes && inflightBytes > 0) {
        throw new HttpFailure(503, 50302, `The API holds ${inflightBytes} bytes of requests (api.max_inflight_bytes ${settings.max_inflight_bytes}); retry shortly.`, { 'retry-after': '1' });
      }
      inflightBytes += n;
      reserved.set(req, n);
    }
  });
  app.addHook('onRequest', async (req) => {
    const p = pathname(req);
    let parts: string[];
    try {
      parts = p.split('/').filter(Boolean).map(decodeURIComponent);
    } catch {
      throw new HttpFailure(400, 40001, `Malformed path ${p}: bad percent-encoding.`);
    }
    if (!guarded(p)) return;
    if (parts[0] === 'streams' && parts.length > 3) return;
    authorize(req);
    // A produce request's content type is judged before its body is read, as the REST Proxy does.
    if (req.method === 'POST' && parts[0] === 'topics' && parts.length === 2) {
      const type = mediaType(req);
      if (type !== JSON_V2 && type !== BINARY_V2) throw new HttpFailure(415, 415, `HTTP 415 Unsupported Media Type: send ${JSON_V2} or ${BINARY_V2}, not "${type || 'no content type'}".`);
    }
  });

  app.addHook('onResponse', async (req, reply) => {
    const name = req.routeName || (pathname(req).startsWith('/topics/') && req.method === 'POST' ? 'produce' : 'other');
    metrics.requests.inc({ route: name, status: String(reply.statusCode) });
    metrics.latency.observe({ route: name }, reply.elapsedTime / 1000);
  });

  app.get('/health', async (req, reply) => {
    req.routeName = 'health';
    const ok = await gateway.healthy();
    return send(reply, ok ? 200 : 503, { status: ok ? 'ok' : 'broker unavailable', broker: ok ? 'up' : 'down', inflight_records: gateway.inflight, ...(options.children ? { supervised: options.children() } : {}) }, 'application/json');
  });
  app.get('/metrics', async (req, reply) => {
    req.routeName = 'metrics';
    return reply.code(200).header('content-type', metrics.contentType).send(await metrics.render());
  });

  // ---- Kafka REST Proxy v2
  const topicNotFound = (e: unknown, topic: string): never => {
    if (e instanceof TopicNotFound) throw new HttpFailure(404, 40401, `Topic ${topic} not found.`);
    throw e;
  };
  app.get('/topics', async (req, reply) => {
    req.routeName = 'list_topics';
    return send(reply, 200, [...(await gateway.topics(true)).keys()].sort());
  });
  app.get<{ Params: { topic: string } }>('/topics/:topic', async (req, reply) => {
    req.routeName = 'describe_topic';
    const t = await gateway.topic(req.params.topic).catch((e: unknown) => topicNotFound(e, req.params.topic));
    return send(reply, 200, {
      name: t.name,
      configs: {},
      partitions: [...t.partitions].sort((a, b) => a.partitionId - b.partitionId).map((p) => ({
        partition: p.partitionId,
        leader: p.leader,
        replicas: p.replicas.map((r) => ({ broker: r, leader: r === p.leader, in_sync: p.isr.includes(r) })),
      })),
    });
  });
  app.post<{ Params: { topic: string } }>('/topics/:topic', async (req, reply) => {
    req.routeName = 'produce';
    const topic = req.params.topic;
    const format = mediaType(req) === JSON_V2 ? 'json' : 'binary';
    // An unknown topic is refused before the body is judged, as the REST Proxy does.
    const info = await gateway.topic(topic).catch((e: unknown) => topicNotFound(e, topic));
    const limit = Math.min(settings.max_record_bytes, gateway.recordLimit(info));
    const records = parseRecords((req.body as Buffer | undefined) ?? Buffer.alloc(0), format, options.tables[topic], limit, settings.max_inflight_records);
    const offsets = await gateway.produce(topic, records);
    metrics.records.inc({ topic }, records.length);
    return send(reply, 200, {
      offsets: offsets.map((o) => ({ partition: o.partition, offset: o.offset, error_code: null, error: null })),
      key_schema_id: null,
      value_schema_id: null,
    });
  });

  // ---- API Gateway Kinesis proxy
  const kinesis = async (req: FastifyRequest, reply: FastifyReply, parts: string[], name: string) => {
    req.routeName = name;
    if (!options.kinesis) throw new HttpFailure(404, 404, 'HTTP 404 Not Found: this API serves no Kinesis streams (start it with Kinesis).');
    const readJson = async (): Promise<unknown> => {
      const type = mediaType(req);
      if (type !== 'application/json') throw new HttpFailure(415, 415, `HTTP 415 Unsupported Media Type: send application/json, not "${type || 'no content type'}".`);
      // PutRecords holds Data three levels down ({"records":[{"data": ...}]}).
      return parseBody((req.body as Buffer | undefined) ?? Buffer.alloc(0), 3);
    };
    const out = await kinesisRoute({ client: options.kinesis.client, tables: options.kinesis.tables, maxRecordBytes: settings.max_record_bytes }, req.method, parts, readJson, () => ((req.body as Buffer | undefined) ?? Buffer.alloc(0)).toString('utf8'));
    if (!out) throw new HttpFailure(405, 40501, `HTTP 405 Method Not Allowed: ${req.method} ${pathname(req)}.`);
    if (name.startsWith('put_')) {
      const n = name === 'put_record' ? 1 : ((out.body as { Records: unknown[] }).Records.length - ((out.body as { FailedRecordCount: number }).FailedRecordCount ?? 0));
      metrics.records.inc({ stream: parts[1]! }, n);
    }
    return send(reply, out.status, out.body, 'application/json');
  };
  app.get('/streams', (req, reply) => kinesis(req, reply, ['streams'], 'list_streams'));
  for (const method of ['GET', 'POST', 'DELETE'] as const) {
    app.route<{ Params: { stream: string } }>({ method, url: '/streams/:stream', handler: (req, reply) => kinesis(req, reply, ['streams', req.params.stream], `${method.toLowerCase()}_stream`) });
  }
  app.put<{ Params: { stream: string } }>('/streams/:stream/record', (req, reply) => kinesis(req, reply, ['streams', req.params.stream, 'record'], 'put_record'));
  app.put<{ Params: { stream: string } }>('/streams/:stream/records', (req, reply) => kinesis(req, reply, ['streams', req.params.stream, 'records'], 'put_records'));

  app.setNotFoundHandler((req) => {
    const p = pathname(req);
    const parts = p.split('/').filter(Boolean);
    if (parts[0] === 'streams' && parts.length <= 3 && !options.kinesis) throw new HttpFailure(404, 404, 'HTTP 404 Not Found: this API serves no Kinesis streams (start it with Kinesis).');
    if ((parts[0] === 'streams' && parts.length <= 3) || parts[0] === 'topics') throw new HttpFailure(405, 40501, `HTTP 405 Method Not Allowed: ${req.method} ${p}.`);
    throw new HttpFailure(404, 404, 'HTTP 404 Not Found');
  });

  app.setErrorHandler((e: FastifyError | Error, req, reply) => {
    let failure: HttpFailure;
    if (e instanceof HttpFailure) failure = e;
    else if (e instanceof PartitionNotFound) failure = new HttpFailure(404, 40403, `Partition ${e.partition} not found.`);
    else if (e instanceof RecordsRefused) {
      failure = e.kafkaError.endsWith('TOO_LARGE')
        ? new HttpFailure(413, 41304, `Kafka refused the records as too large (${e.kafkaError}); nothing was acknowledged. Send smaller records.`)
        : new HttpFailure(422, 42203, `Kafka refused the records (${e.kafkaError}); nothing was acknowledged.`);
    } else if (e instanceof Overloaded) failure = new HttpFailure(429, 42902, `The broker is behind (${e.message}); retry later.`, { 'retry-after': '1' });
    else if (e instanceof KinesisFailure) {
      // Kinesis errors keep Kinesis' own body: {"__type", "message"}.
      metrics.errors.inc({ status: String(e.status), code: e.type });
      return send(reply, e.status, { __type: e.type, message: e.message }, 'application/json', e.headers);
    } else if (e instanceof BrokerUnavailable) failure = new HttpFailure(503, 50301, /records were written before it/.test(e.message) ? `Kafka is unavailable: ${e.message}` : `Kafka is unavailable, nothing was written: ${e.message}`, { 'retry-after': '5' });
    else if ((e as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') failure = new HttpFailure(413, 41301, `Request body is larger than the limit of ${settings.max_request_bytes} bytes.`);
    else if (typeof (e as FastifyError).statusCode === 'number' && (e as FastifyError).statusCode! >= 400 && (e as FastifyError).statusCode! < 500) {
      // fastify's own refusals (a bad URL, a bad content length): a 400 in the REST Proxy's shape.
      failure = new HttpFailure(400, 40001, `Bad request: ${e.message}`);
    } else {
      log(`api: ${req.method} ${pathname(req)} failed: ${e instanceof Error ? e.stack : String(e)}`);
      failure = new HttpFailure(500, 50001, 'Internal error; nothing was written.');
    }
    metrics.errors.inc({ status: String(failure.status), code: String(failure.errorCode) });
    return send(reply, failure.status, { error_code: failure.errorCode, message: failure.message }, KAFKA_V2, failure.headers);
  });
  return app;
}

/** The URL without its API Gateway stage: `/dev/topics/t` becomes `/topics/t` when the stage is accepted. */
export function stripStage(url: string, stage: string): string {
  if (!stage) return url;
  const m = /^\/([^/?#]+)(\/(?:topics|streams)(?:[/?#].*)?)$/.exec(url);
  if (!m || m[1] === 'topics' || m[1] === 'streams') return url;
  return stage === '*' || m[1] === stage ? m[2]! : url;
}

export async function startApi(options: ApiOptions): Promise<ApiServer> {
  const { settings } = options;
  const gateway = new KafkaGateway({ brokers: options.brokers, ...(options.connection ? { connection: options.connection } : {}) }, { maxInflight: settings.max_inflight_records });
  const metrics = new ApiMetrics(() => gateway.inflight);
  const app = apiApp(options, gateway, metrics);
  // Connections past max_connections are answered 503 at once and closed, before any byte is read.
  let open = 0;
  app.server.on('connection', (socket) => {
    open++;
    socket.once('close', () => { open--; });
    if (open > settings.max_connections) {
      metrics.errors.inc({ status: '503', code: '50303' });
      const body = JSON.stringify({ error_code: 50303, message: `Too many connections (api.max_connections ${settings.max_connections}); retry shortly.` });
      socket.end(`HTTP/1.1 503 Service Unavailable\r\nContent-Type: ${KAFKA_V2}\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    }
  });
  await app.listen({ port: settings.port, host: settings.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : settings.port;
  return {
    url: `http://${settings.host}:${port}`,
    port,
    metrics,
    gateway,
    app,
    close: async () => {
      await app.close();
      await gateway.close();
    },
  };
}
