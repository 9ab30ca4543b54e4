// `pinpipe pipeline`: the whole seed pipeline on this machine (source, Kafka, API, emulator, sink, clean job,
// queries) and an exact reconciliation per table; the services stop at the end.
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { installKafka } from '../../local/kafka/broker.ts';
import { installSpark, openSpark } from '../../local/spark/index.ts';
import { runPipeline } from '../../pipeline.ts';
import { runStreamPipeline } from '../../pipeline-stream.ts';
import { command, realDataDir, usageError } from '../command.ts';
import { printNamedResults, rowsTable } from '../print.ts';
import { emulateProgress } from '../progress.ts';

export default command({
  name: 'pipeline',
  usage: ['pipeline [--mode batch|stream] [--count N] [--from DIR] [--concurrency C] [--batch-size B] [--seed S]'],
  about: [
    'The whole pipeline here: source database, Kafka, ingestion API, emulator, sink, clean job and queries,',
    'then a reconciliation per table (selected, posted, acknowledged, landed, cleaned); services stop at the end.',
    '--mode stream: the emulator posts to the Kinesis routes, the streaming notebook merges the streams into the',
    'Delta tables, and the reconciliation also compares them with the batch notebooks over the same records.',
  ],
  flags: {
    mode: { type: 'string', value: 'batch|stream', help: 'the Kafka and S3 landing path (batch, default) or the Kinesis streaming path' },
    count: { type: 'int', min: 1, help: 'rows the emulator picks (default 1000)' },
    from: { type: 'string', value: 'DIR', help: 'the rows loaded into the source database (default ../shared/data/real)' },
    concurrency: { type: 'int', min: 1, max: 256, help: 'requests in flight (default 4)' },
    'batch-size': { type: 'int', min: 1, max: 500, value: 'B', help: 'records a request (default 1)' },
    seed: { type: 'int', value: 'S', help: 'the seed of Python\'s random (default 100)' },
  },
  run: async ({ flags, config, log, out }) => {
    const cfg = config();
    if (cfg.target.kind !== 'local') usageError('pinpipe pipeline: runs on the local target (USAGE).');
    installSpark(log);
    installKafka(log);
    const mode = flags.mode ?? 'batch';
    if (mode !== 'batch' && mode !== 'stream') usageError(`pinpipe pipeline: --mode ${mode} is not batch or stream (USAGE).`);
    const session = await openSpark(cfg.lakeRoot, cfg.spark, log);
    if (mode === 'stream') {
      const view = emulateProgress(log);
      let result;
      try {
        result = await runStreamPipeline(cfg, {
          from: path.resolve(flags.from ?? realDataDir()),
          count: flags.count ?? 1000,
          concurrency: flags.concurrency ?? 4,
          batchSize: flags['batch-size'] ?? 1,
          seed: flags.seed ?? 100,
          session,
          log: (l) => log(l),
          onProgress: (p) => view.update(p),
        });
      } finally {
        view.stop();
        await session.stop();
      }
      printNamedResults(out, [...result.queries.results].map(([n, cell]) => [n, cell.result]));
      out(`${rowsTable(result.reconciliation as unknown as Record<string, unknown>[])}\n`);
      out(`reconciliation: ${result.exact ? 'exact' : 'NOT exact'} (the stream's tables ${result.reconciliation.every((r) => r.differs_from_batch === 0) ? 'equal' : 'DIFFER from'} the batch notebooks' over the same records)\n`);
      if (!result.exact) throw new PinpipeError('RUN_FAILED', 'pipeline: the reconciliation is not exact (RUN_FAILED); see the table above.');
      return;
    }
    const view = emulateProgress(log);
    let result;
    try {
      result = await runPipeline(cfg, {
        from: path.resolve(flags.from ?? realDataDir()),
        count: flags.count ?? 1000,
        concurrency: flags.concurrency ?? 4,
        batchSize: flags['batch-size'] ?? 1,
        seed: flags.seed ?? 100,
        spark: session.client,
        log: (l) => log(l),
        onProgress: (p) => view.update(p),
      });
    } finally {
      view.stop();
      await session.stop();
    }
    printNamedResults(out, [...result.job.results].map(([n, cell]) => [n, cell.result]));
    const rows = result.reconciliation as unknown as Record<string, unknown>[];
    out(`${rowsTable(rows)}\n`);
    out(`reconciliation: ${result.exact ? 'exact' : 'NOT exact'}\n`);
    if (!result.exact) throw new PinpipeError('RUN_FAILED', 'pipeline: the reconciliation is not exact (RUN_FAILED); see the table above.');
  },
});
