// `pinpipe bench batch|ingest|sink`: benchmarks that print figures beside a baseline measured in the same
// run (npm run bench:batch, bench:ingest, bench:sink). They never fail on time.
import { runBench } from '../../bench/batch.ts';
import { benchIngest, benchSink } from '../../bench/ingest.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'bench',
  usage: ['bench batch [--sizes 11154,1000000] | ingest | sink'],
  about: [
    'batch: the clean job and each query on generated data, cold and warm, beside the original notebooks\' way.',
    'ingest: API records/s and p50/p99 by records a request and concurrency, beside Kafka\'s ProducerPerformance.',
    'sink: landed records/s beside Kafka\'s ConsumerPerformance.',
  ],
  flags: { sizes: { type: 'string', value: 'N,N,...', help: 'rows a table for batch (default 11154,1000000)' } },
  run: async ({ flags, args: [what], config, log, out }) => {
    const print = (l: string) => out(`${l}\n`);
    if (what === 'batch') {
      const sizes = (flags.sizes ?? '11154,1000000').split(',').map((s) => Number(s.trim()));
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) usageError(`pinpipe bench: --sizes ${flags.sizes} is not valid (USAGE); expected whole numbers of rows above 0, comma-separated.`);
      await runBench(config(), sizes, print, log);
    } else if (what === 'ingest') await benchIngest(print, log);
    else if (what === 'sink') await benchSink(print, log);
    else usageError('pinpipe bench: say batch, ingest or sink (USAGE).');
  },
});
