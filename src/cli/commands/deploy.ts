// `pinpipe deploy [notebooks|jobs|all]`: the notebooks, the dashboard and the jobs on the target's workspace,
// idempotently; --dry-run prints the plan.
import { deployDashboard } from '../../deploy/dashboard.ts';
import { deployJobs } from '../../deploy/jobs.ts';
import { deployNotebooks } from '../../deploy/notebooks.ts';
import { targetOf } from '../../target.ts';
import { JOBS } from '../../../jobs/index.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'deploy',
  usage: ['deploy [notebooks|jobs|all] [--target T] [--dry-run]'],
  about: [
    'notebooks: imports notebooks/ into the target workspace folder (unchanged ones are skipped), and the dashboard.',
    'jobs: creates or resets the jobs of jobs/ (matched by name and tag). all (default): both.',
    'With no workspace configured the target is the local workspace, started when needed.',
  ],
  flags: { 'dry-run': { type: 'boolean', help: 'print what would change, change nothing' } },
  run: async ({ flags, args: [what = 'all'], config, log }) => {
    if (!['notebooks', 'jobs', 'all'].includes(what)) usageError(`pinpipe deploy: say notebooks, jobs or all (USAGE); got "${what}".`);
    const cfg = config();
    const ws = await targetOf(cfg).workspace(log);
    const dryRun = flags['dry-run'] === true;
    if (what !== 'jobs') {
      await deployNotebooks(cfg, ws, { dryRun, log });
      await deployDashboard(cfg, ws, { dryRun, log });
    }
    if (what !== 'notebooks') await deployJobs(cfg, ws, Object.values(JOBS), { dryRun, log });
  },
});
