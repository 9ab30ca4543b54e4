// The whole pipeline on this machine, as `npm run pipeline` runs it: real rows in the embedded source
// database, the real broker, the ingestion API, the emulator, the sink and the clean job; the
// reconciliation must be exact, and the cleaned tables hold exactly the acknowledged rows.
import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { openSpark, type SparkSession } from '../../src/local/spark/index.ts';
import { quoteIdentifier } from '../../src/notebook/index.ts';
import { runPipeline } from '../../src/pipeline.ts';
import { originalRowSequence } from '../../src/emulator/pyrandom.ts';
import { REAL_DIR } from '../fixtures/index.ts';

describe('pipeline end to end', function () {
  this.timeout(600_000);
  let lake: string;
  let spark: SparkSession;

  before(async () => {
    lake = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-pipe-'));
    spark = await openSpark(lake, { master: 'local[*]', memory: '2g', shuffle_partitions: 4, start_timeout_seconds: 180 }, () => {});
  });

  after(async () => {
    await spark?.stop();
    rmSync(lake, { recursive: true, force: true });
  });

  it('reconciles exactly: selected = posted = acknowledged = landed, cleaned = the distinct rows posted', async () => {
    const config = loadConfig({ lake, env: {}, cwd: lake });
    const result = await runPipeline(config, { from: REAL_DIR, count: 300, concurrency: 4, batchSize: 1, seed: 100, spark: spark.client, log: () => {} });
    expect(result.exact, JSON.stringify(result.reconciliation)).to.equal(true);
    // The rows posted are the original script's first 300 picks.
    const gen = originalRowSequence(100);
    const picks = new Set(Array.from({ length: 300 }, () => gen.next().value as number));
    for (const r of result.reconciliation) expect(r.cleaned, r.table).to.equal(picks.size);
    const geo = await spark.client.sql('SELECT ind FROM IDENTIFIER(:t) ORDER BY ind', { t: quoteIdentifier(config.names.table.geo) }, { maxRows: 100000 });
    expect(geo.rows.map((r) => r['ind'])).to.deep.equal([...picks].sort((a, b) => a - b));
  });
});
