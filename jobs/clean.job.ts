// The clean job: pin, geo and user cleaning (independent of each other) over the landed topics.
import type { JobSpec } from '../src/job/index.ts';

export const cleanJob: JobSpec = {
  name: 'clean',
  description: 'Clean the landed pin, geo and user records into Delta tables',
  tasks: [
    { key: 'clean_pin', notebook: 'clean/pin', dependsOn: [] },
    { key: 'clean_geo', notebook: 'clean/geo', dependsOn: [] },
    { key: 'clean_user', notebook: 'clean/user', dependsOn: [] },
  ],
};
