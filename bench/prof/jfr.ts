// CPU profile (JFR) of a warm full refresh: a cold one first, then JFR around the warm one.
import { projectPath } from '../../src/project.ts';
import { execFileSync } from 'node:child_process';
import { loadConfig } from '../../src/config/index.ts';
import { openSpark } from '../../src/local/spark/index.ts';
import { runLocalJob } from '../../src/local/batch.ts';
import { JOBS } from '../../jobs/index.ts';
const rows = Number(process.argv[2] ?? 1000000);
const out = process.argv[3] ?? '/tmp/full.jfr';
const lake = projectPath('.pinpipe', 'bench', `lake-${rows}`);
const cfg = { ...loadConfig({ lake, env: {}, cwd: projectPath() }), lakeRoot: lake };
const s = await openSpark(lake, cfg.spark, () => {});
const FULL = { full_refresh: 'true' };
try {
  let t = Date.now();
  await runLocalJob(JOBS['clean']!, cfg, s.client, { skipTasks: ['queries'], params: FULL });
  console.log(`cold ${(Date.now() - t) / 1000} s`);
  if (process.env.JFR !== '0') execFileSync('jcmd', [String(s.pid), 'JFR.start', 'name=p', 'settings=profile', `filename=${out}`]);
  t = Date.now();
  const r = await runLocalJob(JOBS['clean']!, cfg, s.client, { skipTasks: ['queries'], params: FULL });
  console.log(`warm ${(Date.now() - t) / 1000} s`);
  if (process.env.JFR !== '0') execFileSync('jcmd', [String(s.pid), 'JFR.stop', 'name=p']);
  for (const x of r.reports) console.log(JSON.stringify(x));
} finally { await s.stop(); }
