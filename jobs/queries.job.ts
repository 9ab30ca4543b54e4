// The queries job: the nine analytics queries over the cleaned tables.
import type { JobSpec } from '../src/job/index.ts';

export const queriesJob: JobSpec = {
  name: 'queries',
  description: 'Run the nine analytics queries over the cleaned Delta tables',
  tasks: [{ key: 'queries', notebook: 'queries', dependsOn: [] }],
};
