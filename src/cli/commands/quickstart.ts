// `pinpipe quickstart`: the Databricks-shaped path on the local target: lands the real rows, deploys the
// notebooks, dashboard and jobs to the local workspace and runs the clean job there.
import path from 'node:path';
import { PinpipeError } from '../../errors.ts';
import { deployDashboard } from '../../deploy/dashboard.ts';
import { deployNotebooks } from '../../deploy/notebooks.ts';
import { runJob } from '../../deploy/run.ts';
import { landFromDir } from '../../emulator/land.ts';
import { installSpark } from '../../local/spark/index.ts';
import { findWorkspace, stopWorkspace } from '../../local/workspace/daemon.ts';
import { targetOf } from '../../target.ts';
import { JOBS } from '../../../jobs/index.ts';
import { command, realDataDir, usageError } from '../command.ts';
import { printRunSummary } from '../print.ts';
import { printRunResults } from '../run-results.ts';
import { withInterrupt } from '../signals.ts';

export default command({
  name: 'quickstart',
  usage: ['quickstart [--from DIR]'],
  about: [
    'Lands the real rows (../shared/data/real), deploys the notebooks, dashboard and jobs to the local workspace,',
    'runs the clean job there (cleaning, then the nine queries) and prints the reports and the nine results.',
  ],
  flags: { from: { type: 'string', value: 'DIR', help: 'the rows to land (default ../shared/data/real)' } },
  run: async ({ flags, config, log, out }) => {
    const cfg = config();
    if (cfg.target.kind !== 'local') usageError('pinpipe quickstart: runs on the local target (USAGE); use deploy and run-job for a workspace.');
    installSpark(log);
    await landFromDir(cfg, { from: path.resolve(flags.from ?? realDataDir()), order: 'original', duplicates: 0, malformed: 0, seed: '100', flushSize: 1000 }, log);
    const wasRunning = await findWorkspace(cfg.lakeRoot);
    const ws = await targetOf(cfg).workspace(log);
    try {
      await deployNotebooks(cfg, ws, { log });
      await deployDashboard(cfg, ws, { log });
      const summary = await withInterrupt((signal) => runJob(cfg, ws, JOBS['clean']!, { params: {}, log, signal }));
      printRunSummary(log, out, summary);
      if (summary.resultState !== 'SUCCESS') throw new PinpipeError('RUN_FAILED', `quickstart: the clean job ended ${summary.resultState} (RUN_FAILED): ${summary.message}`);
      await printRunResults(cfg, JOBS['clean']!, summary.runId, log, out);
      log(`quickstart: done in ${summary.seconds.toFixed(1)}s. Next: npx pinpipe query all, npm run dashboard.`);
    } finally {
      if (!wasRunning) await stopWorkspace(log);
    }
  },
});
