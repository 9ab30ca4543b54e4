// The clean job, daily: access to the landing data (Databricks targets), then pin, geo and user cleaning
// in parallel (independent of each other), then the nine queries over the fresh tables.
import type { JobSpec } from '../src/job/index.ts';

export const cleanJob: JobSpec = {
  name: 'clean',
  description: 'Clean the landed pin, geo and user records into Delta tables, then run the nine analytics queries',
  daily: true,
  tasks: [
    { key: 'landing_access', notebook: 'setup/access', dependsOn: [], setup: true },
    { key: 'clean_pin', notebook: 'clean/pin', dependsOn: ['landing_access'] },
    { key: 'clean_geo', notebook: 'clean/geo', dependsOn: ['landing_access'] },
    { key: 'clean_user', notebook: 'clean/user', dependsOn: ['landing_access'] },
    { key: 'queries', notebook: 'queries', dependsOn: ['clean_pin', 'clean_geo', 'clean_user'] },
  ],
};
