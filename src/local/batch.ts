// The local batch jobs: runs the notebooks of a job on the local Spark, with the parameters of the
// configuration, and collects the clean report and the query results.
import { jobParameters, taskOrder, tasksFor, type JobSpec } from '../job/index.ts';
import type { Config } from '../config/index.ts';
import { sqlNotebook } from '../notebook/index.ts';
import { localSourceStatements } from './bind.ts';
import { runNotebook, type CellResult } from './notebook-runner.ts';
import type { SparkClient } from './spark/index.ts';
import type { TableReport } from '../sql/result.ts';
export type { TableReport } from '../sql/result.ts';

export interface JobRunResult {
  reports: TableReport[];
  results: Map<string, CellResult>;
  seconds: number;
}

export async function runLocalJob(
  job: JobSpec,
  config: Config,
  client: SparkClient,
  options: { params?: Record<string, string>; onlyResults?: readonly string[]; progress?: (l: string) => void; skipTasks?: readonly string[] } = {},
): Promise<JobRunResult> {
  const started = Date.now();
  const params = { ...jobParameters(config, config.lakeRoot), ...options.params };
  const reports: TableReport[] = [];
  const results = new Map<string, CellResult>();
  const tasks = tasksFor(job, config).filter((t) => !options.skipTasks?.includes(t.key));
  const ordered = taskOrder({ ...job, tasks: tasks.map((t) => ({ ...t, dependsOn: t.dependsOn.filter((d) => tasks.some((x) => x.key === d)) })) });
  const cellsOf = new Map<string, CellResult[]>();
  const runTask = async (task: (typeof ordered)[number]) => {
    const { file, text } = sqlNotebook(task.notebook);
    cellsOf.set(task.key, await runNotebook({
      client,
      file,
      text,
      params,
      // The landing_root parameter decides where the topics are read, as the workspace runner does.
      bindSource: (binding, topic, query) => localSourceStatements(binding, params['landing_root'] ?? config.lakeRoot, topic, query),
      ...(options.progress ? { progress: options.progress } : {}),
      ...(options.onlyResults ? { onlyResults: options.onlyResults } : {}),
    }));
  };
  // Tasks whose dependencies are done run at once, on the one Spark session, as the workspace runs them
  // (the three cleaning notebooks in parallel: each keeps to its own views and variables).
  const done = new Set<string>();
  while (done.size < ordered.length) {
    const ready = ordered.filter((t) => !done.has(t.key) && t.dependsOn.every((d) => done.has(d)));
    const outcomes = await Promise.allSettled(ready.map(runTask));
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
    if (failed) throw failed.reason;
    for (const t of ready) done.add(t.key);
  }
  for (const task of ordered) {
    for (const cell of cellsOf.get(task.key) ?? []) {
      if (cell.resultName) results.set(cell.resultName, cell);
      else if (cell.result.columns.some((c) => c.name === 'rows_in')) reports.push(...(cell.result.rows as unknown as TableReport[]));
    }
  }
  return { reports, results, seconds: (Date.now() - started) / 1000 };
}
