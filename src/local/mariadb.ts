// MariaDB from Debian (apt-get install mariadb-server), run by the project for local runs and tests: its
// own data folder, socket and port on 127.0.0.1, a `pinterest_data` database (the original's name) and a `pinpipe` user whose random
// password is kept beside the data (mode 600), never in a committed file. The server outlives the command
// that started it (like the original RDS instance); `npx pinpipe source stop` stops it.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PinpipeError } from '../errors.ts';
import { allocatePort, portOpen } from './ports.ts';
import { alive, startService, terminate } from './service.ts';

export interface MariadbServer {
  url: string;
  password: string;
  pid: number;
  dataDir: string;
}

/** The executable of this name where Debian's packages put it (mariadbd in /usr/sbin), found without a shell. */
function which(cmd: string): string | null {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const file = path.join(dir, cmd);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** database: the original's name, pinterest_data (a data folder made before it was used keeps `pinterest`). */
interface State { port: number; pid: number; password: string; database?: string }

/** The database the original posting scripts connect to. */
export const SOURCE_DATABASE = 'pinterest_data';

function stateFile(dataDir: string): string {
  return path.join(dataDir, 'pinpipe.json');
}

function readState(dataDir: string): State | null {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as State;
  } catch {
    return null;
  }
}

function server(dataDir: string, s: State): MariadbServer {
  return { url: `mysql://pinpipe@127.0.0.1:${s.port}/${s.database ?? 'pinterest'}`, password: s.password, pid: s.pid, dataDir };
}

/** The MariaDB for this data folder, started (and initialised the first time) when it is not running. */
export async function ensureMariadb(dataDir: string, log: (l: string) => void): Promise<MariadbServer> {
  const dir = path.resolve(dataDir);
  const existing = readState(dir);
  if (existing && alive(existing.pid) && (await portOpen(existing.port))) return server(dir, existing);
  const mariadbd = which('mariadbd');
  const installDb = which('mariadb-install-db');
  if (!mariadbd || !installDb) {
    throw new PinpipeError('SOURCE_UNAVAILABLE', 'source: MariaDB is not installed (SOURCE_UNAVAILABLE). Install it from Debian: apt-get install -y mariadb-server (or use the embedded default, or give a server with source.url).');
  }
  const data = path.join(dir, 'data');
  const user = os.userInfo().username;
  const fresh = !existsSync(path.join(data, 'mysql'));
  mkdirSync(dir, { recursive: true });
  if (fresh) {
    log(`source: initialising MariaDB in ${data}`);
    const init = spawnSync(installDb, ['--no-defaults', `--datadir=${data}`, `--user=${user}`, '--auth-root-authentication-method=normal', '--skip-test-db'], { encoding: 'utf8' });
    if (init.status !== 0) throw new PinpipeError('SOURCE_UNAVAILABLE', `source: mariadb-install-db failed (SOURCE_UNAVAILABLE): ${(init.stderr || init.stdout).split('\n').slice(-5).join('\n')}`);
  }
  const port = existing?.port ?? (await allocatePort());
  // Like the original RDS instance, the server outlives the command that started it (source stop ends it).
  const child = await startService({
    name: 'mariadb',
    command: mariadbd,
    args: [
      '--no-defaults', `--datadir=${data}`, `--socket=${path.join(dir, 'mysqld.sock')}`, `--port=${port}`, '--bind-address=127.0.0.1',
      `--pid-file=${path.join(dir, 'mysqld.pid')}`, `--user=${user}`, '--skip-name-resolve', '--character-set-server=utf8mb4',
      '--innodb-buffer-pool-size=128M', '--innodb-flush-log-at-trx-commit=1',
    ],
    ready: { port },
    timeoutMs: 60_000,
    logFile: path.join(dir, 'mariadb.log'),
    detached: true,
    code: 'SOURCE_UNAVAILABLE',
  });
  let password = existing?.password ?? '';
  let database = existing?.database ?? (fresh ? SOURCE_DATABASE : 'pinterest');
  if (fresh || !password) {
    database = fresh ? SOURCE_DATABASE : database;
    password = randomBytes(18).toString('base64url');
    const mysql = await import('mysql2/promise');
    const root = await mysql.createConnection({ socketPath: path.join(dir, 'mysqld.sock'), user: 'root' });
    await root.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4`);
    await root.query('CREATE USER IF NOT EXISTS ?@? IDENTIFIED BY ?', ['pinpipe', '127.0.0.1', password]);
    await root.query('ALTER USER ?@? IDENTIFIED BY ?', ['pinpipe', '127.0.0.1', password]);
    await root.query(`GRANT ALL ON \`${database}\`.* TO ?@?`, ['pinpipe', '127.0.0.1']);
    await root.end();
  }
  const state: State = { port, pid: child.pid, password, database };
  writeFileSync(stateFile(dir), JSON.stringify(state), { mode: 0o600 });
  chmodSync(stateFile(dir), 0o600);
  log(`source: MariaDB ${fresh ? 'initialised and ' : ''}running on 127.0.0.1:${port} (pid ${child.pid}, data ${data})`);
  return server(dir, state);
}

export async function stopMariadb(dataDir: string, log: (l: string) => void): Promise<void> {
  const dir = path.resolve(dataDir);
  const s = readState(dir);
  if (!s || !alive(s.pid)) {
    log('source: MariaDB is not running');
    return;
  }
  await terminate(s.pid, 60_000);
  rmSync(path.join(dir, 'mysqld.sock'), { force: true });
  log(`source: MariaDB stopped (pid ${s.pid})`);
}
