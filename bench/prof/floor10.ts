// The least any full refresh at 10M must do: read each table's landed text once, parse it once, write a Delta
// table, the three tables at once as the job runs them. No load, no checks, no cleaning, no dedupe.
import { projectPath } from '../../src/project.ts';
import { loadConfig } from '../../src/config/index.ts';
import { openSpark } from '../../src/local/spark/index.ts';
import { quoteIdentifier } from '../../src/notebook/index.ts';
const rows = Number(process.argv[2] ?? 10000000);
const lake = projectPath('.pinpipe', 'bench', `lake-${rows}`);
const cfg = { ...loadConfig({ lake, env: {}, cwd: projectPath() }), lakeRoot: lake };
const s = await openSpark(lake, cfg.spark, () => {});
const schema: Record<'pin' | 'geo' | 'user', string> = {
  pin: 'index STRING, unique_id STRING, title STRING, description STRING, poster_name STRING, follower_count STRING, tag_list STRING, is_image_or_video STRING, image_src STRING, downloaded STRING, save_location STRING, category STRING',
  geo: 'ind STRING, timestamp STRING, latitude STRING, longitude STRING, country STRING',
  user: 'ind STRING, first_name STRING, last_name STRING, age STRING, date_joined STRING',
};
try {
  for (const mode of ['read', 'parse+write']) {
    const t0 = Date.now();
    await Promise.all((Object.keys(schema) as (keyof typeof schema)[]).map(async (t) => {
      const sch = schema[t];
      const src = `text.${quoteIdentifier(`${lake}/topics/${cfg.names.topic[t]}`)}`;
      const t1 = Date.now();
      if (mode === 'read') await s.client.sql(`SELECT count(*), max(length(value)) FROM ${src}`, {}, { maxRows: 1 });
      else await s.client.sql(`CREATE OR REPLACE TABLE floor_${t} USING DELTA TBLPROPERTIES ('delta.dataSkippingNumIndexedCols' = '1') AS SELECT r.* FROM (SELECT from_json(value, '${sch}') AS r FROM ${src})`, {}, {});
      console.log(`  ${mode} ${t}: ${(Date.now() - t1) / 1000} s`);
    }));
    console.log(`${mode}, three tables at once: ${(Date.now() - t0) / 1000} s`);
  }
  for (const t of Object.keys(schema)) await s.client.sql(`DROP TABLE IF EXISTS floor_${t}`, {}, {});
} finally { await s.stop(); }
