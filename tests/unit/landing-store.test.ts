// The landing store's promises (src/sink/store.ts) and the one-record-one-line rule (src/json/line.ts):
// create-if-absent under concurrency, metadata that follows the object's inode (never its bytes), hidden
// names left out of listings; compaction that keeps digits and refuses what is not one JSON object.
import { expect } from 'chai';
import { linkSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FolderStore } from '../../src/sink/store.ts';
import { compactJson, jsonDepth } from '../../src/json/line.ts';
import { landedLine, landedObjects, landedTail } from '../../src/sink/sink.ts';

describe('landing store: create-if-absent, metadata with the object', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-store-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const key = 'topics/t/partition=0/t+0+0000000000.json';

  it('creates an object once: a second put of the key writes nothing and says so', async () => {
    const store = new FolderStore(dir);
    expect(await store.put(key, Buffer.from('{"a":1}\n'), { records: 1, next: 1 })).to.equal(true);
    expect(await store.put(key, Buffer.from('{"b":2}\n{"c":3}\n'), { records: 2, next: 2 })).to.equal(false);
    expect((await store.get(key)).toString()).to.equal('{"a":1}\n');
    expect(await store.meta(key)).to.deep.equal({ records: 1, next: 1 });
    expect(await store.list('topics/t/partition=0/')).to.deep.equal([key]);
  });

  it('of many concurrent writers of one key exactly one wins, and the metadata is the winner\'s', async () => {
    const stores = Array.from({ length: 20 }, () => new FolderStore(dir));
    const results = await Promise.all(stores.map((s, i) => s.put(key, Buffer.from(`${'{"w":1}\n'.repeat(i + 1)}`), { records: i + 1, next: 100 + i })));
    expect(results.filter(Boolean)).to.have.length(1);
    const winner = results.indexOf(true);
    const body = (await stores[0]!.get(key)).toString();
    expect(body.split('\n').filter(Boolean)).to.have.length(winner + 1);
    expect(await stores[0]!.meta(key)).to.deep.equal({ records: winner + 1, next: 100 + winner });
    // No temporary or losing names are left behind.
    expect(readdirSync(path.join(dir, 'topics/t/partition=0')).filter((f) => f.includes('.tmp'))).to.deep.equal([]);
  });

  it('reads the metadata of the object\'s own inode, not a leftover name of another write', async () => {
    const store = new FolderStore(dir);
    await store.put(key, Buffer.from('{"a":1}\n'), { records: 1, next: 5 });
    const folder = path.join(dir, 'topics/t/partition=0');
    // A leftover of a crashed or losing writer: a metadata name of another inode, with other numbers.
    writeFileSync(path.join(folder, '.other'), 'x');
    linkSync(path.join(folder, '.other'), path.join(folder, '.t+0+0000000000.json.meta-9-99-abcdef'));
    expect(await store.meta(key)).to.deep.equal({ records: 1, next: 5 });
    // An object landed by another tool has no metadata.
    writeFileSync(path.join(folder, 't+0+0000000007.json'), '{"x":1}\n');
    expect(await store.meta('topics/t/partition=0/t+0+0000000007.json')).to.equal(null);
  });

  it('takes the tail from the metadata whatever the bytes hold, sorts by offset, and names foreign objects', async () => {
    const store = new FolderStore(dir);
    // Three records whose bytes hold line breaks (as another client could produce them).
    await store.put('topics/t/partition=0/t+0+0000000000.json', Buffer.from('{"a":\n1}\n\n\r\n'), { records: 3, next: 3 });
    await store.put('topics/t/partition=0/t+0+0000000003.json', Buffer.from('{"a":2}\n'), { records: 1, next: 9 });
    writeFileSync(path.join(dir, 'topics/t/partition=0/notes.txt'), 'hello');
    writeFileSync(path.join(dir, 'topics/t/partition=0/t+0+12.json'), '{}\n');
    const found = await landedObjects(store, 't', 0);
    expect(found.objects.map((o) => o.start)).to.deep.equal([0, 3]);
    expect(found.foreign).to.deep.equal(['topics/t/partition=0/notes.txt', 'topics/t/partition=0/t+0+12.json']);
    expect(await landedTail(store, 't', 0)).to.deep.equal({ start: 3, records: 1, next: 9 });
    // Offsets past ten digits sort by number, not by text.
    await store.put('topics/t/partition=0/t+0+10000000000.json', Buffer.from('{"a":3}\n'), { records: 1, next: 10000000001 });
    expect((await landedTail(store, 't', 0))!.start).to.equal(10000000000);
  });
});

describe('one record, one line', () => {
  it('compacts pretty JSON without touching strings or digits', () => {
    const c = compactJson(Buffer.from('{\r\n  "a" : 12345678901234567890123,\n "b": "x  y\\n",\t"c": [1, 2.50]\n}\n'));
    expect(c).to.deep.include({ ok: true, text: '{"a":12345678901234567890123,"b":"x  y\\n","c":[1,2.50]}' });
  });

  it('refuses what is not one JSON object, naming why', () => {
    const reason = (s: string | Buffer) => { const c = compactJson(s); return c.ok ? 'ok' : c.reason; };
    expect(reason('{"a":1 2}')).to.match(/is not JSON/);
    expect(reason('{"a":"line\nbreak"}')).to.match(/is not JSON/);
    expect(reason('[1,2]')).to.equal('is not a JSON object');
    expect(reason('"text"')).to.equal('is not a JSON object');
    expect(reason(Buffer.from([0x7b, 0xff, 0x7d]))).to.equal('is not UTF-8 text');
    expect(reason(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`)).to.match(/nests deeper than 64/);
    expect(jsonDepth('{"a":"{{{{[[["}')).to.equal(1);
  });

  it('lands any bytes as exactly one line', () => {
    for (const value of [Buffer.from('{\n"a":1}'), Buffer.from('not json\nat all\r'), Buffer.from([0, 10, 13, 255]), null, Buffer.from('{"ok":1}')]) {
      const { line } = landedLine(value);
      expect(line.includes(10) || line.includes(13), String(value)).to.equal(false);
    }
    const wrapped = JSON.parse(landedLine(Buffer.from('a\nb')).line.toString()) as { _pinpipe_unreadable: { base64: string } };
    expect(Buffer.from(wrapped._pinpipe_unreadable.base64, 'base64').toString()).to.equal('a\nb');
    expect(landedLine(Buffer.from('{"ok":1}')).line.toString()).to.equal('{"ok":1}');
  });
});

describe('folder store: names', () => {
  it('lists objects whose topic name holds ".tmp" (only hidden names are temporary)', async () => {
    const root = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-tmpname-'));
    try {
      const store = new FolderStore(root);
      const key = 'topics/app.tmpl/partition=0/app.tmpl+0+0000000000.json';
      expect(await store.put(key, Buffer.from('{"a":1}\n'), { records: 1, next: 1 })).to.equal(true);
      expect(await store.list('topics/app.tmpl/partition=0/')).to.deep.equal([key]);
      expect(await landedTail(store, 'app.tmpl', 0)).to.include({ start: 0, records: 1 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
