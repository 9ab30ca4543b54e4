// The Jobs API's terminal life-cycle states of a run: a run in any other (QUEUED, PENDING, RUNNING, TERMINATING,
// BLOCKED, WAITING_FOR_RETRY) is active. One set for the clients that wait for a run (run-job, stop-job) and for
// the local workspace that answers them.
const RUN_ENDED_STATES: ReadonlySet<string> = new Set(['TERMINATED', 'SKIPPED', 'INTERNAL_ERROR']);

export function runEnded(lifeCycleState: string | undefined): boolean {
  return RUN_ENDED_STATES.has(lifeCycleState ?? '');
}
