// How pinpipe's Kafka clients (API, sink, admin) reach a Kafka that is not the local broker, as options of
// @platformatic/kafka: TLS, SASL PLAIN/SCRAM with credentials from the environment the CLI passes in
// (PINPIPE_KAFKA_USERNAME, PINPIPE_KAFKA_PASSWORD), or AWS MSK IAM (SASL OAUTHBEARER with a token signed
// from the AWS credentials chain). Never secrets in YAML.
import type { SASLOptions } from '@platformatic/kafka';
import type { KafkaSettings } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';

/** Connection options for a Kafka client: TLS (with the system's trust store) and SASL. */
export interface KafkaConnection {
  tls?: Record<string, never>;
  sasl?: SASLOptions;
}

/** Where a Kafka client connects: bootstrap servers (host:port) and how. */
export interface KafkaEndpoint {
  brokers: string[];
  connection?: KafkaConnection;
}

const MECHANISMS = { plain: 'PLAIN', 'scram-sha-256': 'SCRAM-SHA-256', 'scram-sha-512': 'SCRAM-SHA-512' } as const;

export function kafkaConnection(settings: KafkaSettings, env: NodeJS.ProcessEnv): KafkaConnection {
  const { protocol, sasl_mechanism: mechanism, aws_region: region } = settings.security;
  if (protocol === 'PLAINTEXT') return {};
  if (protocol === 'SSL') return { tls: {} };
  if (!mechanism) throw new PinpipeError('CONFIG_INVALID', 'config: kafka.security.protocol SASL_SSL needs kafka.security.sasl_mechanism (CONFIG_INVALID): plain, scram-sha-256, scram-sha-512 or aws.');
  if (mechanism === 'aws') {
    const awsRegion = region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
    if (!awsRegion) throw new PinpipeError('CONFIG_INVALID', 'config: MSK IAM needs a region (CONFIG_INVALID): set kafka.security.aws_region or AWS_REGION.');
    return {
      tls: {},
      sasl: {
        mechanism: 'OAUTHBEARER',
        // A fresh token for every connection: MSK IAM tokens expire after 15 minutes.
        token: async () => {
          const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
          return (await generateAuthToken({ region: awsRegion })).token;
        },
      },
    };
  }
  const username = env['PINPIPE_KAFKA_USERNAME'];
  const password = env['PINPIPE_KAFKA_PASSWORD'];
  if (!username || !password) {
    throw new PinpipeError('CONFIG_INVALID', `config: SASL ${mechanism} needs PINPIPE_KAFKA_USERNAME and PINPIPE_KAFKA_PASSWORD in the environment (CONFIG_INVALID).`);
  }
  return { tls: {}, sasl: { mechanism: MECHANISMS[mechanism], username, password } };
}

/** The options every client of ours shares: bootstrap servers, connection, and bounded timeouts. */
export function clientOptions(endpoint: KafkaEndpoint, clientId: string): { clientId: string; bootstrapBrokers: string[]; connectTimeout: number; requestTimeout: number } & KafkaConnection {
  return { clientId, bootstrapBrokers: endpoint.brokers, connectTimeout: 3000, requestTimeout: 10_000, ...endpoint.connection };
}
