// Python's random, reproduced: the 5,000 rows the original posting script picked with random.seed(100)
// (shared/data/real/seed100_row_sequence.txt, recorded from Python) come out of originalRowSequence().
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { originalRowSequence, PyRandom } from '../../src/emulator/pyrandom.ts';
import { REAL_DIR } from '../fixtures/index.ts';

describe('Python random (MT19937) as the original emulator used it', () => {
  it('gives the original row sequence of random.seed(100) for all 5,000 recorded rows', () => {
    const expected = readFileSync(path.join(REAL_DIR, 'seed100_row_sequence.txt'), 'utf8').split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
    expect(expected).to.have.length(5000);
    const gen = originalRowSequence(100);
    const got = expected.map(() => gen.next().value as number);
    expect(got).to.deep.equal(expected);
  });

  it('stays within randint bounds and differs by seed', () => {
    const a = new PyRandom(1);
    const b = new PyRandom(2);
    const xs = Array.from({ length: 1000 }, () => a.randint(0, 10));
    expect(Math.min(...xs)).to.equal(0);
    expect(Math.max(...xs)).to.equal(10);
    expect(Array.from({ length: 5 }, () => b.randint(0, 1000))).to.not.deep.equal(Array.from({ length: 5 }, () => new PyRandom(1).randint(0, 1000)));
  });
});
