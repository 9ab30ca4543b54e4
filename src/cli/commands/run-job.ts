// `pinpipe run-job <job>`: runs a job on the target's workspace and waits, with per-task progress; Ctrl-C
// cancels the run. --direct runs the notebooks straight on the local Spark.
import { PinpipeError } from '../../errors.ts';
import { runJob } from '../../deploy/run.ts';
import { targetOf } from '../../target.ts';
import { printRunResults } from '../run-results.ts';
import { JOBS } from '../../../jobs/index.ts';
import { command, usageError } from '../command.ts';
import { printNamedResults, printReports, printRunSummary } from '../print.ts';
import { withInterrupt } from '../signals.ts';

function parseParams(params: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of params ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) usageError(`pinpipe: --param ${p} is not valid (USAGE); expected key=value.`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export default command({
  name: 'run-job',
  usage: [`run-job <${Object.keys(JOBS).join('|')}> [--target T] [--param key=value ...] [--full-refresh] [--submit] [--direct]`],
  about: [
    'Runs a job on the target workspace (local by default: the local workspace on the local Spark) and waits:',
    'per-task progress, the run page URL, each task\'s state, duration and error; Ctrl-C cancels the run.',
    'The job definition is deployed first when it changed. --submit runs once without a saved job.',
    '--direct runs the notebooks straight on the local Spark, without the workspace API.',
    'The clean job cleans the landed files not cleaned before; --full-refresh (the job parameter',
    'full_refresh=true) loads every landed file again and rebuilds the tables.',
  ],
  flags: {
    param: { type: 'string', multiple: true, value: 'KEY=VALUE', help: 'a job parameter (pushed to the notebook widgets); repeatable' },
    submit: { type: 'boolean', help: 'a one-off run (runs/submit) instead of run-now on the deployed job' },
    direct: { type: 'boolean', help: 'run the notebooks on the local Spark without the workspace API' },
    'full-refresh': { type: 'boolean', help: 'the clean job: rebuild the tables from every landed file (full_refresh=true)' },
  },
  run: async ({ flags, args: [name], config, log, out }) => {
    const job = name ? JOBS[name] : undefined;
    if (!job) usageError(`pinpipe run-job: name a job: ${Object.keys(JOBS).join(', ')} (USAGE).`);
    const cfg = config();
    const target = targetOf(cfg);
    const params = parseParams(flags.param);
    if (flags['full-refresh'] === true) {
      if (job.name !== 'clean') usageError(`pinpipe run-job: --full-refresh applies to the clean job, not ${job.name} (USAGE).`);
      params['full_refresh'] = 'true';
    }
    if (flags.direct === true) {
      if (!target.direct) usageError('pinpipe run-job: --direct runs on the local Spark; it cannot be used with a Databricks target (USAGE).');
      const run = await withInterrupt((signal) => target.direct!(job, { params, log, signal }));
      if (run.reports.length) printReports(log, run.reports);
      printNamedResults(out, [...run.results].map(([n, cell]) => [n, cell.result]));
      log(`run-job: ${job.name} succeeded in ${run.seconds.toFixed(1)}s`);
      if (run.reports.length) out(`${JSON.stringify(run.reports)}\n`);
      return;
    }
    const ws = await target.workspace(log);
    const summary = await withInterrupt((signal) => runJob(cfg, ws, job, { params, submit: flags.submit === true, log, signal }));
    printRunSummary(log, out, summary);
    if (summary.resultState !== 'SUCCESS') {
      throw new PinpipeError('RUN_FAILED', `run-job: run ${summary.runId} of ${job.name} ended ${summary.resultState} (RUN_FAILED): ${summary.message}\n${summary.runPageUrl}`);
    }
    log(`run-job: ${job.name} succeeded in ${summary.seconds.toFixed(1)}s (${summary.runPageUrl})`);
    await printRunResults(cfg, job, summary.runId, log, out);
  },
});
