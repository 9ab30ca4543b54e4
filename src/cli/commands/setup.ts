// `pinpipe setup [spark|kafka|python|airflow]`: the local runtime's jars from Maven Central, Python venvs from PyPI, once.
import { installKafka } from '../../local/kafka/broker.ts';
import { installSpark } from '../../local/spark/index.ts';
import { installPython } from '../../local/python/install.ts';
import { installAirflow } from '../../local/airflow/install.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'setup',
  usage: ['setup [spark|kafka|python|airflow]'],
  about: [
    'Installs the local runtime (idempotent): Spark 4 + Delta Lake into .pinpipe/spark and Apache Kafka 4 into',
    '.pinpipe/kafka from Maven Central (both when none is named); python: a venv in .pinpipe/python with the',
    'Databricks SDK for Python and the Databricks SQL Connector from PyPI, the clients the tests point at the',
    'local workspace and warehouse. airflow: Apache Airflow 3 (.pinpipe/airflow) and MWAA\'s Airflow 2.10',
    '(.pinpipe/airflow2) with the Databricks provider, pinned, from PyPI, to run the generated DAGs locally.',
  ],
  flags: {},
  run: async ({ args: [what], log }) => {
    if (what !== undefined && !['spark', 'kafka', 'python', 'airflow'].includes(what)) usageError(`pinpipe setup: say spark, kafka, python or airflow, or nothing for Spark and Kafka (USAGE); got "${what}".`);
    if (what === 'airflow') {
      for (const major of [3, 2] as const) log(`setup: ${installAirflow(major, log)}`);
      return;
    }
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
