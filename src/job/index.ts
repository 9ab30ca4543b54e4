export { jobParameters, LOCAL_KINESIS_REFERENCE, streamParameters, tableRef, taskOrder, tasksFor } from './model.ts';
export type { JobSpec, TaskSpec } from './model.ts';
export { compileJob, jobName, JOB_TAG } from './compile.ts';
export { airflowSchedule, DAG_VARIANTS, dagFile, dagId, renderDag, renderDags } from './dag.ts';
export type { DagVariant } from './dag.ts';
