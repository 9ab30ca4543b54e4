// ensureVenv's bookkeeping, with a stand-in python3 (no PyPI): the venv counts as installed only once pip and the
// afterInstall hook both succeeded, and a pip failure names the requirements file as the repository does.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { PinpipeError } from '../../src/errors.ts';
import { PROJECT_ROOT } from '../../src/project.ts';
import { ensureVenv } from '../../src/local/python/venv.ts';

// `python3 -m venv <home>` lays out a venv whose python "runs pip" by exiting with $FAKE_PIP_EXIT.
const FAKE_PYTHON3 = `#!/bin/sh
if [ "$1" = -m ] && [ "$2" = venv ]; then
  mkdir -p "$3/bin" "$3/lib/python3.12/site-packages"
  printf '#!/bin/sh\\necho "ERROR: no matching distribution" >&2\\nexit \${FAKE_PIP_EXIT:-0}\\n' > "$3/bin/python"
  chmod +x "$3/bin/python"
  exit 0
fi
exit 3
`;

describe('python venv (src/local/python/venv.ts)', () => {
  let dir = '';
  let savedPath: string | undefined;
  const requirements = path.join(PROJECT_ROOT, 'infra', 'requirements.txt');

  before(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-venv-'));
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'bin', 'python3'), FAKE_PYTHON3);
    chmodSync(path.join(dir, 'bin', 'python3'), 0o755);
    savedPath = process.env['PATH'];
    process.env['PATH'] = `${path.join(dir, 'bin')}${path.delimiter}${savedPath ?? ''}`;
  });

  after(() => {
    process.env['PATH'] = savedPath;
    delete process.env['FAKE_PIP_EXIT'];
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs afterInstall before marking the venv installed, and not again once it is', () => {
    const home = path.join(dir, 'ok');
    const seen: boolean[] = [];
    const spec = { home, requirements, what: 'a test', log: () => {}, afterInstall: (h: string) => seen.push(existsSync(path.join(h, 'installed.txt'))) };
    expect(ensureVenv(spec)).to.equal(path.join(home, 'bin', 'python'));
    expect(seen).to.deep.equal([false]);
    expect(existsSync(path.join(home, 'installed.txt'))).to.equal(true);
    ensureVenv(spec);
    expect(seen).to.deep.equal([false]);
  });

  it('installs again after an afterInstall that failed (the venv was never marked installed)', () => {
    const home = path.join(dir, 'hook-failed');
    let calls = 0;
    const failing = { home, requirements, what: 'a test', log: () => {}, afterInstall: () => { calls++; throw new Error('hook failed'); } };
    expect(() => ensureVenv(failing)).to.throw('hook failed');
    expect(existsSync(path.join(home, 'installed.txt'))).to.equal(false);
    ensureVenv({ ...failing, afterInstall: () => { calls++; } });
    expect(calls).to.equal(2);
  });

  it('names the requirements file relative to the repository when pip fails', () => {
    process.env['FAKE_PIP_EXIT'] = '1';
    try {
      ensureVenv({ home: path.join(dir, 'pip-failed'), requirements, what: 'a test', log: () => {} });
      expect.fail('no error');
    } catch (e) {
      expect(e).to.be.instanceOf(PinpipeError);
      expect((e as PinpipeError).code).to.equal('IO_FAILED');
      expect((e as Error).message).to.include('python: pip install -r infra/requirements.txt failed (IO_FAILED)');
      expect((e as Error).message).to.include('no matching distribution');
      expect((e as Error).message).not.to.include(PROJECT_ROOT);
    } finally {
      delete process.env['FAKE_PIP_EXIT'];
    }
  });
});
