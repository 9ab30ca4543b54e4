// `pinpipe deploy [notebooks|jobs|all|dag]`: the notebooks, the dashboard and the jobs on the target's workspace,
// idempotently; dag: the Airflow DAG into an Airflow DAG folder or MWAA's DAG bucket; --dry-run prints the plan.
import { deployDag, FolderDagStore, parseS3Url, S3DagStore, type DagStore } from '../../deploy/dag.ts';
import { deployDashboard } from '../../deploy/dashboard.ts';
import type { Config } from '../../config/index.ts';
import { s3Client, S3RVER_KEYS } from '../../local/s3.ts';
import { deployJobs } from '../../deploy/jobs.ts';
import { deployNotebooks } from '../../deploy/notebooks.ts';
import { targetOf } from '../../target.ts';
import { JOBS } from '../../../jobs/index.ts';
import path from 'node:path';
import { command, usageError } from '../command.ts';

/** Where the DAG goes: --to, else dag.deploy_to; a folder, or s3://bucket/prefix (on an endpoint when given). */
function dagStore(cfg: Config, to: string | undefined, endpoint: string | undefined, env: NodeJS.ProcessEnv): DagStore {
  const dest = to ?? cfg.dag.deploy_to;
  if (!dest) usageError('pinpipe deploy dag: no destination (USAGE). Set dag.deploy_to in pinpipe.yaml (an Airflow dags/ folder, or s3://<MWAA DAG bucket>/dags), PINPIPE_DAG_DEPLOY_TO, or pass --to.');
  if (!dest.startsWith('s3:')) return new FolderDagStore(path.resolve(dest));
  const s3 = parseS3Url(dest);
  if (!s3) usageError(`pinpipe deploy dag: ${dest} is not valid (USAGE); expected s3://bucket or s3://bucket/prefix.`);
  const url = endpoint ?? cfg.dag.s3_endpoint;
  const keys = { accessKeyId: env['PINPIPE_S3_ACCESS_KEY'] ?? S3RVER_KEYS.accessKeyId, secretAccessKey: env['PINPIPE_S3_SECRET_KEY'] ?? S3RVER_KEYS.secretAccessKey };
  return new S3DagStore(s3Client(url, cfg.dag.s3_region, keys), s3.bucket, s3.prefix);
}

export default command({
  name: 'deploy',
  usage: ['deploy [notebooks|jobs|all] [--target T] [--dry-run]', 'deploy dag [--to DIR|s3://BUCKET/PREFIX] [--variant run_now|submit] [--s3-endpoint URL] [--target T] [--dry-run]'],
  about: [
    'notebooks: imports notebooks/ into the target workspace folder (unchanged ones are skipped), and the dashboard.',
    'jobs: creates or resets the jobs of jobs/ (matched by name and tag). all (default): both.',
    'With no workspace configured the target is the local workspace, started when needed.',
    'dag: the Airflow DAG rendered for the target (dags/<uid>_dag.py, or <uid>_submit_dag.py with --variant submit)',
    'into an Airflow DAG folder or MWAA\'s DAG bucket (dag.deploy_to, PINPIPE_DAG_DEPLOY_TO or --to); unchanged: not',
    'written; the other variant\'s file there is removed. S3: the AWS credentials chain, or with an endpoint',
    'PINPIPE_S3_ACCESS_KEY / PINPIPE_S3_SECRET_KEY (the local S3 server\'s keys by default).',
  ],
  flags: {
    'dry-run': { type: 'boolean', help: 'print what would change, change nothing' },
    to: { type: 'string', value: 'DIR|s3://BUCKET/PREFIX', help: 'dag: where to put the DAG (default dag.deploy_to)' },
    variant: { type: 'enum', values: ['run_now', 'submit'], help: 'dag: the run-now DAG (default dag.variant) or the submit DAG' },
    's3-endpoint': { type: 'string', value: 'URL', help: 'dag: an S3-compatible endpoint (default dag.s3_endpoint)' },
  },
  run: async ({ flags, args: [what = 'all'], config, log, env }) => {
    if (!['notebooks', 'jobs', 'all', 'dag'].includes(what)) usageError(`pinpipe deploy: say notebooks, jobs, all or dag (USAGE); got "${what}".`);
    const cfg = config();
    if (what === 'dag') {
      const store = dagStore(cfg, flags.to, flags['s3-endpoint'], env);
      await deployDag(cfg, JOBS, store, { variant: flags.variant ?? cfg.dag.variant, dryRun: flags['dry-run'] === true, log });
      return;
    }
    const ws = await targetOf(cfg).workspace(log);
    const dryRun = flags['dry-run'] === true;
    if (what !== 'jobs') {
      await deployNotebooks(cfg, ws, { dryRun, log });
      await deployDashboard(cfg, ws, { dryRun, log });
    }
    if (what !== 'notebooks') await deployJobs(cfg, ws, Object.values(JOBS), { dryRun, log });
  },
});
