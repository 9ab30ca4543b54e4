// `pinpipe source load|start|stop|status`: the source database (embedded SQLite, the project's MariaDB, or
// a MySQL server by URL) and its three tables.
import path from 'node:path';
import { TABLES } from '../../config/index.ts';
import { ensureMariadb, stopMariadb } from '../../local/mariadb.ts';
import { openSource, SOURCE_TABLES } from '../../source/db.ts';
import { loadSource } from '../../source/fill.ts';
import { command, realDataDir, usageError } from '../command.ts';

export default command({
  name: 'source',
  usage: ['source load [--from DIR] | start | stop | status'],
  about: [
    'The source database (source.engine: embedded SQLite in the lake by default, mariadb run by the project,',
    'or mysql at source.url with PINPIPE_SOURCE_PASSWORD). load: the three tables from DIR (real or generated rows).',
    'start and stop: the project\'s MariaDB (source.engine mariadb). status: the row counts, as JSON.',
  ],
  flags: { from: { type: 'string', value: 'DIR', help: 'the data folder to load (default ../shared/data/real)' } },
  run: async ({ flags, args: [action], config, log, out }) => {
    const cfg = config();
    const mariadbDir = path.join(cfg.lakeRoot, '_mariadb');
    if (action === 'stop') return void (await stopMariadb(mariadbDir, log));
    if (action === 'start') {
      if (cfg.source.engine !== 'mariadb') usageError(`pinpipe source start: source.engine is ${cfg.source.engine}; only the project's MariaDB is started (USAGE).`);
      const server = await ensureMariadb(mariadbDir, log);
      out(`${server.url}\n`);
      return;
    }
    if (action !== 'load' && action !== 'status') usageError('pinpipe source: say load, start, stop or status (USAGE).');
    const db = await openSource(cfg, log);
    try {
      if (action === 'load') {
        const from = path.resolve(flags.from ?? realDataDir());
        await loadSource(db, from, log);
      }
      const counts = Object.fromEntries(await Promise.all(TABLES.map(async (t) => [SOURCE_TABLES[t].name, await db.count(t)] as const)));
      out(`${JSON.stringify({ source: db.describe(), rows: counts })}\n`);
    } finally {
      await db.close();
    }
  },
});
