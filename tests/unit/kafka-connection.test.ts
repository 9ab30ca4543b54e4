// Kafka connection settings for a remote cluster: TLS, SASL PLAIN/SCRAM from the environment, MSK IAM.
import { expect } from 'chai';
import { kafkaSchema } from '../../src/config/schema.ts';
import { kafkaConnection } from '../../src/kafka/connection.ts';

const settings = (security: Record<string, unknown>) => kafkaSchema.parse({ bootstrap_servers: ['b-1.msk:9098'], security });

describe('Kafka connection for a remote cluster', () => {
  it('is plain for PLAINTEXT and TLS for SSL', () => {
    expect(kafkaConnection(settings({}), {})).to.deep.equal({});
    expect(kafkaConnection(settings({ protocol: 'SSL' }), {})).to.deep.equal({ tls: {} });
  });

  it('takes SASL credentials from the environment, never the YAML, and says which are missing', () => {
    const c = kafkaConnection(settings({ protocol: 'SASL_SSL', sasl_mechanism: 'scram-sha-512' }), { PINPIPE_KAFKA_USERNAME: 'u', PINPIPE_KAFKA_PASSWORD: 'p' });
    expect(c).to.deep.equal({ tls: {}, sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' } });
    expect(() => kafkaConnection(settings({ protocol: 'SASL_SSL', sasl_mechanism: 'plain' }), {})).to.throw(/PINPIPE_KAFKA_USERNAME and PINPIPE_KAFKA_PASSWORD/);
    expect(() => kafkaConnection(settings({ protocol: 'SASL_SSL' }), {})).to.throw(/sasl_mechanism/);
  });

  it('signs MSK IAM tokens with OAUTHBEARER and needs a region', () => {
    const c = kafkaConnection(settings({ protocol: 'SASL_SSL', sasl_mechanism: 'aws' }), { AWS_REGION: 'us-east-1' });
    expect(c.tls).to.deep.equal({});
    expect(c.sasl?.mechanism).to.equal('OAUTHBEARER');
    expect(typeof c.sasl?.token).to.equal('function');
    expect(() => kafkaConnection(settings({ protocol: 'SASL_SSL', sasl_mechanism: 'aws' }), {})).to.throw(/aws_region or AWS_REGION/);
  });
});
