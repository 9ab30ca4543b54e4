// Every job of the project, by name.
import type { JobSpec } from '../src/job/index.ts';
import { cleanJob } from './clean.job.ts';
import { maintainJob } from './maintain.job.ts';
import { queriesJob } from './queries.job.ts';
import { streamJob } from './stream.job.ts';

export const JOBS: Record<string, JobSpec> = { clean: cleanJob, queries: queriesJob, stream: streamJob, maintain: maintainJob };
