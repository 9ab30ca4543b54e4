// Generated data against the distributions of spec/data.md (within tolerances), and determinism.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { generateData } from '../../src/emulator/generator.ts';

describe('data generator', function () {
  this.timeout(60_000);
  const rows = 20_000;
  let dir: string;
  let pins: Record<string, unknown>[];
  let geo: string[][];
  let users: string[][];

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-gen-'));
    await generateData({ rows, seed: 'test', out: dir });
    pins = readFileSync(path.join(dir, 'pinterest_data.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    geo = readFileSync(path.join(dir, 'geolocation_data.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
    users = readFileSync(path.join(dir, 'user_data.csv'), 'utf8').trim().split('\n').slice(1).map((l) => l.split(','));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const rate = (n: number) => n / rows;

  it('writes N rows a table sharing one key', () => {
    expect(pins).to.have.length(rows);
    expect(geo).to.have.length(rows);
    expect(users).to.have.length(rows);
    expect(pins.every((p, i) => p['index'] === i)).to.equal(true);
  });

  it('keeps placeholder rates and their co-occurrence on story rows', () => {
    const story = pins.filter((p) => p['is_image_or_video'] === 'multi-video(story page format)');
    expect(rate(story.length)).to.be.within(0.065, 0.09);
    expect(rate(pins.filter((p) => p['title'] === 'No Title Data Available').length)).to.be.within(0.003, 0.012);
    expect(rate(pins.filter((p) => p['image_src'] === 'Image src error.').length)).to.be.within(0.018, 0.033);
    expect(rate(pins.filter((p) => p['tag_list'] === 'N,o, ,T,a,g,s, ,A,v,a,i,l,a,b,l,e').length)).to.be.within(0.009, 0.02);
    for (const p of pins.filter((x) => x['poster_name'] === 'User Info Error')) {
      expect(p['follower_count']).to.equal('User Info Error');
      expect(p['is_image_or_video']).to.equal('multi-video(story page format)');
      expect(p['downloaded']).to.equal(0);
    }
  });

  it('writes follower counts as digits (~18%), k (~73%) and M (~8%)', () => {
    const fc = pins.map((p) => String(p['follower_count'])).filter((f) => f !== 'User Info Error');
    const share = (re: RegExp) => fc.filter((f) => re.test(f)).length / fc.length;
    expect(share(/^\d+$/)).to.be.within(0.1, 0.28);
    expect(share(/^\d+k$/)).to.be.within(0.62, 0.84);
    expect(share(/^\d+M$/)).to.be.within(0.03, 0.14);
  });

  it('orders categories in contiguous index blocks', () => {
    let changes = 0;
    for (let i = 1; i < pins.length; i++) if (pins[i]!['category'] !== pins[i - 1]!['category']) changes++;
    expect(changes).to.equal(12);
  });

  it('keeps date ranges, the southern skew of latitudes, and repeated people', () => {
    const years = geo.map((g) => Number(g[1]!.slice(0, 4)));
    expect(Math.min(...years)).to.equal(2017);
    expect(Math.max(...years)).to.equal(2022);
    const lats = geo.map((g) => Number(g[2])).sort((a, b) => a - b);
    expect(lats[Math.floor(lats.length / 2)]).to.be.within(-70, -54);
    const joined = users.map((u) => u[4]!);
    expect(joined.every((d) => d >= '2015-10-21' && d <= '2017-10-20 23:59:59')).to.equal(true);
    const people = new Set(users.map((u) => `${u[1]} ${u[2]} ${u[3]} ${u[4]}`)).size;
    expect(people / rows).to.be.within(0.4, 0.56);
  });

  it('is deterministic for a seed', async () => {
    const again = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-gen-'));
    await generateData({ rows: 500, seed: 'test', out: again });
    const first = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-gen-'));
    await generateData({ rows: 500, seed: 'test', out: first });
    expect(readFileSync(path.join(again, 'pinterest_data.jsonl'), 'utf8')).to.equal(readFileSync(path.join(first, 'pinterest_data.jsonl'), 'utf8'));
    rmSync(again, { recursive: true, force: true });
    rmSync(first, { recursive: true, force: true });
  });
});
