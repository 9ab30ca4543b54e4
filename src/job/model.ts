// The job model shared by jobs/*.job.ts: tasks that run notebooks with parameters, in dependency order.
// Parameters are templates resolved against the configuration of the target the job runs on.
import type { Config, TableKey } from '../config/index.ts';
import { quoteIdentifier } from '../notebook/index.ts';

export interface TaskSpec {
  key: string;
  /** Notebook name under notebooks/, without extension. */
  notebook: string;
  dependsOn: string[];
  /**
   * A setup task gives the job access to the landing data (notebooks/setup/access.py). It exists on
   * Databricks targets only: the local target's landing is a folder of the lake.
   */
  setup?: boolean;
}

export interface JobSpec {
  name: string;
  description: string;
  tasks: TaskSpec[];
  /** Runs daily on the schedule of pinpipe.yaml (jobs.schedule), paused on development targets. */
  daily?: boolean;
}

/** A table name for a target: quoted, and qualified by the target's catalog and schema when it has them. */
export function tableRef(config: Config, name: string): string {
  const t = config.target;
  const parts = t.kind === 'databricks' ? [t.catalog, t.schema].filter((p): p is string => Boolean(p)) : [];
  return [...parts, name].map(quoteIdentifier).join('.');
}

/** Notebook parameters for a target: the landing root, topics, and quoted table names. */
export function jobParameters(config: Config, landingRoot: string): Record<string, string> {
  const params: Record<string, string> = { landing_root: landingRoot };
  for (const t of ['pin', 'geo', 'user'] as TableKey[]) {
    params[`${t}_topic`] = config.names.topic[t];
    params[`${t}_table`] = tableRef(config, config.names.table[t]);
    params[`${t}_rejects_table`] = tableRef(config, config.names.rejects[t]);
    params[`${t}_reports_table`] = tableRef(config, config.names.reports[t]);
  }
  return params;
}

/** The tasks that run on a target: setup tasks only where there is access to set up (Databricks). */
export function tasksFor(job: JobSpec, config: Config): TaskSpec[] {
  if (config.target.kind === 'databricks') return job.tasks;
  const setup = new Set(job.tasks.filter((t) => t.setup).map((t) => t.key));
  return job.tasks.filter((t) => !t.setup).map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => !setup.has(d)) }));
}

/** Tasks in an order that respects dependencies (stable: declaration order among ready tasks). */
export function taskOrder(job: JobSpec): TaskSpec[] {
  const done = new Set<string>();
  const out: TaskSpec[] = [];
  while (out.length < job.tasks.length) {
    const next = job.tasks.find((t) => !done.has(t.key) && t.dependsOn.every((d) => done.has(d)));
    if (!next) throw new Error(`job ${job.name}: task dependencies form a cycle or name a missing task`);
    done.add(next.key);
    out.push(next);
  }
  return out;
}
