// The seam between the commands and where they act: a target is the local runtime (the local workspace on
// the local Spark, the lake folder) or a Databricks workspace (its REST API, a SQL warehouse, the landing
// bucket). Commands ask the target for a workspace client, a SQL runner and the landing binding; only this
// module knows which concrete runtime answers. The SQL they run is the same text on both.
import type { Config } from './config/index.ts';
import { connectDatabricks, workspaceWithToken, type Workspace } from './databricks/client.ts';
import { openSpark } from './local/spark/index.ts';
import { ensureWorkspace } from './local/workspace/daemon.ts';
import { runLocalJob, type JobRunResult } from './local/batch.ts';
import { runLocalStream } from './local/stream.ts';
import type { JobSpec } from './job/index.ts';
import { PinpipeError } from './errors.ts';
import type { SqlRunner, StatementResult } from './sql/result.ts';
export type { SqlRunner } from './sql/result.ts';
import { Warehouse, warehouseTarget } from './warehouse/warehouse.ts';

/** Where the clean job reads the landed topics. */
export interface LandingBinding {
  /** The lake folder (local), or the mount or bucket the notebooks read (Databricks). */
  root: string;
}

export interface Target {
  readonly name: string;
  readonly kind: 'local' | 'databricks';
  /** The workspace to deploy to and run jobs on; the local one is started in the background when needed. */
  workspace(log: (line: string) => void): Promise<Workspace>;
  /** A SQL runner for the queries and the dashboard. */
  sql(log: (line: string) => void): Promise<SqlRunner>;
  readonly landing: LandingBinding;
  /**
   * Runs a job's notebooks straight on the local Spark, without the workspace API (`run-job --direct`); null
   * on a Databricks target. An aborted signal stops the Spark this run started.
   */
  readonly direct: ((job: JobSpec, options: DirectRunOptions) => Promise<JobRunResult>) | null;
}

export interface DirectRunOptions {
  params: Record<string, string>;
  log: (line: string) => void;
  signal?: AbortSignal;
}

function localTarget(config: Config): Target {
  return {
    name: config.targetName,
    kind: 'local',
    landing: { root: config.lakeRoot },
    async workspace(log) {
      const ws = await ensureWorkspace(config, log);
      return workspaceWithToken(ws.url, ws.token, { local: true, identity: `local:${config.lakeRoot}` });
    },
    async sql(log) {
      const session = await openSpark(config.lakeRoot, config.spark, log);
      return {
        where: `local Spark over ${config.lakeRoot}`,
        run: (statement, args) => session.client.sql(statement, args),
        close: () => session.stop(),
      };
    },
    async direct(job, options) {
      const session = await openSpark(config.lakeRoot, config.spark, options.log);
      if (job.stream) {
        // The stream notebook under the Python runner; Ctrl-C stops the streams (as runs/cancel does).
        const started = Date.now();
        try {
          await runLocalStream(config, session, { params: options.params, log: options.log, shouldStop: () => options.signal?.aborted === true });
        } finally {
          await session.stop();
        }
        if (options.signal?.aborted) throw new PinpipeError('RUN_CANCELLED', `run-job: ${job.name} was stopped (RUN_CANCELLED).`);
        return { reports: [], results: new Map(), seconds: (Date.now() - started) / 1000 };
      }
      const stop = () => { void session.stop(); };
      options.signal?.addEventListener('abort', stop);
      try {
        return await runLocalJob(job, config, session.client, { params: options.params, progress: options.log });
      } catch (e) {
        if (options.signal?.aborted) throw new PinpipeError('RUN_CANCELLED', `run-job: ${job.name} was cancelled (RUN_CANCELLED).`, { cause: e });
        throw e;
      } finally {
        options.signal?.removeEventListener('abort', stop);
        await session.stop();
      }
    },
  };
}

function databricksTarget(config: Config): Target {
  const t = config.target;
  if (t.kind !== 'databricks') throw new Error('databricksTarget: not a Databricks target');
  return {
    name: config.targetName,
    kind: 'databricks',
    landing: { root: config.landingRoot },
    direct: null,
    workspace: () => connectDatabricks(t, config.targetName),
    async sql() {
      const warehouse = new Warehouse(await warehouseTarget(config));
      return {
        where: `SQL warehouse ${t.warehouse_id ?? '(none)'} of target ${config.targetName}`,
        run: (statement, args) => warehouse.run(statement, args),
        close: () => warehouse.close(),
      };
    },
  };
}

/** The target of the configuration (`--target NAME`, `PINPIPE_TARGET`, or `default_target`). */
export function targetOf(config: Config): Target {
  return config.target.kind === 'local' ? localTarget(config) : databricksTarget(config);
}
