// `pinpipe data land`: writes the rows of a data folder into the lake in the landing layout, as the S3
// sink connector would have: in source or shuffled order, with extra copies and malformed lines on demand.
import type { Config, TableKey } from '../config/index.ts';
import { TABLES } from '../config/index.ts';
import { clearTopic, PartitionWriter } from '../sink/landing.ts';
import { Random } from './random.ts';
import { readSourceTable } from './source-files.ts';

export interface LandOptions {
  from: string;
  order: 'original' | 'shuffled';
  /** Extra copies as a fraction of the rows: 0.5 lands about half the rows twice. */
  duplicates: number;
  /** Malformed lines added, as a fraction of the rows. */
  malformed: number;
  seed: string;
  flushSize: number;
  tables?: readonly TableKey[];
}

export interface LandReport {
  table: TableKey;
  topic: string;
  rows: number;
  lines: number;
  files: number;
}

const MALFORMED = [
  (line: string) => line.slice(0, Math.max(1, Math.floor(line.length / 2))),
  () => 'not json at all',
  () => '{"note": "a record without its key"}',
  (_: string, key: string) => `{"${key}": "twelve"}`,
  (_: string, key: string) => `{"${key}": 1.5}`,
  () => '[1, 2, 3]',
];

export async function landFromDir(config: Config, options: LandOptions, progress: (l: string) => void = () => {}): Promise<LandReport[]> {
  const reports: LandReport[] = [];
  for (const table of options.tables ?? TABLES) {
    const topic = config.names.topic[table];
    const key = table === 'pin' ? 'index' : 'ind';
    const random = new Random(`${options.seed}:${table}`);
    clearTopic(config.lakeRoot, topic);
    const writer = new PartitionWriter(config.lakeRoot, topic, 0, options.flushSize);
    let rows = 0;
    const emit = (line: string) => {
      writer.write(line);
      if (options.malformed > 0 && random.chance(options.malformed)) writer.write(random.pick(MALFORMED)(line, key));
    };
    if (options.order === 'original') {
      for await (const record of readSourceTable(options.from, table)) {
        const line = JSON.stringify(record);
        rows++;
        emit(line);
        if (options.duplicates > 0 && random.chance(options.duplicates)) emit(line);
      }
    } else {
      const lines: string[] = [];
      for await (const record of readSourceTable(options.from, table)) {
        const line = JSON.stringify(record);
        lines.push(line);
        rows++;
        if (options.duplicates > 0 && random.chance(options.duplicates)) lines.push(line);
      }
      for (const line of random.shuffle(lines)) emit(line);
    }
    writer.flush();
    reports.push({ table, topic, rows, lines: writer.linesWritten, files: writer.filesWritten });
    progress(`land: ${topic}: ${writer.linesWritten} lines in ${writer.filesWritten} files`);
  }
  return reports;
}
