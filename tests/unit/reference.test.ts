// The reference implementation is itself checked against the hand-worked fixture before it is trusted
// as the oracle for the real rows: against both hand-worked fixtures (hand.json and edges.json).
import { expect } from 'chai';
import { cleanLines, followerCount, runQueries, timestamp } from '../reference/transform.ts';
import { FIXTURES, type TableKey } from '../fixtures/index.ts';

describe('reference implementation of spec/transform.md', () => {
  for (const [name, fixture] of Object.entries(FIXTURES)) {
    for (const table of ['pin', 'geo', 'user'] as TableKey[]) {
      it(`cleans the ${name} fixture's ${table} lines to the hand-checked rows`, () => {
        const out = cleanLines(table, fixture.landed[table]);
        expect(out.rows).to.deep.equal(fixture.expected.tables[table]);
        expect(out.rejected.map((r) => r.reason).sort()).to.deep.equal([...fixture.expected.reject_reasons[table]].sort());
        const report = fixture.expected.reports[table]!;
        expect(out.rowsIn).to.equal(report['rows_in']);
        expect(out.rows.length).to.equal(report['rows_out']);
        expect(out.rejected.length).to.equal(report['rejected']);
      });
    }

    it(`answers the nine queries of the ${name} fixture as worked out by hand`, () => {
      const t = (k: TableKey) => cleanLines(k, fixture.landed[k]).rows;
      expect(runQueries(t('pin'), t('geo'), t('user'))).to.deep.equal(fixture.expected.queries);
    });
  }

  it('converts follower counts exactly, rounding half up', () => {
    expect(followerCount('998')).to.equal(998);
    expect(followerCount('1.2k')).to.equal(1200);
    expect(followerCount('15M')).to.equal(15_000_000);
    expect(followerCount('1.0005k')).to.equal(1001);
    expect(followerCount('0.5')).to.equal(1);
    expect(followerCount('3000M')).to.equal(null);
    expect(followerCount('User Info Error')).to.equal(null);
    expect(followerCount('1,2k')).to.equal(null);
    // Next to the .5 boundary with long fractions, with and without suffixes.
    expect(followerCount('0.4999995')).to.equal(0);
    expect(followerCount('0.0004999995k')).to.equal(0);
    expect(followerCount('0.0000004999999m')).to.equal(0);
    expect(followerCount('1.0000005M')).to.equal(1_000_001);
    expect(followerCount('2147483647.5')).to.equal(null);
  });

  it('parses both datetime forms and refuses impossible dates', () => {
    expect(timestamp('2020-08-28 03:52:47')).to.equal('2020-08-28T03:52:47.000Z');
    expect(timestamp('2020-08-28T03:52:47')).to.equal('2020-08-28T03:52:47.000Z');
    expect(timestamp('2020-02-30 00:00:00')).to.equal(null);
    expect(timestamp('2020-8-28 03:52:47')).to.equal(null);
  });
});
