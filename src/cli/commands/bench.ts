// `pinpipe bench batch|ingest|sink`: benchmarks that print figures beside a baseline measured in the same
// run (npm run bench:batch, bench:ingest, bench:sink). They never fail on time.
import { runBench } from '../../bench/batch.ts';
import { benchIngest, benchSink } from '../../bench/ingest.ts';
import { benchStream } from '../../bench/stream.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'bench',
  usage: ['bench batch [--sizes 11154,1000000] [--clean-only] | ingest | sink | stream [--seconds S] [--rates 100,1000] [--ramp 2000,3000,4000]'],
  about: [
    'batch: the clean job and each query on generated data, cold and warm, beside the original notebooks\' way.',
    'ingest: API records/s and p50/p99 by records a request and concurrency, beside Kafka\'s ProducerPerformance.',
    'sink: landed records/s beside Kafka\'s ConsumerPerformance.',
    'stream: latency from the API\'s acknowledgement to the row in the Delta table (p50, p99) at fixed rates, the',
    'highest rate sustained with bounded lag, beside the original notebooks\' way (from_json + append).',
  ],
  flags: {
    sizes: { type: 'string', value: 'N,N,...', help: 'rows a table for batch (default 11154,1000000)' },
    'clean-only': { type: 'boolean', help: 'batch: the clean job only (full, incremental, nothing new), no queries' },
    seconds: { type: 'int', min: 10, help: 'stream: seconds at each fixed rate (default 120)' },
    rates: { type: 'string', value: 'N,N,...', help: 'stream: events a second of the fixed-rate phases (default 100,1000)' },
    ramp: { type: 'string', value: 'N,N,...', help: 'stream: rates tried for the highest sustained one (default 2000,3000,4000)' },
    trigger: { type: 'string', value: 'INTERVAL', help: "stream: the trigger interval (default '1 second')" },
    fetch: { type: 'string', value: 'INTERVAL', help: "stream: how often a shard is polled (default '200ms')" },
  },
  run: async ({ flags, args: [what], config, log, out }) => {
    const print = (l: string) => out(`${l}\n`);
    if (what === 'batch') {
      const sizes = (flags.sizes ?? '11154,1000000').split(',').map((s) => Number(s.trim()));
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) usageError(`pinpipe bench: --sizes ${flags.sizes} is not valid (USAGE); expected whole numbers of rows above 0, comma-separated.`);
      await runBench(config(), sizes, print, log, { cleanOnly: flags['clean-only'] === true });
    } else if (what === 'ingest') await benchIngest(print, log);
    else if (what === 'sink') await benchSink(print, log);
    else if (what === 'stream') {
      const list = (v: string | undefined, d: string) => (v ?? d).split(',').map((x) => Number(x.trim()));
      const rates = list(flags.rates, '100,1000');
      const ramp = list(flags.ramp, '2000,3000,4000');
      if ([...rates, ...ramp].some((n) => !Number.isInteger(n) || n < 1)) usageError('pinpipe bench stream: --rates and --ramp are whole numbers of events a second, comma-separated (USAGE).');
      await benchStream(config(), { seconds: flags.seconds ?? 120, rates, ramp, triggerInterval: flags.trigger ?? '1 second', fetchInterval: flags.fetch ?? '200ms' }, print, log);
    } else usageError('pinpipe bench: say batch, ingest, sink or stream (USAGE).');
  },
});
