// The source database: the three tables of spec/data.md (pinterest_data, geolocation_data, user_data).
// Two engines behind one interface: an embedded SQLite (sql.js, the default when no server is configured,
// kept in <lake>/_source/source.sqlite) and MySQL/MariaDB through mysql2 (a server given by URL, or the
// MariaDB from Debian that the project starts). Rows are read as the original posting script read them:
// `SELECT * FROM <table> LIMIT <offset>, 1`, in key order.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { TableKey } from '../config/index.ts';
import { PinpipeError } from '../errors.ts';
import type { SourceRecord } from './files.ts';

/** The side table listing generated rows (the source tables keep the original's columns). */
export const GENERATED_TABLE = 'pinpipe_generated_rows';

export const SOURCE_TABLES: Record<TableKey, { name: string; key: string; columns: [string, 'int' | 'text' | 'double' | 'datetime'][] }> = {
  pin: {
    name: 'pinterest_data',
    key: 'index',
    columns: [['index', 'int'], ['unique_id', 'text'], ['title', 'text'], ['description', 'text'], ['poster_name', 'text'], ['follower_count', 'text'],
      ['tag_list', 'text'], ['is_image_or_video', 'text'], ['image_src', 'text'], ['downloaded', 'int'], ['save_location', 'text'], ['category', 'text']],
  },
  geo: { name: 'geolocation_data', key: 'ind', columns: [['ind', 'int'], ['timestamp', 'datetime'], ['latitude', 'double'], ['longitude', 'double'], ['country', 'text']] },
  user: { name: 'user_data', key: 'ind', columns: [['ind', 'int'], ['first_name', 'text'], ['last_name', 'text'], ['age', 'int'], ['date_joined', 'datetime']] },
};

export interface SourceDb {
  describe(): string;
  /** Replaces a table with these rows; returns how many were loaded. */
  load(table: TableKey, rows: AsyncIterable<SourceRecord>): Promise<number>;
  count(table: TableKey): Promise<number>;
  /** The row at this offset in key order (the original's LIMIT offset, 1), or null past the end. */
  row(table: TableKey, offset: number): Promise<SourceRecord | null>;
  /** The row whose key (index / ind) is this, or null. */
  byKey(table: TableKey, key: number): Promise<SourceRecord | null>;
  /** Records which keys of a table hold generated rows (the table pinpipe_generated_rows: table_name, key). */
  markGenerated(table: TableKey, keys: number[]): Promise<void>;
  close(): Promise<void>;
}

const BATCH = 500;

async function* batches<T>(rows: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const r of rows) {
    batch.push(r);
    if (batch.length >= size) { yield batch; batch = []; }
  }
  if (batch.length) yield batch;
}

function value(row: SourceRecord, column: string): string | number | null {
  const v = row[column];
  return v === undefined ? null : v;
}

// ---- embedded: SQLite compiled to WebAssembly (sql.js), persisted to a file

interface SqlJsDatabase {
  run(sql: string, params?: unknown[]): void;
  exec(sql: string, params?: unknown[]): { columns: string[]; values: unknown[][] }[];
  prepare(sql: string): { run(params: unknown[]): void; free(): void };
  export(): Uint8Array;
  close(): void;
}

export class EmbeddedSource implements SourceDb {
  private constructor(private readonly file: string, private readonly db: SqlJsDatabase) {}

  static async open(file: string): Promise<EmbeddedSource> {
    const require = createRequire(import.meta.url);
    const initSqlJs = require('sql.js') as (o: { locateFile: (f: string) => string }) => Promise<{ Database: new (data?: Uint8Array) => SqlJsDatabase }>;
    const dist = path.dirname(require.resolve('sql.js'));
    const SQL = await initSqlJs({ locateFile: (f) => path.join(dist, f) });
    const db = existsSync(file) ? new SQL.Database(readFileSync(file)) : new SQL.Database();
    return new EmbeddedSource(file, db);
  }

  describe(): string {
    return `embedded SQLite ${this.file}`;
  }

  private persist(): void {
    mkdirSync(path.dirname(this.file), { recursive: true });
    writeFileSync(`${this.file}.tmp`, this.db.export());
    renameSync(`${this.file}.tmp`, this.file);
  }

