// `npm run deploy-jobs`: creates or resets the jobs of jobs/ in the target's workspace, matched by name and
// the pinpipe_job tag. Idempotent: the compiled settings carry their own hash in a tag, so an unchanged job
// is left as it is (no reset), a changed one is reset in place (its id and run history kept).
import { createHash } from 'node:crypto';
import type { jobs } from '@databricks/sdk-experimental';
import type { Config } from '../config/index.ts';
import { compileJob, JOB_TAG } from '../job/compile.ts';
import type { JobSpec } from '../job/index.ts';
import { call, type Workspace } from '../databricks/client.ts';

export const HASH_TAG = 'pinpipe_hash';

export function settingsHash(settings: jobs.JobSettings): string {
  return createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 16);
}

/** The compiled settings with the hash tag that lets a later deploy see they are unchanged. */
export function deployableSettings(spec: JobSpec, config: Config): jobs.JobSettings {
  const settings = compileJob(spec, config);
  return { ...settings, tags: { ...settings.tags, [HASH_TAG]: settingsHash(settings) } };
}

/** The job of the workspace that is this spec's: same name and tag (the lowest id when several). */
export async function findJob(ws: Workspace, name: string, specName: string): Promise<jobs.BaseJob | null> {
  const found: jobs.BaseJob[] = [];
  await call(ws, `listing jobs named "${name}"`, async () => {
    for await (const j of ws.client.jobs.list({ name })) if (j.settings?.tags?.[JOB_TAG] === specName) found.push(j);
  });
  found.sort((a, b) => (a.job_id ?? 0) - (b.job_id ?? 0));
  return found[0] ?? null;
}

export interface JobDeployResult {
  name: string;
  jobId: number;
  action: 'created' | 'reset' | 'unchanged' | 'would create' | 'would reset';
}

export async function deployJobs(
  config: Config,
  ws: Workspace,
  specs: JobSpec[],
  options: { dryRun?: boolean; log: (l: string) => void },
): Promise<JobDeployResult[]> {
  const out: JobDeployResult[] = [];
  for (const spec of specs) {
    const settings = deployableSettings(spec, config);
    const existing = await findJob(ws, settings.name!, spec.name);
    let result: JobDeployResult;
    if (!existing) {
      if (options.dryRun) result = { name: settings.name!, jobId: 0, action: 'would create' };
      else {
        const created = await call(ws, `creating job "${settings.name}"`, () => ws.client.jobs.create(settings));
        result = { name: settings.name!, jobId: created.job_id!, action: 'created' };
      }
    } else if (existing.settings?.tags?.[HASH_TAG] === settings.tags![HASH_TAG]) {
      result = { name: settings.name!, jobId: existing.job_id!, action: 'unchanged' };
    } else if (options.dryRun) {
      result = { name: settings.name!, jobId: existing.job_id!, action: 'would reset' };
    } else {
      await call(ws, `resetting job ${existing.job_id}`, () => ws.client.jobs.reset({ job_id: existing.job_id!, new_settings: settings }));
      result = { name: settings.name!, jobId: existing.job_id!, action: 'reset' };
    }
    options.log(`deploy: job "${result.name}" ${result.action}${result.jobId ? ` (job_id ${result.jobId})` : ''}`);
    out.push(result);
  }
  return out;
}
