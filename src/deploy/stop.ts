// `npm run stop-job <name>`: stops a job on the target's workspace: its active runs are cancelled and waited
// for. A continuous job (the stream job on a cluster) is paused first, since Databricks starts a new run of an
// unpaused continuous job as soon as its run ends; the next deploy-jobs or run-job puts back the configured
// pause status. Idempotent: a job with no active run, or never deployed, is left as it is, saying so.
import type { Config } from '../config/index.ts';
import type { JobSpec } from '../job/index.ts';
import { jobName } from '../job/index.ts';
import { call, type Workspace } from '../databricks/client.ts';
import { runEnded } from '../databricks/runs.ts';
import { findJob } from './jobs.ts';

export interface StopResult {
  jobId: number | null;
  paused: boolean;
  cancelled: number[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function stopJob(
  config: Config,
  ws: Workspace,
  spec: JobSpec,
  options: { log: (l: string) => void; pollMs?: number; timeoutMs?: number },
): Promise<StopResult> {
  const { log } = options;
  const name = jobName(spec, config);
  const job = await findJob(ws, name, spec.name);
  if (!job) {
    log(`stop-job: "${name}" is not deployed on ${ws.host}; nothing to stop`);
    return { jobId: null, paused: false, cancelled: [] };
  }
  const jobId = job.job_id!;
  let paused = false;
  const full = await call(ws, `reading job ${jobId}`, () => ws.client.jobs.get({ job_id: jobId }));
  if (full.settings?.continuous && full.settings.continuous.pause_status !== 'PAUSED') {
    await call(ws, `pausing job ${jobId}`, () => ws.client.jobs.update({ job_id: jobId, new_settings: { continuous: { pause_status: 'PAUSED' } } }));
    paused = true;
    log(`stop-job: paused the continuous job ${jobId} (deploy-jobs or run-job puts back its configured status)`);
  }
  const active: number[] = [];
  await call(ws, `listing the active runs of job ${jobId}`, async () => {
    for await (const r of ws.client.jobs.listRuns({ job_id: jobId, active_only: true })) active.push(r.run_id!);
  });
  if (!active.length) {
    log(`stop-job: job ${jobId} ("${name}") has no active run`);
    return { jobId, paused, cancelled: [] };
  }
  for (const runId of active) {
    log(`stop-job: cancelling run ${runId} ...`);
    await call(ws, `cancelling run ${runId}`, () => ws.client.jobs.cancelRun({ run_id: runId }));
  }
  const deadline = Date.now() + (options.timeoutMs ?? 10 * 60_000);
  for (const runId of active) {
    for (;;) {
      const run = await call(ws, `reading run ${runId}`, () => ws.client.jobs.getRun({ run_id: runId }));
      const life = run.state?.life_cycle_state ?? '';
      if (runEnded(life)) {
        log(`stop-job: run ${runId} ended ${run.state?.result_state ?? life}`);
        break;
      }
      if (Date.now() > deadline) {
        log(`stop-job: run ${runId} is still ${life} after the wait; it was asked to cancel (${run.run_page_url ?? ''})`);
        break;
      }
      await sleep(options.pollMs ?? (ws.local ? 500 : 5000));
    }
  }
  return { jobId, paused, cancelled: active };
}
