// `pinpipe dashboard`: the nine queries on the target, drawn as a static HTML page (one chart each), the
// same charts as the deployed AI/BI dashboard.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { renderHtml } from '../../dashboard/dashboard.ts';
import { QUERY_NAMES } from '../../notebook/index.ts';
import { projectPath } from '../../project.ts';
import { command } from '../command.ts';
import { runQueries } from '../queries.ts';
import { withInterrupt } from '../signals.ts';

export default command({
  name: 'dashboard',
  usage: ['dashboard [--target T] [--out FILE]'],
  about: [
    'Runs the nine queries (local Spark, or the target\'s SQL warehouse) and writes a static HTML page with one',
    'chart each, the same charts as the deployed AI/BI dashboard. Default: dashboard/index.html.',
  ],
  flags: { out: { type: 'string', value: 'FILE', help: 'the page to write (default dashboard/index.html of the project)' } },
  run: async ({ flags, config, log, out }) => {
    const cfg = config();
    const file = path.resolve(flags.out ?? projectPath('dashboard', 'index.html'));
    const results = await withInterrupt((signal) => runQueries(cfg, [...QUERY_NAMES], log, signal));
    const source = cfg.target.kind === 'databricks' ? `SQL warehouse ${cfg.target.warehouse_id} of target ${cfg.targetName}` : `local Spark over ${cfg.lakeRoot}`;
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, renderHtml(results, { title: 'pinpipe: Pinterest analytics', generatedAt: new Date().toISOString(), source }));
    log(`dashboard: wrote ${file}`);
    out(`${file}\n`);
  },
});
