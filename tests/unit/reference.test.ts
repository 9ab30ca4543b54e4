// The reference implementation is itself checked against the hand-worked fixture before it is trusted
// as the oracle for the real rows.
import { expect } from 'chai';
import { cleanLines, followerCount, runQueries, timestamp } from '../reference/transform.ts';
import { hand, type TableKey } from '../fixtures/index.ts';

describe('reference implementation of spec/transform.md', () => {
  for (const table of ['pin', 'geo', 'user'] as TableKey[]) {
    it(`cleans the hand fixture's ${table} lines to the hand-checked rows`, () => {
      const out = cleanLines(table, hand.landed[table]);
      expect(out.rows).to.deep.equal(hand.expected.tables[table]);
      expect(out.rejected.map((r) => r.reason).sort()).to.deep.equal([...hand.expected.reject_reasons[table]].sort());
      const report = hand.expected.reports[table]!;
      expect(out.rowsIn).to.equal(report['rows_in']);
    });
  }

  it('answers the nine queries of the hand fixture as worked out by hand', () => {
    const t = (k: TableKey) => cleanLines(k, hand.landed[k]).rows;
    expect(runQueries(t('pin'), t('geo'), t('user'))).to.deep.equal(hand.expected.queries);
  });

  it('converts follower counts exactly, rounding half up', () => {
    expect(followerCount('998')).to.equal(998);
    expect(followerCount('1.2k')).to.equal(1200);
    expect(followerCount('15M')).to.equal(15_000_000);
    expect(followerCount('1.0005k')).to.equal(1001);
    expect(followerCount('0.5')).to.equal(1);
    expect(followerCount('3000M')).to.equal(null);
    expect(followerCount('User Info Error')).to.equal(null);
    expect(followerCount('1,2k')).to.equal(null);
  });

  it('parses both datetime forms and refuses impossible dates', () => {
    expect(timestamp('2020-08-28 03:52:47')).to.equal('2020-08-28T03:52:47.000Z');
    expect(timestamp('2020-08-28T03:52:47')).to.equal('2020-08-28T03:52:47.000Z');
    expect(timestamp('2020-02-30 00:00:00')).to.equal(null);
    expect(timestamp('2020-8-28 03:52:47')).to.equal(null);
  });
});