  async load(table: TableKey, rows: AsyncIterable<SourceRecord>): Promise<number> {
    const t = SOURCE_TABLES[table];
    const type = { int: 'INTEGER', text: 'TEXT', double: 'REAL', datetime: 'TEXT' };
    this.db.run(`DROP TABLE IF EXISTS "${t.name}"`);
    this.db.run(`CREATE TABLE "${t.name}" (${t.columns.map(([c, k]) => `"${c}" ${type[k]}${c === t.key ? ' PRIMARY KEY' : ''}`).join(', ')})`);
    const stmt = this.db.prepare(`INSERT INTO "${t.name}" VALUES (${t.columns.map(() => '?').join(', ')})`);
    let n = 0;
    try {
      this.db.run('BEGIN');
      for await (const batch of batches(rows, BATCH)) {
        for (const r of batch) stmt.run(t.columns.map(([c]) => value(r, c)));
        n += batch.length;
      }
      this.db.run('COMMIT');
    } finally {
      stmt.free();
    }
    this.persist();
    return n;
  }

  async count(table: TableKey): Promise<number> {
    const t = SOURCE_TABLES[table];
    try {
      return Number(this.db.exec(`SELECT count(*) FROM "${t.name}"`)[0]!.values[0]![0]);
    } catch {
      return 0;
    }
  }

  async row(table: TableKey, offset: number): Promise<SourceRecord | null> {
    const t = SOURCE_TABLES[table];
    const res = this.db.exec(`SELECT * FROM "${t.name}" ORDER BY "${t.key}" LIMIT ?, 1`, [offset]);
    if (!res.length || !res[0]!.values.length) return null;
    const { columns, values } = res[0]!;
    return Object.fromEntries(columns.map((c, i) => [c, values[0]![i] as string | number | null]));
  }

  async byKey(table: TableKey, key: number): Promise<SourceRecord | null> {
    const t = SOURCE_TABLES[table];
    const res = this.db.exec(`SELECT * FROM "${t.name}" WHERE "${t.key}" = ?`, [key]);
    if (!res.length || !res[0]!.values.length) return null;
    const { columns, values } = res[0]!;
    return Object.fromEntries(columns.map((c, i) => [c, values[0]![i] as string | number | null]));
  }

  async markGenerated(table: TableKey, keys: number[]): Promise<void> {
    const name = SOURCE_TABLES[table].name;
    this.db.run(`CREATE TABLE IF NOT EXISTS "${GENERATED_TABLE}" ("table_name" TEXT, "key" INTEGER, PRIMARY KEY ("table_name", "key"))`);
    this.db.run('BEGIN');
    this.db.run(`DELETE FROM "${GENERATED_TABLE}" WHERE "table_name" = ?`, [name]);
    const stmt = this.db.prepare(`INSERT INTO "${GENERATED_TABLE}" VALUES (?, ?)`);
    try {
      for (const k of keys) stmt.run([name, k]);
    } finally {
      stmt.free();
    }
    this.db.run('COMMIT');
    this.persist();
  }

  async close(): Promise<void> {
    this.db.close();
  }
}

// ---- MySQL / MariaDB through mysql2

