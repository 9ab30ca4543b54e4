// The landing layout of the Confluent S3 sink connector (spec/wire.md), on a local folder:
// topics/<topic>/partition=<p>/<topic>+<p>+<startOffset 10 digits>.json, one compact JSON value a line.
// A file is written under a temporary name and renamed, so a reader never sees half a file.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export function objectKey(topic: string, partition: number, startOffset: number): string {
  return `topics/${topic}/partition=${partition}/${topic}+${partition}+${String(startOffset).padStart(10, '0')}.json`;
}

export function topicDir(lakeRoot: string, topic: string): string {
  return path.join(lakeRoot, 'topics', topic);
}

/** Writes lines of one partition into files of at most flushSize lines, keyed by their first offset. */
export class PartitionWriter {
  private buffer: string[] = [];
  private offset: number;
  private readonly dir: string;
  filesWritten = 0;
  linesWritten = 0;

  constructor(
    private readonly lakeRoot: string,
    private readonly topic: string,
    private readonly partition: number,
    private readonly flushSize: number,
    startOffset = 0,
  ) {
    this.offset = startOffset;
    this.dir = path.join(topicDir(lakeRoot, topic), `partition=${partition}`);
    mkdirSync(this.dir, { recursive: true });
  }

  write(line: string): void {
    this.buffer.push(line);
    if (this.buffer.length >= this.flushSize) this.flush();
  }

  flush(): void {
    if (!this.buffer.length) return;
    const key = objectKey(this.topic, this.partition, this.offset);
    const target = path.join(this.lakeRoot, key);
    const temp = `${target}.tmp`;
    writeFileSync(temp, `${this.buffer.join('\n')}\n`);
    renameSync(temp, target);
    this.offset += this.buffer.length;
    this.linesWritten += this.buffer.length;
    this.filesWritten++;
    this.buffer = [];
  }
}

export function clearTopic(lakeRoot: string, topic: string): void {
  rmSync(topicDir(lakeRoot, topic), { recursive: true, force: true });
}
