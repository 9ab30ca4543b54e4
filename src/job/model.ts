// The job model shared by jobs/*.job.ts: tasks that run notebooks with parameters, in dependency order.
// Parameters are templates resolved against the configuration of the target the job runs on.
import type { Config, TableKey } from '../config/index.ts';
import { quoteIdentifier } from '../notebook/index.ts';

export interface TaskSpec {
  key: string;
  /** Notebook name under notebooks/, without extension. */
  notebook: string;
  dependsOn: string[];
}

export interface JobSpec {
  name: string;
  description: string;
  tasks: TaskSpec[];
}

/** Notebook parameters for a target: the landing root, topics, and quoted table names. */
export function jobParameters(config: Config, landingRoot: string): Record<string, string> {
  const params: Record<string, string> = { landing_root: landingRoot };
  for (const t of ['pin', 'geo', 'user'] as TableKey[]) {
    params[`${t}_topic`] = config.names.topic[t];
    params[`${t}_table`] = quoteIdentifier(config.names.table[t]);
    params[`${t}_rejects_table`] = quoteIdentifier(config.names.rejects[t]);
  }
  return params;
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
