// `pinpipe sink`: the consumer group that lands the topics in the S3 connector's layout, exactly once, into
// the lake or S3 (any S3-compatible store with --s3-endpoint); Prometheus metrics on request. Ctrl-C stops it
// after flushing what is buffered.
import { kafkaConnection } from '../../kafka/connection.ts';
import { s3Client, S3RVER_KEYS } from '../../local/s3.ts';
import { serveSinkMetrics } from '../../sink/metrics.ts';
import { Sink } from '../../sink/sink.ts';
import { FolderStore, S3Store, type LandingStore } from '../../sink/store.ts';
import type { Config } from '../../config/index.ts';
import { PinpipeError } from '../../errors.ts';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { command, usageError } from '../command.ts';
import { untilStopped } from '../signals.ts';

/** Kafka for the sink: the flag, else the configured servers, else the lake's local broker. */
function kafkaBrokers(cfg: Config, flag: string | undefined): string[] {
  if (flag) return flag.split(',').map((b) => b.trim()).filter(Boolean);
  if (cfg.kafka.bootstrap_servers.length) return cfg.kafka.bootstrap_servers;
  const ports = path.join(cfg.lakeRoot, '_kafka', 'ports.json');
  if (existsSync(ports)) return [`127.0.0.1:${(JSON.parse(readFileSync(ports, 'utf8')) as { port: number }).port}`];
  throw new PinpipeError('USAGE', 'pinpipe: no Kafka to use (USAGE): give --bootstrap HOST:PORT, set kafka.bootstrap_servers, or start the local broker with npx pinpipe api.');
}

/** Where the sink lands: the lake folder, or s3://bucket/prefix (on an S3-compatible endpoint when given). */
function landingStore(cfg: Config, s3: string | undefined, endpoint: string | undefined, env: NodeJS.ProcessEnv): LandingStore {
  if (!s3) return new FolderStore(cfg.lakeRoot);
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(s3);
  if (!m) usageError(`pinpipe sink: --s3 ${s3} is not valid (USAGE); expected s3://bucket or s3://bucket/prefix.`);
  const prefix = m[2] ? m[2].replace(/\/?$/, '/') : '';
  const keys = { accessKeyId: env['PINPIPE_S3_ACCESS_KEY'] ?? S3RVER_KEYS.accessKeyId, secretAccessKey: env['PINPIPE_S3_SECRET_KEY'] ?? S3RVER_KEYS.secretAccessKey };
  return new S3Store(s3Client(endpoint, 'us-east-1', keys), m[1]!, prefix);
}

export default command({
  name: 'sink',
  usage: [
    'sink [--bootstrap HOST:PORT,...] [--topics T,...] [--group G] [--flush-records N] [--flush-bytes N] [--flush-age-ms N]',
    '     [--s3 s3://BUCKET[/PREFIX] [--s3-endpoint URL]] [--metrics-port N]',
  ],
  about: [
    'A consumer group that lands the topics in the S3 connector\'s layout, exactly once across crashes and',
    'rebalances: into the lake, or with --s3 into S3 (AWS credentials chain) or any S3-compatible store at',
    '--s3-endpoint (keys PINPIPE_S3_ACCESS_KEY / PINPIPE_S3_SECRET_KEY). Kafka: --bootstrap, else',
    'kafka.bootstrap_servers, else the local broker of the lake.',
  ],
  flags: {
    bootstrap: { type: 'string', value: 'HOST:PORT,...', help: 'the Kafka to read' },
    topics: { type: 'string', value: 'T,...', help: 'topics to land (default the three of the configuration)' },
    group: { type: 'string', value: 'G', help: 'the consumer group (default pinpipe-sink-<user_id>)' },
    'flush-records': { type: 'int', min: 1, help: 'records an object at most (default 1000)' },
    'flush-bytes': { type: 'int', min: 1, help: 'bytes an object at most (default 16 MiB)' },
    'flush-age-ms': { type: 'int', min: 1, help: 'how long a record may wait before its object is written (default 10000)' },
    s3: { type: 'string', value: 's3://BUCKET[/PREFIX]', help: 'land into S3 instead of the lake' },
    's3-endpoint': { type: 'string', value: 'URL', help: 'an S3-compatible endpoint (or PINPIPE_S3_ENDPOINT)' },
    'metrics-port': { type: 'port', help: 'serve Prometheus metrics at /metrics on this port (0: any)' },
  },
  run: async ({ flags, config, env, log }) => {
    const cfg = config();
    const brokers = kafkaBrokers(cfg, flags.bootstrap);
    const topics = (flags.topics ?? Object.values(cfg.names.topic).join(',')).split(',').map((t) => t.trim()).filter(Boolean);
    const sink = new Sink({
      brokers,
      ...(flags.bootstrap || !cfg.kafka.bootstrap_servers.length ? {} : { connection: kafkaConnection(cfg.kafka, env) }),
      topics,
      groupId: flags.group ?? `pinpipe-sink-${cfg.userId}`,
      store: landingStore(cfg, flags.s3, flags['s3-endpoint'] ?? env['PINPIPE_S3_ENDPOINT'], env),
      flush: { records: flags['flush-records'] ?? 1000, bytes: flags['flush-bytes'] ?? 16 * 1024 * 1024, ageMs: flags['flush-age-ms'] ?? 10_000 },
      log,
    });
    await sink.start();
    const metricsServer = flags['metrics-port'] === undefined ? null : await serveSinkMetrics(sink, flags['metrics-port']);
    if (metricsServer) log(`sink: Prometheus metrics at ${metricsServer.url}/metrics`);
    log(`sink: landing ${topics.join(', ')} from ${brokers.join(',')} into ${flags.s3 ?? cfg.lakeRoot}`);
    let last = { at: Date.now(), records: 0 };
    const progress = setInterval(() => {
      const now = Date.now();
      const rate = ((sink.stats.records - last.records) * 1000) / Math.max(1, now - last.at);
      last = { at: now, records: sink.stats.records };
      void sink.lag().then((lag) => {
        const total = Object.values(lag).reduce((a, b) => a + b, 0);
        log(`sink: ${sink.stats.records} records in ${sink.stats.files} files, ${rate.toFixed(0)} records/s, lag ${total}`);
      }).catch(() => {});
    }, 5000);
    await untilStopped();
    clearInterval(progress);
    await metricsServer?.close();
    log('sink: stopping (flushing what is buffered)');
    await sink.stop();
    log(`sink: stopped; ${sink.stats.records} records in ${sink.stats.files} files this run`);
  },
});
