// The stream job: the Kinesis streaming notebook, reading the three streams into the Delta tables. It runs
// continuously (stream.trigger continuous: Databricks restarts a failed run) or on stream.schedule with
// availableNow (what is in the streams, then stop).
import type { JobSpec } from '../src/job/index.ts';

export const streamJob: JobSpec = {
  name: 'stream',
  description: 'Ingest the Kinesis streams into the pin, geo and user Delta tables, exactly once (Structured Streaming)',
  stream: true,
  tasks: [{ key: 'stream', notebook: 'stream/kinesis', dependsOn: [] }],
};
