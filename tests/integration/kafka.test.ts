// The local Kafka broker (Apache Kafka 4, KRaft, from Maven Central jars): topics with partitions, an
// idempotent producer with acks=all, a consumer group, and a crash (kill -9) after which every
// acknowledged record is still there.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';
import { describeTopics, withAdmin } from '../../src/kafka/admin.ts';
import { createTopics, idempotentProducer, messages, readTopic } from '../helpers/kafka.ts';

const quiet = () => {};

describe('local Kafka broker', function () {
  this.timeout(300_000);
  let dir: string;
  let broker: Broker;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-kafka-'));
    broker = await startBroker({ dataDir: dir, log: quiet });
  });

  after(async () => {
    await broker?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates topics with partitions and keeps every acknowledged record across a kill -9', async () => {
    await createTopics(broker.bootstrap, [{ topic: 'u.pin', partitions: 3 }]);
    const [meta] = await withAdmin({ brokers: [broker.bootstrap] }, (admin) => describeTopics(admin, ['u.pin']));
    expect(meta!.partitions).to.have.length(3);

    const producer = idempotentProducer(broker.bootstrap);
    const sent: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const values = Array.from({ length: 100 }, (_, i) => JSON.stringify({ index: batch * 100 + i }));
      const result = await producer.send({ messages: messages('u.pin', values, (i) => String(i % 7)), acks: -1 });
      // Acknowledged by the broker: a base offset for each partition the keys went to, no error.
      expect(result.offsets).to.have.length.above(0);
      expect(result.offsets!.every((o) => o.offset >= 0n && o.partition >= 0 && o.partition < 3)).to.equal(true);
      sent.push(...values);
    }
    await producer.close();

    await broker.kill();
    broker = await startBroker({ dataDir: dir, log: quiet });
    const read = (await readTopic(broker.bootstrap, 'u.pin', sent.length)).map((r) => r.value);
    expect([...read].sort()).to.deep.equal([...sent].sort());
  });
});
