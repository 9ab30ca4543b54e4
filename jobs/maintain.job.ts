// The maintain job, weekly: Delta housekeeping of the tables the clean job grows by small merges and
// appends (clustering, OPTIMIZE, VACUUM). Separate from the daily clean so that a slow compaction never
// delays the tables, and so that it can run on its own schedule or by hand (run-job maintain).
import type { JobSpec } from '../src/job/index.ts';

export const maintainJob: JobSpec = {
  name: 'maintain',
  description: 'Cluster, compact (OPTIMIZE) and clean up (VACUUM) the Delta tables of the clean job',
  maintenance: true,
  tasks: [{ key: 'maintain', notebook: 'maintain', dependsOn: [] }],
};
