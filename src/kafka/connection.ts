// How pinpipe's Kafka clients (API, sink, admin) reach a Kafka that is not the local broker: TLS, SASL
// PLAIN/SCRAM with credentials from the environment (PINPIPE_KAFKA_USERNAME, PINPIPE_KAFKA_PASSWORD), or
// AWS MSK IAM (SASL OAUTHBEARER with a token signed from the AWS credentials chain). Never secrets in YAML.
import type { KafkaConfig, SASLOptions } from 'kafkajs';
import type { KafkaSettings } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';

export type KafkaConnection = Pick<KafkaConfig, 'ssl' | 'sasl'>;

export function kafkaConnection(settings: KafkaSettings, env: NodeJS.ProcessEnv = process.env): KafkaConnection {
  const { protocol, sasl_mechanism: mechanism, aws_region: region } = settings.security;
  if (protocol === 'PLAINTEXT') return {};
  if (protocol === 'SSL') return { ssl: true };
  if (!mechanism) throw new PinpipeError('CONFIG_INVALID', 'config: kafka.security.protocol SASL_SSL needs kafka.security.sasl_mechanism (CONFIG_INVALID): plain, scram-sha-256, scram-sha-512 or aws.');
  if (mechanism === 'aws') {
    const awsRegion = region ?? env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
    if (!awsRegion) throw new PinpipeError('CONFIG_INVALID', 'config: MSK IAM needs a region (CONFIG_INVALID): set kafka.security.aws_region or AWS_REGION.');
    const sasl: SASLOptions = {
      mechanism: 'oauthbearer',
      oauthBearerProvider: async () => {
        const { generateAuthToken } = await import('aws-msk-iam-sasl-signer-js');
        const token = await generateAuthToken({ region: awsRegion });
        return { value: token.token };
      },
    };
    return { ssl: true, sasl };
  }
  const username = env['PINPIPE_KAFKA_USERNAME'];
  const password = env['PINPIPE_KAFKA_PASSWORD'];
  if (!username || !password) {
    throw new PinpipeError('CONFIG_INVALID', `config: SASL ${mechanism} needs PINPIPE_KAFKA_USERNAME and PINPIPE_KAFKA_PASSWORD in the environment (CONFIG_INVALID).`);
  }
  return { ssl: true, sasl: { mechanism, username, password } as SASLOptions };
}
