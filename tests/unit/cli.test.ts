// The command line's contract: `--help` of every command lists its flags and the exit codes; flags are typed
// (a bad number is a usage error naming the flag and what is allowed, exit 2); unknown commands and flags
// exit 2. Run in-process, with stdout and stderr captured.
import { expect } from 'chai';
import { main } from '../../src/cli/main.ts';
import { COMMANDS } from '../../src/cli/commands/index.ts';
import { EXIT_CODES } from '../../src/cli/command.ts';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const write = { out: process.stdout.write, err: process.stderr.write };
  process.stdout.write = ((chunk: string | Uint8Array) => { out += String(chunk); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => { err += String(chunk); return true; }) as typeof process.stderr.write;
  try {
    const code = await main(argv, { PINPIPE_CONFIG: undefined } as NodeJS.ProcessEnv);
    return { code, out, err };
  } finally {
    process.stdout.write = write.out;
    process.stderr.write = write.err;
  }
}

describe('command line', () => {
  it('gives every command a --help with its usage, each of its flags and the exit codes', async () => {
    expect(COMMANDS.size).to.be.greaterThan(10);
    for (const [name, cmd] of COMMANDS) {
      const { code, out } = await run([name, '--help']);
      expect(code, name).to.equal(0);
      expect(out, name).to.contain(`pinpipe ${cmd.usage[0]}`);
      for (const flag of Object.keys(cmd.flags)) expect(out, `${name} --${flag}`).to.contain(`--${flag}`);
      expect(out, name).to.contain(EXIT_CODES);
    }
  });

  it('lists the commands with no arguments (exit 2) and with --help (exit 0)', async () => {
    const none = await run([]);
    expect(none.code).to.equal(2);
    for (const name of COMMANDS.keys()) expect(none.err).to.contain(`  ${name}`);
    expect((await run(['--help'])).code).to.equal(0);
  });

  it('refuses an unknown command and an unknown flag with exit 2', async () => {
    const unknown = await run(['no-such-command']);
    expect(unknown.code).to.equal(2);
    expect(unknown.err).to.contain('unknown command "no-such-command"');
    const flag = await run(['query', 'all', '--no-such-flag']);
    expect(flag.code).to.equal(2);
    expect(flag.err).to.contain('--no-such-flag');
  });

  it('types numbers: a bad value is a usage error naming the flag, the value and what is allowed', async () => {
    const cases: [string[], string][] = [
      [['emulate', '--count', 'ten'], '--count ten is not valid (USAGE); expected a whole number of at least 1'],
      [['emulate', '--concurrency', '1000'], '--concurrency 1000 is not valid (USAGE); expected a whole number from 1 to 256'],
      [['emulate', '--rate=-1'], '--rate -1 is not valid (USAGE); expected a number of at least 0'],
      [['api', '--port', '70000'], '--port 70000 is not valid (USAGE); expected a TCP port'],
      [['data', 'land', '--malformed', '2'], '--malformed 2 is not valid (USAGE); expected a number from 0 to 1'],
      [['query', 'all', '--format', 'xml'], '--format xml is not valid (USAGE); expected table, json, csv, arrow'],
      [['sink', '--flush-records', '1.5'], '--flush-records 1.5 is not valid (USAGE); expected a whole number of at least 1'],
    ];
    for (const [argv, message] of cases) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).to.equal(2);
      expect(r.err, argv.join(' ')).to.contain(message);
    }
  });

  it('says what a command with an action expects (exit 2)', async () => {
    const r = await run(['spark', 'sideways']);
    expect(r.code).to.equal(2);
    expect(r.err).to.contain('say start or stop');
    const job = await run(['run-job', 'nope']);
    expect(job.code).to.equal(2);
    expect(job.err).to.contain('name a job: clean, queries');
    const refresh = await run(['run-job', 'queries', '--full-refresh']);
    expect(refresh.code).to.equal(2);
    expect(refresh.err).to.contain('--full-refresh applies to the clean job, not queries');
  });
});
