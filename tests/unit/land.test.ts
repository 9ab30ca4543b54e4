// `data land` in shuffled order: small tables are shuffled in memory, large ones through buckets on disk
// (bounded memory at 10M rows a table). Both give every line of the source, duplicates included, in a
// seeded order, and leave no scratch files behind.
import { expect } from 'chai';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { landFromDir } from '../../src/emulator/land.ts';
import { readSourceTable } from '../../src/source/files.ts';
import { REAL_DIR } from '../fixtures/index.ts';

describe('data land, shuffled', function () {
  this.timeout(60_000);
  let dir: string;
  let source: string[];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-land-'));
    source = [];
    for await (const record of readSourceTable(REAL_DIR, 'pin')) source.push(JSON.stringify(record));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const land = async (name: string, bucketBytes: number | undefined, seed = 's') => {
    const config: Config = loadConfig({ lake: path.join(dir, name), env: {}, cwd: dir });
    const [report] = await landFromDir(config, { from: REAL_DIR, order: 'shuffled', duplicates: 0, malformed: 0, seed, flushSize: 1000, tables: ['pin'], ...(bucketBytes ? { bucketBytes } : {}) });
    const topicDir = path.join(config.lakeRoot, 'topics', config.names.topic.pin, 'partition=0');
    const lines = readdirSync(topicDir).sort().flatMap((f) => readFileSync(path.join(topicDir, f), 'utf8').split('\n').filter(Boolean));
    return { report: report!, lines, lake: config.lakeRoot };
  };

  it('through buckets on disk gives every source line once, in a new seeded order, and cleans up', async () => {
    const memory = await land('memory', undefined);
    const disk = await land('disk', 64 * 1024);
    const again = await land('again', 64 * 1024);
    const other = await land('other', 64 * 1024, 'another seed');
    expect(disk.report.rows).to.equal(source.length);
    expect([...disk.lines].sort()).to.deep.equal([...source].sort());
    expect([...memory.lines].sort()).to.deep.equal([...source].sort());
    expect(disk.lines).to.not.deep.equal(source);
    expect(again.lines).to.deep.equal(disk.lines);
    expect(disk.lines, 'the bucket path, not the in-memory one').to.not.deep.equal(memory.lines);
    expect(other.lines).to.not.deep.equal(disk.lines);
    // Source neighbours end up apart: in a uniform order, few of the 11k pairs stay adjacent.
    const position = new Map(disk.lines.map((l, i) => [l, i]));
    const adjacent = source.slice(1).filter((l, i) => Math.abs(position.get(l)! - position.get(source[i]!)!) === 1).length;
    expect(adjacent).to.be.below(20);
    expect(existsSync(path.join(disk.lake, '_land')), 'scratch buckets removed').to.equal(false);
  });
});
