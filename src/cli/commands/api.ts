// `pinpipe api`: the ingestion API (Kafka REST Proxy v2 and the API Gateway Kinesis proxy routes) in front
// of Kafka (the local broker unless kafka.bootstrap_servers names another) and Kinesis (kinesalite unless
// configured otherwise), creating the three topics and streams when missing. Ctrl-C stops it.
import path from 'node:path';
import { TABLES } from '../../config/index.ts';
import { startApi } from '../../api/server.ts';
import { ensureTopics } from '../../kafka/admin.ts';
import { kafkaConnection } from '../../kafka/connection.ts';
import { ensureStreams } from '../../kinesis/streams.ts';
import { superviseBroker, type SupervisedBroker } from '../../local/kafka/supervisor.ts';
import { kinesisClient, startKinesis } from '../../local/kinesis.ts';
import { command } from '../command.ts';
import { untilStopped } from '../signals.ts';

export default command({
  name: 'api',
  usage: ['api [--port N]'],
  about: [
    'The ingestion API (Kafka REST Proxy v2 routes of spec/wire.md) in front of Kafka: the local broker',
    '(Apache Kafka 4, KRaft, data in <lake>/_kafka) unless kafka.bootstrap_servers names another. Creates the',
    'three topics and Kinesis streams when missing. API keys: PINPIPE_API_KEYS with api.require_api_key.',
  ],
  flags: { port: { type: 'port', help: 'the port to listen on (default api.port, 8082; 0: any free port)' } },
  run: async ({ flags, config, env, log, out }) => {
    const cfg = config();
    let broker: SupervisedBroker | null = null;
    let brokers = cfg.kafka.bootstrap_servers;
    if (!brokers.length) {
      // The broker this command starts is supervised: restarted with backoff when it dies (see supervisor.ts).
      broker = await superviseBroker({ dataDir: path.join(cfg.lakeRoot, '_kafka'), log });
      brokers = [broker.bootstrap];
    }
    const connection = broker ? {} : kafkaConnection(cfg.kafka, env);
    await ensureTopics({ brokers, connection, topics: Object.values(cfg.names.topic), partitions: cfg.kafka.partitions, log });
    const tables = Object.fromEntries(TABLES.map((t) => [cfg.names.topic[t], t]));
    // Kinesis: kinesalite with its data in <lake>/_kinesis (default), AWS, or another endpoint; the three streams.
    const kinesis = cfg.kinesis.mode === 'local' ? await startKinesis({ dataDir: path.join(cfg.lakeRoot, '_kinesis'), log }) : null;
    const kinesisEndpoint = kinesis?.endpoint ?? (cfg.kinesis.mode === 'endpoint' ? cfg.kinesis.endpoint : undefined);
    const kclient = kinesisClient(kinesisEndpoint, cfg.kinesis.region);
    await ensureStreams(kclient, TABLES.map((t) => cfg.names.stream[t]), cfg.kinesis.shards, log);
    const server = await startApi({
      settings: { ...cfg.api, port: flags.port ?? cfg.api.port }, apiKeys: cfg.apiKeys, brokers, connection, tables, log,
      ...(broker ? { children: () => broker!.status() } : {}),
      kinesis: { client: kclient, tables: Object.fromEntries(TABLES.map((t) => [cfg.names.stream[t], t])) },
    });
    log(`api: listening on ${server.url} (Kafka ${brokers.join(',')}, Kinesis ${kinesisEndpoint ?? `AWS ${cfg.kinesis.region}`}); POST ${server.url}/topics/${cfg.names.topic.pin}, PUT ${server.url}/streams/${cfg.names.stream.pin}/record`);
    out(`${server.url}\n`);
    await untilStopped();
    log('api: stopping');
    await server.close();
    await kinesis?.stop();
    await broker?.stop();
  },
});
