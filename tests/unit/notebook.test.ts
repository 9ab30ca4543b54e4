// Golden check of the generated notebooks (notebooks/ must be what sql/ renders to) and of their form.
import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { localNotebooks } from '../../src/deploy/notebooks.ts';
import { namedParameters, parseNotebook, renderAllNotebooks, splitStatements } from '../../src/notebook/index.ts';
import { streamStatements } from '../../src/notebook/stream.ts';
import { orderKey } from '../../src/notebook/merge-keys.ts';
import { projectPath, readProjectFile } from '../../src/project.ts';

describe('notebooks', () => {
  const rendered = renderAllNotebooks(readProjectFile);

  it('are current: notebooks/ equals what sql/ renders to (run npm run build-notebooks)', () => {
    for (const nb of rendered) expect(readFileSync(projectPath(nb.path), 'utf8'), nb.path).to.equal(nb.content);
  });

  it('render deterministically', () => {
    const again = renderAllNotebooks(readProjectFile);
    expect(again.map((n) => n.content)).to.deep.equal(rendered.map((n) => n.content));
  });

  it('are Databricks notebook sources with markdown before every SQL cell and declared widgets', () => {
    for (const nb of rendered.filter((n) => n.path.endsWith('.sql'))) {
      expect(nb.content.startsWith('-- Databricks notebook source\n')).to.equal(true);
      const cells = parseNotebook(nb.path, nb.content);
      const widgets = new Set(cells.flatMap((c) => c.widgets.map((w) => w.name)));
      cells.forEach((cell, i) => {
        if (cell.kind === 'sql' || cell.kind === 'source') {
          expect(cells[i - 1]!.kind, `${nb.path} cell ${cell.index}`).to.equal('markdown');
          for (const p of namedParameters(cell.text)) expect(widgets.has(p), `${nb.path} :${p}`).to.equal(true);
        }
      });
    }
  });

  it('are deployed with widget defaults from the target: its landing root, topics and tables, and nothing else changed', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-nb-'));
    writeFileSync(path.join(cwd, 'pinpipe.yaml'), 'user_id: a1b2c3d4e5f6\ntargets:\n  dev:\n    kind: databricks\n    catalog: main\n    schema: pinterest\n    access: {bucket: my-landing}\n');
    const config = loadConfig({ cwd, env: {}, target: 'dev' });
    const deployed = localNotebooks(config);
    const pin = deployed.find((n) => n.name === 'clean/pin')!.content.toString('utf8');
    const widgets = parseNotebook('pin', pin).find((c) => c.kind === 'widgets')!.widgets;
    expect(Object.fromEntries(widgets.map((w) => [w.name, w.defaultValue]))).to.deep.equal({
      landing_root: 's3://my-landing', pin_topic: 'a1b2c3d4e5f6.pin',
      pin_table: '`main`.`pinterest`.`a1b2c3d4e5f6_pin_table`', pin_rejects_table: '`main`.`pinterest`.`a1b2c3d4e5f6_pin_rejects`',
      pin_reports_table: '`main`.`pinterest`.`a1b2c3d4e5f6_pin_reports`', pin_bronze_table: '`main`.`pinterest`.`a1b2c3d4e5f6_pin_bronze`',
      pin_changes_table: '`main`.`pinterest`.`a1b2c3d4e5f6_pin_changes`',
      full_refresh: 'false', run_id: 'manual',
    });
    // Every other cell is the committed notebook's.
    const committed = parseNotebook('pin', readFileSync(projectPath('notebooks/clean/pin.sql'), 'utf8'));
    const cells = parseNotebook('pin', pin);
    expect(cells.filter((c) => c.kind !== 'widgets').map((c) => c.text)).to.deep.equal(committed.filter((c) => c.kind !== 'widgets').map((c) => c.text));
    expect(pin.endsWith('\n')).to.equal(true);
  });

  it('streaming notebook: every cleaning statement is, word for word, a statement of the batch notebook of its table', () => {
    const stream = rendered.find((n) => n.name === 'stream/kinesis')!.content;
    expect(stream.startsWith('# Databricks notebook source\n')).to.equal(true);
    const cleaning = stream.slice(stream.indexOf('CLEANING = {'), stream.indexOf('MERGE = {'));
    for (const t of ['pin', 'geo', 'user']) {
      const start = cleaning.indexOf(`    "${t}": [\n`);
      const block = cleaning.slice(start, cleaning.indexOf('\n    ],', start));
      const statements = [...block.matchAll(/r"""([\s\S]*?)"""/g)].map((m) => m[1]!);
      const batch = parseNotebook(`clean/${t}`, readFileSync(projectPath(`notebooks/clean/${t}.sql`), 'utf8')).filter((c) => c.kind === 'sql').flatMap((c) => splitStatements(c.text));
      // The time zone, parse, key check, clean (and, for geo and user, their own steps) and dedupe.
      expect(statements.length, t).to.be.greaterThan(4);
      for (const s of statements) expect(batch, `${t}: ${s.slice(0, 60)}`).to.include(s);
      expect(statements.at(-1)).to.match(new RegExp(`VIEW ${t}_deduplicated AS`));
    }
  });

  it('streaming notebook: the merge compares rows in the dedupe\'s order, NULLs last, and refuses any other order', () => {
    expect(orderKey('a ASC NULLS LAST, c[1] ASC NULLS LAST', 'w', 'f.sql')).to.equal('struct(w.`a` IS NULL, w.`a`, w.`c`[1] IS NULL, w.`c`[1])');
    expect(() => orderKey('a DESC NULLS LAST', 'w', 'f.sql')).to.throw(/f\.sql.*"a DESC NULLS LAST"/);
    expect(() => orderKey('a ASC NULLS FIRST', 'w', 'f.sql')).to.throw(/NOTEBOOK_INVALID/);
    const statements = streamStatements(readProjectFile, ['geo']);
    const merge = statements['geo']!.merge.map((s) => s.sql).join('\n');
    expect(merge).to.include('WHEN MATCHED AND struct(winner.`country` IS NULL, winner.`country`, winner.`coordinates`[0] IS NULL');
    expect(merge).to.include('WHEN struct(winner.`country` IS NULL, winner.`country`, winner.`coordinates`[0] IS NULL');
    // Every column but the key takes part in the order, or copies differing there would be kept by chance.
    const read = (p: string) => p === 'sql/clean/geo.sql' ? readProjectFile(p).replace('coordinates[1] ASC NULLS LAST, ', '').replace(', coordinates[0] ASC NULLS LAST', '') : readProjectFile(p);
    expect(() => streamStatements(read, ['geo'])).to.throw(/leaves out coordinates/);
  });

  it('the batch notebooks compare and merge with the stream\'s very SQL, on the rows they staged and the key range', () => {
    const stream = streamStatements(readProjectFile, ['pin', 'geo', 'user']);
    const comparison = (sql: string) => sql.slice(sql.search(/SELECT\n\s*winner\.\*/), sql.indexOf(' AS held ON held.ind = winner.ind')).replace(/^\s+/gm, '');
    const clauses = (sql: string) => sql.slice(sql.indexOf('ON target.ind = winner.ind'));
    for (const t of ['pin', 'geo', 'user']) {
      const merge = stream[t]!.merge.map((s) => s.sql);
      expect(merge, t).to.have.length(1);
      const batch = parseNotebook(`clean/${t}`, readFileSync(projectPath(`notebooks/clean/${t}.sql`), 'utf8')).filter((c) => c.kind === 'sql').flatMap((c) => splitStatements(c.text));
      const only = (prefix: string) => {
        const found = batch.filter((s) => s.startsWith(prefix));
        expect(found, `${t}: ${prefix}`).to.have.length(1);
        return found[0]!;
      };
      const range = `ind BETWEEN ${t}_first_ind AND ${t}_last_ind`;
      // The comparison: the stream's against the whole table, the batch's against the key range of its rows.
      const staging = batch.filter((s) => s.startsWith(`CREATE OR REPLACE TABLE IDENTIFIER(:${t}_changes_table)`));
      expect(staging, t).to.have.length(2);
      // First every new line, parsed and cleaned once (readable or not), then the winners' comparison with the table.
      expect(staging[0]).to.match(new RegExp(`AS\nSELECT ind, .*, source_file, reject_reason, CASE WHEN reject_reason IS NOT NULL THEN value END AS record\nFROM ${t}_cleaned$`));
      expect(comparison(staging[1]!).replace(`(SELECT * FROM IDENTIFIER(:${t}_table) WHERE ${range})`, `IDENTIFIER(:${t}_table)`)
        .replaceAll("(SELECT * FROM winners WHERE :full_refresh = 'false')", `${t}_deduplicated`)).to.equal(comparison(merge[0]!));
      // The winners are the stream's dedupe, over the staged lines: in the comparison and in a full refresh.
      const dedupe = (sql: string, rows: string) =>
        sql.slice(sql.indexOf('SELECT ind,'), sql.indexOf('WHERE copy_rank = 1')).replace(rows, 'ROWS').replace(/^\s+/gm, '');
      const view = only(`CREATE OR REPLACE TEMPORARY VIEW ${t}_deduplicated AS`);
      expect(dedupe(view, `${t}_cleaned`)).to.include('WHERE reject_reason IS NULL');
      expect(dedupe(staging[1]!, `IDENTIFIER(:${t}_changes_table)`)).to.equal(dedupe(view, `${t}_cleaned`));
      expect(dedupe(only(`SET VAR ${t}_replace_sql`), 'IDENTIFIER(:staged)')).to.equal(dedupe(view, `${t}_cleaned`));
      // The key range is read from the staged lines, with their counts, before the comparison replaces them.
      const counts = only(`SET VAR (${t}_rows_in, ${t}_rejected, ${t}_first_ind, ${t}_last_ind)`);
      expect(counts).to.include(`FROM IDENTIFIER(:${t}_changes_table)`);
      expect(batch.indexOf(counts)).to.be.above(batch.indexOf(staging[0]!)).and.below(batch.indexOf(staging[1]!));
      // The merge: the stream's from its comparison, the batch's from the staged changes, bounded by the range.
      const batchMerge = only(`MERGE INTO IDENTIFIER(:${t}_table)`);
      expect(clauses(batchMerge).replace(` AND target.${range}`, '')).to.equal(clauses(merge[0]!));
      // Its source keeps to the range too: a row another run staged meanwhile is never inserted beside its key's row.
      expect(batchMerge).to.include(`FROM IDENTIFIER(:${t}_changes_table)\n  WHERE merge_action <> 'keep' AND ${range}\n) AS winner`);
      expect(merge[0]).to.include("FROM compared WHERE merge_action <> 'keep'");
      // The merge's counts are read from the compared changes, in the report, after the merge.
      const report = only(`SET VAR ${t}_report =`);
      expect(report).to.include(`FROM IDENTIFIER(:${t}_changes_table)\n  ) AS merged`);
      expect(batch.indexOf(report)).to.be.above(batch.indexOf(batchMerge));
      // The comparison and the merge's condition are the very same structs.
      const winner = /WHEN MATCHED AND (struct\(winner[^)]*\))/.exec(merge[0]!)![1]!;
      expect(merge[0]).to.include(`WHEN ${winner} < struct(held.`);
    }
  });

  it('streaming notebook: deployed with the target\'s streams, checkpoints and trigger as widget defaults', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-nb-'));
    writeFileSync(path.join(cwd, 'pinpipe.yaml'), 'user_id: a1b2c3d4e5f6\ntargets:\n  dev:\n    kind: databricks\n    catalog: main\n    schema: pinterest\n    access: {bucket: my-landing}\n');
    const config = loadConfig({ cwd, env: {}, target: 'dev' });
    const text = localNotebooks(config).find((n) => n.name === 'stream/kinesis')!.content.toString('utf8');
    const widget = (name: string) => JSON.parse(new RegExp(`^dbutils\\.widgets\\.text\\("${name}", (".*")\\)$`, 'm').exec(text)![1]!) as string;
    expect(widget('pin_stream')).to.equal('streaming-a1b2c3d4e5f6-pin');
    expect(widget('user_table')).to.equal('`main`.`pinterest`.`a1b2c3d4e5f6_user_table`');
    expect(widget('checkpoint_root')).to.equal('s3://my-landing/_checkpoints/stream');
    // Serverless compute runs streams with availableNow only.
    expect(widget('trigger')).to.equal('available_now');
    expect(widget('endpoint')).to.equal('');
    const committed = readFileSync(projectPath('notebooks/stream/kinesis.py'), 'utf8');
    const strip = (s: string) => s.split('\n').filter((l) => !l.startsWith('dbutils.widgets.text(')).join('\n');
    expect(strip(text)).to.equal(strip(committed));
  });

  it('holds one cell per query, named as in spec/transform.md', () => {
    const queries = rendered.find((n) => n.name === 'queries')!;
    const names = parseNotebook(queries.path, queries.content).filter((c) => c.resultName).map((c) => c.resultName);
    expect(names).to.have.length(9);
  });
});

describe('sql lexer', () => {
  it('splits statements outside strings, identifiers and comments', () => {
    const sql = "SELECT ';' AS a; -- c;\nSELECT `x;y` FROM t /* ; */;\n SELECT 'it\\'s;'";
    expect(splitStatements(sql)).to.have.length(3);
  });
  it('finds named parameters but not casts, strings or comments', () => {
    expect(namedParameters("SELECT :a, x::int, ':b', `:c` -- :d\nFROM IDENTIFIER(:t)")).to.deep.equal(['a', 't']);
  });
});
