// `pinpipe emulate`: posts rows of the source database to the ingestion API like the original script.
import { TABLES } from '../../config/index.ts';
import { PinpipeError } from '../../errors.ts';
import { emulate } from '../../emulator/emulate.ts';
import { openSource } from '../../source/db.ts';
import { command } from '../command.ts';
import { rowsTable } from '../print.ts';
import { emulateProgress } from '../progress.ts';

export default command({
  name: 'emulate',
  usage: ['emulate [--mode batch|stream] [--count N] [--rate R] [--concurrency C] [--batch-size B] [--seed S] [--api URL]'],
  about: [
    'Posts rows of the source database to the ingestion API like the original script (Python random with the',
    'seed, one ind for the three tables), retrying 429/5xx with backoff; progress, then a summary per table.',
    'batch mode posts to the Kafka REST routes, stream mode to the Kinesis routes. API key: PINPIPE_API_KEY.',
  ],
  flags: {
    mode: { type: 'enum', values: ['batch', 'stream'], help: 'Kafka REST (batch, default) or Kinesis (stream) routes' },
    count: { type: 'int', min: 1, help: 'rows to pick, as the original loop count (default 500)' },
    rate: { type: 'number', min: 0, help: 'requests a second at most, 0 for no limit (default 0)' },
    concurrency: { type: 'int', min: 1, max: 256, help: 'requests in flight (default 4)' },
    'batch-size': { type: 'int', min: 1, max: 500, value: 'B', help: 'records a request (default 1, as the original)' },
    seed: { type: 'int', value: 'S', help: 'the seed of Python\'s random (default 100, as the original)' },
    api: { type: 'string', value: 'URL', help: 'the API (default http://127.0.0.1:<api.port>)' },
  },
  run: async ({ flags, config, env, log, out }) => {
    const cfg = config();
    const db = await openSource(cfg, log);
    const view = emulateProgress(log);
    try {
      if ((await db.count('geo')) === 0) throw new PinpipeError('SOURCE_UNAVAILABLE', `emulate: the source database (${db.describe()}) is empty (SOURCE_UNAVAILABLE). Load it first: npx pinpipe source load.`);
      const summary = await emulate(cfg, db, {
        mode: flags.mode ?? 'batch',
        count: flags.count ?? 500,
        rate: flags.rate ?? 0,
        concurrency: flags.concurrency ?? 4,
        batchSize: flags['batch-size'] ?? 1,
        seed: flags.seed ?? 100,
        apiUrl: (flags.api ?? `http://127.0.0.1:${cfg.api.port}`).replace(/\/$/, ''),
        ...(env['PINPIPE_API_KEY'] ? { apiKey: env['PINPIPE_API_KEY'] } : {}),
        log,
        onProgress: (p) => view.update(p),
      });
      view.stop();
      log(rowsTable(TABLES.map((t) => ({ table: t, ...summary.tables[t] })), ['table', 'selected', 'sent', 'acknowledged', 'failed']));
      log(`emulate: ${summary.requests} requests, ${summary.retries} retries in ${summary.seconds.toFixed(1)}s`);
      out(`${JSON.stringify({ tables: summary.tables, requests: summary.requests, retries: summary.retries, seconds: summary.seconds })}\n`);
      if (TABLES.some((t) => summary.tables[t].failed > 0)) return 1;
    } finally {
      view.stop();
      await db.close();
    }
  },
});
