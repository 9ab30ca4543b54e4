// The three Kinesis streams of spec/wire.md, encrypted, one shard each, deleted with the stack.
import { expect } from 'chai';
import { app, UID } from './app.ts';

describe('infra: streams stack', function () {
  this.timeout(120_000);

  it('creates streaming-<uid>-pin, -geo and -user, KMS-encrypted with the AWS managed key, one shard, 24 hours', () => {
    const t = app().template('streams');
    t.resourceCountIs('AWS::Kinesis::Stream', 3);
    for (const table of ['pin', 'geo', 'user']) {
      t.hasResource('AWS::Kinesis::Stream', {
        Properties: {
          Name: `streaming-${UID}-${table}`,
          ShardCount: 1,
          RetentionPeriodHours: 24,
          StreamModeDetails: { StreamMode: 'PROVISIONED' },
          StreamEncryption: { EncryptionType: 'KMS', KeyId: 'alias/aws/kinesis' },
        },
        DeletionPolicy: 'Delete',
      });
    }
  });

  it("has no stream but spec/wire.md's three", () => {
    const names = Object.values(app().json('streams').Resources).map((r) => r.Properties?.['Name']);
    expect(names).to.have.members(['streaming-0affe4008223-pin', 'streaming-0affe4008223-geo', 'streaming-0affe4008223-user']);
    expect(names).to.have.length(3);
  });
});
