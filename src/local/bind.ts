// How the local target binds a landed topic: the lake folder's landing layout read as text by Spark.
// (On Databricks the notebook's own cell uses read_files; that is the only place the targets differ.)
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { quoteIdentifier } from '../notebook/index.ts';
import { topicDir } from '../sink/landing.ts';
import { PinpipeError } from '../errors.ts';

function hasLandedFiles(dir: string): boolean {
  if (!existsSync(dir)) return false;
  return readdirSync(dir, { withFileTypes: true }).some(
    (d) => d.isDirectory() && d.name.startsWith('partition=') && readdirSync(path.join(dir, d.name)).some((f) => f.endsWith('.json')),
  );
}

/** Kafka's rule for topic names: a job parameter naming a topic can name nothing else (no path, no SQL). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

export function localSourceSql(view: string, lakeRoot: string, topic: string): string {
  if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new PinpipeError('USAGE', `the topic parameter ${JSON.stringify(topic.slice(0, 80))} is not a Kafka topic name (letters, digits, '.', '_', '-', up to 249) (USAGE).`);
  }
  const dir = topicDir(lakeRoot, topic);
  if (!hasLandedFiles(dir)) {
    // Nothing landed yet: an empty relation of the same shape, so the job writes empty tables.
    return `CREATE OR REPLACE TEMPORARY VIEW ${view} AS SELECT CAST(NULL AS STRING) AS value, CAST(NULL AS STRING) AS source_file WHERE false`;
  }
  const glob = path.join(dir, 'partition=*', '*.json');
  return `CREATE OR REPLACE TEMPORARY VIEW ${view} AS SELECT value, _metadata.file_path AS source_file FROM text.${quoteIdentifier(glob)}`;
}
