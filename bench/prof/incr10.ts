// A quiet incremental run at 10M: +1% new keys in new files (a fresh offset and key range each time), after a
// catch-up run that warms the JVM; prints the reports (so the new lines are seen to be new) and the time.
import { projectPath } from '../../src/project.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openSpark } from '../../src/local/spark/index.ts';
import { runLocalJob } from '../../src/local/batch.ts';
import { landIncrement } from '../../src/bench/batch.ts';
import { JOBS } from '../../jobs/index.ts';
const rows = Number(process.argv[2] ?? 10000000);
const lake = projectPath('.pinpipe', 'bench', `lake-${rows}`);
const cfg = { ...loadConfig({ lake, env: {}, cwd: projectPath() }), lakeRoot: lake };
const s = await openSpark(lake, cfg.spark, () => {});
try {
  const t0 = Date.now();
  await runLocalJob(JOBS['clean']!, cfg, s.client, { skipTasks: ['queries'] });
  console.log(`catch-up ${(Date.now() - t0) / 1000} s`);
  const stamp = Date.now() % 1_000_000;
  const lines = await landIncrement(cfg, projectPath('.pinpipe', 'bench', `data-${rows}`), rows, rows * 20 + stamp * 100, 9_500_000_000 + stamp * 1000, 20000);
  const t1 = Date.now();
  const r = await runLocalJob(JOBS['clean']!, cfg, s.client, { skipTasks: ['queries'] });
  console.log(`incremental ${(Date.now() - t1) / 1000} s for ${lines} landed lines`);
  for (const x of r.reports) console.log(JSON.stringify(x));
  const t2 = Date.now();
  await runLocalJob(JOBS['clean']!, cfg, s.client, { skipTasks: ['queries'] });
  console.log(`nothing new ${(Date.now() - t2) / 1000} s`);
} finally { await s.stop(); }
