export { jobParameters, taskOrder } from './model.ts';
export type { JobSpec, TaskSpec } from './model.ts';
