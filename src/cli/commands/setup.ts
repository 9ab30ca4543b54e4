// `pinpipe setup [spark|kafka]`: the local runtime's jars from Maven Central, once.
import { installKafka } from '../../local/kafka/broker.ts';
import { installSpark } from '../../local/spark/index.ts';
import { installPython } from '../../local/python/install.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'setup',
  usage: ['setup [spark|kafka|python]'],
  about: [
    'Installs the local runtime (idempotent): Spark 4 + Delta Lake into .pinpipe/spark and Apache Kafka 4 into',
    '.pinpipe/kafka from Maven Central (both when none is named); python: a venv in .pinpipe/python with the',
    'Databricks SDK for Python and the Databricks SQL Connector from PyPI, the clients the tests point at the',
    'local workspace and warehouse.',
  ],
  flags: {},
  run: async ({ args: [what], log }) => {
    if (what !== undefined && what !== 'spark' && what !== 'kafka' && what !== 'python') usageError(`pinpipe setup: say spark, kafka or python, or nothing for Spark and Kafka (USAGE); got "${what}".`);
    if (what === 'python') {
      log(`setup: ${installPython(log)}`);
      return;
    }
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
