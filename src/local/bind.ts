// How the local target loads a landed topic: the lake folder's landing layout, read as text by Spark. The
// files the bronze table does not hold yet are inserted into it, each line a row with its file and this
// run's load number; then the view over the rows not cleaned yet is bound by the same statements as on
// Databricks (where the notebook's own cell loads with COPY INTO: the only place the targets differ).
// What COPY INTO keeps in the table's log, the local load keeps in the table itself: the same INSERT adds
// one marker row per file (value NULL, load_id the load's number negated, from the file listing only),
// written to files of their own, so that the files already loaded are read from those few files (Delta
// skips the others by their load_id statistics, also once OPTIMIZE clustered the table on load_id) instead
// of from every row of the bronze table. The notebook reads loads above the last reported one: never a
// marker.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pendingViewStatements, quoteIdentifier, type SourceBinding } from '../notebook/index.ts';
import { topicDir } from '../sink/landing.ts';
import { PinpipeError } from '../errors.ts';

/** Kafka's rule for topic names: a job parameter naming a topic can name nothing else (no path, no SQL). */
const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** Files a single INSERT loads at most; a load of more is several INSERTs (each file still loaded once). */
const FILES_PER_INSERT = 1000;

/** The landed files of a topic folder: topics/<topic>/partition=<p>/*.json, relative to the folder. */
function landedFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name.startsWith('partition='))
    .flatMap((d) => readdirSync(path.join(dir, d.name)).filter((f) => f.endsWith('.json')).map((f) => `${d.name}/${f}`))
    .sort();
}

/** A path as a Hadoop glob that matches only itself: the glob's special characters escaped. */
function globLiteral(text: string): string {
  return text.replace(/[\\{}[\]*?,]/g, (c) => `\\${c}`);
}

/** A source_file value (`file:/lake/topics/...`, as Spark's _metadata.file_path gives it) as a local path. */
function localPath(source: string): string {
  return source.startsWith('file:') ? fileURLToPath(new URL(source)) : source;
}

function checkTopicName(topic: string): void {
  if (!TOPIC_NAME.test(topic) || topic === '.' || topic === '..') {
    throw new PinpipeError('USAGE', `the topic parameter ${JSON.stringify(topic.slice(0, 80))} is not a Kafka topic name (letters, digits, '.', '_', '-', up to 249) (USAGE).`);
  }
}

/**
 * The statements that load a topic's new landed files into the bronze table and bind the view over the rows
 * not cleaned yet. `query` runs a statement in the notebook's session (its variables are set) and returns
 * its rows: the bronze table's files are read first, so a file already loaded is never loaded again.
 */
export async function localSourceStatements(
  binding: SourceBinding,
  landingRoot: string,
  topic: string,
  query: (sql: string) => Promise<Record<string, unknown>[]>,
): Promise<string[]> {
  checkTopicName(topic);
  const dir = topicDir(landingRoot, topic);
  const files = landedFiles(dir);
  const bronze = `IDENTIFIER(${binding.bronzeVariable})`;
  let marked = await query(`SELECT source_file FROM ${bronze} WHERE load_id < 0`);
  const statements: string[] = [];
  if (marked.length === 0) {
    // A bronze table of the first incremental version holds rows but no markers: they are written once,
    // from its rows, rather than every landed file loaded again.
    marked = await query(`SELECT DISTINCT source_file FROM ${bronze} WHERE load_id > 0`);
    if (marked.length) statements.push(`INSERT INTO ${bronze} SELECT CAST(NULL AS STRING), source_file, -min(load_id) FROM ${bronze} WHERE load_id > 0 GROUP BY source_file`);
  }
  const loaded = new Set(marked.map((r) => localPath(String(r['source_file']))));
  const fresh = files.filter((f) => !loaded.has(path.join(dir, f)));
  for (let i = 0; i < fresh.length; i += FILES_PER_INSERT) {
    const chunk = fresh.slice(i, i + FILES_PER_INSERT).map(globLiteral);
    const glob = `${globLiteral(dir)}/{${chunk.join(',')}}`;
    statements.push(`INSERT INTO ${bronze} SELECT value, _metadata.file_path AS source_file, ${binding.loadVariable} AS load_id FROM text.${quoteIdentifier(glob)}`
      + ` UNION ALL SELECT CAST(NULL AS STRING), _metadata.file_path, -${binding.loadVariable} FROM binaryFile.${quoteIdentifier(glob)}`);
  }
  return [...statements, ...pendingViewStatements(binding)];
}
