// `pinpipe data land`: writes the rows of a data folder into the lake in the landing layout, as the S3
// sink connector would have: in source or shuffled order, with extra copies and malformed lines on demand.
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Config, TableKey } from '../config/index.ts';
import { TABLES } from '../config/index.ts';
import { clearTopic, PartitionWriter } from '../sink/landing.ts';
import { Random } from './random.ts';
import { readSourceTable, sourceFile } from '../source/files.ts';

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
  /** Source bytes a shuffle bucket holds in memory (default 64 MiB); larger tables are shuffled on disk. */
  bucketBytes?: number;
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

/** Source bytes a shuffle bucket holds in memory. */
const BUCKET_BYTES = 64 << 20;

/** Lines scattered into bucket files at random, appended in blocks of about 1 MB. */
class Scatter {
  private readonly pending: string[][];
  private readonly bytes: number[];

  constructor(private readonly dir: string, private readonly buckets: number, private readonly random: Random) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    this.pending = Array.from({ length: buckets }, () => []);
    this.bytes = new Array<number>(buckets).fill(0);
  }

  private file(b: number): string {
    return path.join(this.dir, `bucket-${b}.jsonl`);
  }

  put(line: string): void {
    const b = this.random.int(0, this.buckets - 1);
    this.pending[b]!.push(line);
    this.bytes[b]! += line.length + 1;
    if (this.bytes[b]! >= 1 << 20) this.write(b);
  }

  private write(b: number): void {
    if (!this.pending[b]!.length) return;
    appendFileSync(this.file(b), `${this.pending[b]!.join('\n')}\n`);
    this.pending[b] = [];
    this.bytes[b] = 0;
  }

  flush(): void {
    for (let b = 0; b < this.buckets; b++) this.write(b);
  }

  read(b: number): string[] {
    if (!existsSync(this.file(b))) return [];
    const lines = readFileSync(this.file(b), 'utf8').split('\n');
    lines.pop();
    return lines;
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
    const parent = path.dirname(this.dir);
    if (existsSync(parent) && readdirSync(parent).length === 0) rmSync(parent, { recursive: true, force: true });
  }
}

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
      // Bounded memory at any size: lines are scattered into buckets on disk at random, then each bucket
      // is shuffled in memory and written out in turn, which is again a uniform random order.
      const file = sourceFile(options.from, table);
      const estimate = (existsSync(file) ? statSync(file).size : 0) * (1 + options.duplicates) * (table === 'pin' ? 1 : 2);
      const buckets = Math.max(1, Math.ceil(estimate / (options.bucketBytes ?? BUCKET_BYTES)));
      const scatter = buckets === 1 ? null : new Scatter(path.join(config.lakeRoot, '_land', topic), buckets, random);
      const lines: string[] = [];
      const put = (line: string) => (scatter ? scatter.put(line) : lines.push(line));
      try {
        for await (const record of readSourceTable(options.from, table)) {
          const line = JSON.stringify(record);
          put(line);
          rows++;
          if (options.duplicates > 0 && random.chance(options.duplicates)) put(line);
        }
        if (!scatter) for (const line of random.shuffle(lines)) emit(line);
        else {
          scatter.flush();
          for (let b = 0; b < buckets; b++) for (const line of random.shuffle(scatter.read(b))) emit(line);
        }
      } finally {
        scatter?.remove();
      }
    }
    writer.flush();
    reports.push({ table, topic, rows, lines: writer.linesWritten, files: writer.filesWritten });
    progress(`land: ${topic}: ${writer.linesWritten} lines in ${writer.filesWritten} files`);
  }
  return reports;
}
