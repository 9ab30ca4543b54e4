// `pinpipe stop-job <job>`: cancels a job's active runs on the target's workspace and waits until they end;
// a continuous job is paused first so that Databricks does not start it again.
import { stopJob } from '../../deploy/stop.ts';
import { targetOf } from '../../target.ts';
import { JOBS } from '../../../jobs/index.ts';
import { command, usageError } from '../command.ts';

export default command({
  name: 'stop-job',
  usage: [`stop-job <${Object.keys(JOBS).join('|')}> [--target T]`],
  about: [
    'Stops a job on the target workspace: a continuous job is paused (else Databricks starts it again), its',
    'active runs are cancelled, and the command waits until they end. A job with no active run is left as it is.',
  ],
  flags: {},
  run: async ({ args: [name], config, log, out }) => {
    const job = name ? JOBS[name] : undefined;
    if (!job) usageError(`pinpipe stop-job: name a job: ${Object.keys(JOBS).join(', ')} (USAGE).`);
    const cfg = config();
    const ws = await targetOf(cfg).workspace(log);
    const result = await stopJob(cfg, ws, job, { log });
    out(`${JSON.stringify(result)}\n`);
  },
});
