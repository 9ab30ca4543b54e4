// The local Kafka broker (Apache Kafka 4, KRaft, from Maven Central jars): topics with partitions, an
// idempotent producer with acks=all, a consumer group, and a crash (kill -9) after which every
// acknowledged record is still there.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type Broker } from '../../src/local/kafka/broker.ts';

const quiet = () => {};

async function consumeAll(bootstrap: string, topic: string, expected: number): Promise<string[]> {
  const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, clientId: 'pinpipe-test' });
  const consumer = kafka.consumer({ groupId: `g-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const values: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${values.length} of ${expected} records read`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        values.push(message.value!.toString());
        if (values.length >= expected) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  return values;
}

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
    const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING, clientId: 'pinpipe-test' });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'u.pin', numPartitions: 3 }], waitForLeaders: true });
    const meta = await admin.fetchTopicMetadata({ topics: ['u.pin'] });
    expect(meta.topics[0]!.partitions).to.have.length(3);
    await admin.disconnect();

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const sent: string[] = [];
    for (let batch = 0; batch < 10; batch++) {
      const messages = Array.from({ length: 100 }, (_, i) => ({ key: String(i % 7), value: JSON.stringify({ index: batch * 100 + i }) }));
      const acks = await producer.send({ topic: 'u.pin', acks: -1, messages });
      expect(acks.every((a) => a.errorCode === 0)).to.equal(true);
      sent.push(...messages.map((m) => m.value));
    }
    await producer.disconnect();

    await broker.kill();
    broker = await startBroker({ dataDir: dir, log: quiet });
    const read = await consumeAll(broker.bootstrap, 'u.pin', sent.length);
    expect([...read].sort()).to.deep.equal([...sent].sort());
  });
});
