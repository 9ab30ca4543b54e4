// The source database on both engines: the embedded SQLite and the MariaDB from Debian the project
// runs. The real rows load completely, and the row the original script's `LIMIT offset, 1` reads is the
// row of the files at that position in key order, with datetimes as text and numbers as numbers.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedSource, MysqlSource, type SourceDb } from '../../src/source/db.ts';
import { ensureMariadb, stopMariadb } from '../../src/local/mariadb.ts';
import { readSourceTable, type SourceRecord } from '../../src/source/files.ts';
import { REAL_DIR, type TableKey } from '../fixtures/index.ts';

const TABLES: TableKey[] = ['pin', 'geo', 'user'];
const KEY: Record<TableKey, string> = { pin: 'index', geo: 'ind', user: 'ind' };
const quiet = () => {};

async function fileRows(t: TableKey): Promise<SourceRecord[]> {
  const rows: SourceRecord[] = [];
  for await (const r of readSourceTable(REAL_DIR, t)) rows.push(r);
  return rows.sort((a, b) => Number(a[KEY[t]]) - Number(b[KEY[t]]));
}

function checks(open: () => Promise<SourceDb>) {
  return async () => {
    const db = await open();
    try {
      for (const t of TABLES) {
        const rows = await fileRows(t);
        expect(await db.load(t, readSourceTable(REAL_DIR, t)), `${t} loaded`).to.equal(rows.length);
        expect(await db.count(t)).to.equal(rows.length);
        for (const offset of [0, 1, 7528 % rows.length, rows.length - 1]) {
          expect(await db.row(t, offset), `${t} row at offset ${offset}`).to.deep.equal(rows[offset]);
        }
        expect(await db.row(t, rows.length)).to.equal(null);
        const mid = rows[Math.floor(rows.length / 2)]!;
        expect(await db.byKey(t, Number(mid[KEY[t]])), `${t} by key`).to.deep.equal(mid);
        expect(await db.byKey(t, 99999)).to.equal(null);
      }
    } finally {
      await db.close();
    }
  };
}

describe('source database', function () {
  this.timeout(300_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-src-')); });
  after(async () => {
    await stopMariadb(path.join(dir, 'mariadb'), quiet);
    rmSync(dir, { recursive: true, force: true });
  });

  it('embedded SQLite: loads the real rows and reads them back as the original did', checks(() => EmbeddedSource.open(path.join(dir, 'source.sqlite'))));

  it('keeps the embedded tables on disk', async () => {
    const db = await EmbeddedSource.open(path.join(dir, 'source.sqlite'));
    expect(await db.count('user')).to.equal(11154);
    await db.close();
  });

  it('MariaDB from Debian, run by the project: the same rows, the same reads', checks(async () => {
    const server = await ensureMariadb(path.join(dir, 'mariadb'), quiet);
    expect(server.url, "the database the original scripts connect to").to.match(/^mysql:\/\/pinpipe@127\.0\.0\.1:\d+\/pinterest_data$/);
    return MysqlSource.open(server.url, server.password);
  }));

  it('refuses a wrong password with a clear error', async () => {
    const server = await ensureMariadb(path.join(dir, 'mariadb'), quiet);
    try {
      await MysqlSource.open(server.url, 'wrong');
      expect.fail('a wrong password should be refused');
    } catch (e) {
      expect((e as Error).message).to.include('PINPIPE_SOURCE_PASSWORD').and.include('Access denied');
    }
  });
});
