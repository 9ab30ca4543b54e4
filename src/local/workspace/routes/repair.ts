// Jobs API 2.2 runs/repair: tasks of an ended run run again, in the same run (new task run ids, the run's
// repair_history growing by one), the other tasks keeping their results; rerun_tasks names them, or
// rerun_all_failed_tasks takes every task that did not succeed; rerun_dependent_tasks adds what depends on them.
import type { jobs } from '@databricks/sdk-experimental';
import { int, invalid, type Body, type RouteContext } from '../api.ts';
import { isQueued, launch } from '../queue.ts';

export function repairRun(ctx: RouteContext, b: Body): { repair_id: number } {
  const { store, executor } = ctx;
  const id = int(b['run_id'], 'run_id');
  const found = store.run(id);
  if (!found) throw invalid(`Run ${id} does not exist.`);
  if (executor.isActive(id) || isQueued(found)) throw invalid(`Run ${id} is still active; it can be repaired once it has ended.`);
  const record = structuredClone(found);
  const run = record.run;
  const history = run.repair_history ?? [];
  const latest = history.filter((h) => h.type === 'REPAIR').at(-1)?.id;
  if (b['latest_repair_id'] !== undefined && latest !== undefined && int(b['latest_repair_id'], 'latest_repair_id') !== latest) {
    throw invalid(`latest_repair_id ${String(b['latest_repair_id'])} is not the latest repair of run ${id} (${latest}).`);
  }
  const job = run.job_id !== undefined ? store.job(run.job_id) : undefined;
  const runTasks = run.tasks ?? [];
  // The tasks as defined: the job's, or (a submitted run) as recorded in the run.
  const tasks: jobs.Task[] = job?.settings.tasks ?? runTasks.map((t) => ({ task_key: t.task_key, ...(t.notebook_task ? { notebook_task: t.notebook_task } : {}), ...(t.depends_on ? { depends_on: t.depends_on } : {}) }));
  const keys = new Set(tasks.map((t) => t.task_key));
  const rerun = new Set<string>();
  if (Array.isArray(b['rerun_tasks'])) {
    for (const k of b['rerun_tasks']) {
      if (typeof k !== 'string' || !keys.has(k)) throw invalid(`Task ${String(k)} is not a task of run ${id}.`);
      rerun.add(k);
    }
  }
  if (b['rerun_all_failed_tasks'] === true) for (const t of runTasks) if (t.state?.result_state !== 'SUCCESS') rerun.add(t.task_key);
  if (!rerun.size) throw invalid('Either rerun_tasks or rerun_all_failed_tasks must select a task to run again.');
  if (b['rerun_dependent_tasks'] === true) {
    for (let grew = true; grew;) {
      grew = false;
      for (const t of tasks) if (!rerun.has(t.task_key) && (t.depends_on ?? []).some((d) => rerun.has(d.task_key))) { rerun.add(t.task_key); grew = true; }
    }
  }
  const params: Record<string, string> = Object.fromEntries((run.job_parameters ?? []).map((p) => [p.name!, p.value ?? p.default ?? '']));
  const given = b['job_parameters'];
  if (given && typeof given === 'object') for (const [k, v] of Object.entries(given)) params[k] = String(v);
  const done = new Map<string, jobs.RunResultState>();
  const now = Date.now();
  const baseUrl = ctx.baseUrl();
  for (const t of runTasks) {
    if (!rerun.has(t.task_key)) {
      done.set(t.task_key, t.state?.result_state ?? 'FAILED');
      continue;
    }
    t.run_id = store.nextId();
    t.attempt_number = 0;
    t.run_page_url = `${baseUrl}/#job/${run.job_id ?? 0}/run/${t.run_id}`;
    t.state = { life_cycle_state: 'PENDING', state_message: '' };
    t.status = { state: 'PENDING' };
    delete t.end_time;
  }
  const repairId = store.nextId();
  run.repair_history = [
    ...(history.length ? history : [{ type: 'ORIGINAL', id: run.run_id, start_time: run.start_time, end_time: run.end_time, state: run.state, task_run_ids: [] }]),
    { type: 'REPAIR', id: repairId, start_time: now, task_run_ids: runTasks.filter((t) => rerun.has(t.task_key)).map((t) => t.run_id!) },
  ] as jobs.RepairHistoryItem[];
  run.state = { life_cycle_state: 'PENDING', state_message: `Repair ${repairId}: running ${[...rerun].join(', ')} again.` };
  run.status = { state: 'PENDING' };
  delete run.end_time;
  store.putRun(record);
  // Not a new run of the job: no max_concurrent_runs check, but while it runs it holds a slot, and its end
  // lets the job's queued runs start.
  launch(ctx, record, tasks, params, job?.settings.timeout_seconds ?? 0, done);
  return { repair_id: repairId };
}
