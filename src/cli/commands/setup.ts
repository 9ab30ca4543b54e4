// `pinpipe setup [spark|kafka]`: the local runtime's jars from Maven Central, once.
import { installKafka } from '../../local/kafka/broker.ts';
import { installSpark } from '../../local/spark/index.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'setup',
  usage: ['setup [spark|kafka]'],
  about: ['Installs the local runtime from Maven Central (idempotent): Spark 4 + Delta Lake into .pinpipe/spark,', 'Apache Kafka 4 into .pinpipe/kafka; both when none is named.'],
  flags: {},
  run: async ({ args: [what], log }) => {
    if (what !== undefined && what !== 'spark' && what !== 'kafka') usageError(`pinpipe setup: say spark or kafka, or nothing for both (USAGE); got "${what}".`);
    if (what !== 'kafka') {
      installSpark(log);
      log('setup: local Spark runtime ready');
    }
    if (what !== 'spark') {
      installKafka(log);
      log('setup: local Kafka runtime ready');
    }
  },
});