function formatDatetime(v: unknown): unknown {
  if (!(v instanceof Date)) return v;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${v.getUTCFullYear()}-${p(v.getUTCMonth() + 1)}-${p(v.getUTCDate())} ${p(v.getUTCHours())}:${p(v.getUTCMinutes())}:${p(v.getUTCSeconds())}`;
}

export class MysqlSource implements SourceDb {
  private constructor(private readonly pool: Pool, private readonly where: string) {}

  /** url: mysql://user@host:port/database (the password from PINPIPE_SOURCE_PASSWORD or the URL). */
  static async open(url: string, password?: string): Promise<MysqlSource> {
    const mysql = await import('mysql2/promise');
    const u = new URL(url);
    if (u.protocol !== 'mysql:' && u.protocol !== 'mariadb:') {
      throw new PinpipeError('CONFIG_INVALID', `source: ${u.protocol}// is not a MySQL URL (CONFIG_INVALID); expected mysql://user@host:port/database.`);
    }
    const pool = mysql.createPool({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username),
      password: password ?? decodeURIComponent(u.password),
      database: u.pathname.slice(1) || 'pinterest_data',
      timezone: 'Z',
      dateStrings: true,
      connectionLimit: 8,
      ...(u.searchParams.get('socket') ? { socketPath: u.searchParams.get('socket')! } : {}),
    });
    const where = `MySQL ${u.username}@${u.hostname}:${u.port || 3306}/${u.pathname.slice(1) || 'pinterest_data'}`;
    try {
      await pool.query('SELECT 1');
    } catch (e) {
      await pool.end().catch(() => {});
      throw new PinpipeError('IO_FAILED', `source: cannot use ${where} (IO_FAILED): ${e instanceof Error ? e.message : String(e)}. Check the URL and PINPIPE_SOURCE_PASSWORD.`, { cause: e });
    }
    return new MysqlSource(pool, where);
  }

  describe(): string {
    return this.where;
  }

  async load(table: TableKey, rows: AsyncIterable<SourceRecord>): Promise<number> {
    const t = SOURCE_TABLES[table];
    const type = { int: 'INT', text: 'TEXT', double: 'DOUBLE', datetime: 'DATETIME' };
    await this.pool.query(`DROP TABLE IF EXISTS \`${t.name}\``);
    await this.pool.query(`CREATE TABLE \`${t.name}\` (${t.columns.map(([c, k]) => `\`${c}\` ${type[k]}${c === t.key ? ' PRIMARY KEY' : ''}`).join(', ')}) CHARACTER SET utf8mb4`);
    let n = 0;
    for await (const batch of batches(rows, BATCH)) {
      await this.pool.query(`INSERT INTO \`${t.name}\` (${t.columns.map(([c]) => `\`${c}\``).join(', ')}) VALUES ?`, [batch.map((r) => t.columns.map(([c]) => value(r, c)))]);
      n += batch.length;
    }
    return n;
  }

  async count(table: TableKey): Promise<number> {
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT count(*) AS n FROM \`${SOURCE_TABLES[table].name}\``);
    return Number(rows[0]!['n']);
  }

  async row(table: TableKey, offset: number): Promise<SourceRecord | null> {
    const t = SOURCE_TABLES[table];
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT * FROM \`${t.name}\` ORDER BY \`${t.key}\` LIMIT ?, 1`, [offset]);
    if (!rows.length) return null;
    return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, formatDatetime(v) as string | number | null]));
  }

  async byKey(table: TableKey, key: number): Promise<SourceRecord | null> {
    const t = SOURCE_TABLES[table];
    const [rows] = await this.pool.query<RowDataPacket[]>(`SELECT * FROM \`${t.name}\` WHERE \`${t.key}\` = ?`, [key]);
    if (!rows.length) return null;
    return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, formatDatetime(v) as string | number | null]));
  }

  async markGenerated(table: TableKey, keys: number[]): Promise<void> {
    const name = SOURCE_TABLES[table].name;
    await this.pool.query(`CREATE TABLE IF NOT EXISTS \`${GENERATED_TABLE}\` (\`table_name\` VARCHAR(64), \`key\` INT, PRIMARY KEY (\`table_name\`, \`key\`)) CHARACTER SET utf8mb4`);
    await this.pool.query(`DELETE FROM \`${GENERATED_TABLE}\` WHERE \`table_name\` = ?`, [name]);
    for (let i = 0; i < keys.length; i += BATCH) {
      await this.pool.query(`INSERT INTO \`${GENERATED_TABLE}\` (\`table_name\`, \`key\`) VALUES ?`, [keys.slice(i, i + BATCH).map((k) => [name, k])]);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** The source database of the configuration: embedded by default, the project's MariaDB, or a server by URL. */
export async function openSource(config: import('../config/index.ts').Config, log: (l: string) => void): Promise<SourceDb> {
  const s = config.source;
  if (s.engine === 'mysql') return MysqlSource.open(s.url!, config.sourcePassword);
  if (s.engine === 'mariadb') {
    const { ensureMariadb } = await import('../local/mariadb.ts');
    const server = await ensureMariadb(path.join(config.lakeRoot, '_mariadb'), log);
    return MysqlSource.open(server.url, server.password);
  }
  return EmbeddedSource.open(path.join(config.lakeRoot, '_source', 'source.sqlite'));
}
