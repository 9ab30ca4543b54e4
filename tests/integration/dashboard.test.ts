// The static dashboard in a real browser: Debian's chromium, headless, loads the page written from the
// hand-checked results and must draw every chart with one mark per result row. The Lakeview definition
// holds one dataset and one chart per query, over columns the queries return.
import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHARTS, dashboardParams, lakeviewDashboard, renderHtml } from '../../src/dashboard/dashboard.ts';
import { loadConfig } from '../../src/config/index.ts';
import { queryCellStatements } from '../../src/notebook/files.ts';
import { QUERY_NAMES } from '../../src/notebook/index.ts';
import { PROJECT_ROOT } from '../../src/project.ts';
import type { StatementResult } from '../../src/sql/result.ts';
import { hand } from '../fixtures/index.ts';

function chromium(): string {
  for (const c of ['chromium', 'chromium-browser', 'google-chrome']) {
    try {
      execFileSync('which', [c], { stdio: 'pipe' });
      return c;
    } catch {
      // try the next name
    }
  }
  throw new Error('chromium is not installed: apt-get install chromium (.ci/run does)');
}

function results(): Map<string, StatementResult> {
  return new Map(Object.entries(hand.expected.queries).map(([name, rows]) => [name, {
    columns: Object.keys(rows[0] ?? {}).map((n) => ({ name: n, type: 'string' })),
    rows, rowCount: rows.length, truncated: false,
  }]));
}

describe('dashboard', function () {
  this.timeout(180_000);
  let dir: string;
  before(() => { dir = mkdtempSync(path.join(os.tmpdir(), 'pinpipe-dash-')); });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('draws every chart with data in headless Chromium', () => {
    const file = path.join(dir, 'index.html');
    writeFileSync(file, renderHtml(results(), { title: 'test', generatedAt: 'now', source: 'hand fixture' }));
    const dom = execFileSync(chromium(), ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${file}`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
    expect(dom).to.include(`data-charts-rendered="${CHARTS.length}"`);
    for (const name of QUERY_NAMES) {
      const m = new RegExp(`<figure id="chart-${name}"[^>]*data-rendered="true"[^>]*data-marks="(\\d+)"`).exec(dom);
      expect(m, `${name} rendered`).to.not.equal(null);
      const rows = hand.expected.queries[name]!.length;
      expect(rows, `${name} has rows in the fixture`).to.be.above(0);
      expect(Number(m![1]), `${name} marks`).to.equal(rows);
      const svg = new RegExp(`<figure id="chart-${name}"[\\s\\S]*?</figure>`).exec(dom)![0];
      expect((svg.match(/class="mark"/g) ?? []).length, `${name} marks in the SVG`).to.equal(rows);
    }
  });

  it('defines one Lakeview dataset and chart per query: the notebook\'s SQL with table parameters, every field bound to an encoding', () => {
    const committed = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'dashboards', 'pinpipe.lvdash.json'), 'utf8')) as ReturnType<typeof lakeviewDashboard>;
    const datasets = committed['datasets'] as { name: string; queryLines: string[]; parameters: { keyword: string; dataType: string; defaultSelection: { values: { values: { value: string }[] } } }[] }[];
    expect(datasets.map((d) => d.name)).to.deep.equal(QUERY_NAMES.map((q) => `ds_${q}`));
    const defaults = loadConfig({ env: {}, cwd: PROJECT_ROOT, lake: '/tmp/unused' }).names.table;
    for (const d of datasets) {
      const name = d.name.replace(/^ds_/, '');
      // The dataset is the query cell's statement as the notebook holds it, its table names as parameters.
      expect(d.queryLines.join(''), d.name).to.equal(queryCellStatements(name).at(-1)!.trim());
      const markers = [...new Set([...d.queryLines.join('').matchAll(/IDENTIFIER\(:([a-z_]+)\)/g)].map((m) => m[1]!))];
      expect(d.parameters.map((p) => p.keyword).sort(), d.name).to.deep.equal(markers.sort());
      for (const p of d.parameters) {
        expect(p.dataType).to.equal('STRING');
        const table = p.keyword.replace(/_table$/, '') as 'pin' | 'geo' | 'user';
        expect(p.defaultSelection.values.values, `${d.name} ${p.keyword}`).to.deep.equal([{ value: `\`${defaults[table]}\`` }]);
      }
    }
    const layout = (committed['pages'] as { layout: { widget: { queries: { query: { datasetName: string; fields: { name: string }[] } }[]; spec: { encodings: Record<string, { fieldName?: string }> } } }[] }[])[0]!.layout;
    expect(layout).to.have.length(QUERY_NAMES.length);
    for (const item of layout) {
      const q = item.widget.queries[0]!.query;
      const name = q.datasetName.replace(/^ds_/, '');
      const columns = Object.keys(hand.expected.queries[name]![0]!);
      const bound = Object.values(item.widget.spec.encodings).map((e) => e.fieldName).filter(Boolean);
      for (const f of q.fields) {
        expect(columns, `${name} field ${f.name}`).to.include(f.name);
        expect(bound, `${name} field ${f.name} bound to an encoding`).to.include(f.name);
      }
      // The "most popular" and "top" charts show what is most popular or on top, not only how much.
      const chart = CHARTS.find((c) => c.query === name)!;
      if (chart.label) expect(item.widget.spec.encodings['color']?.fieldName, name).to.equal(chart.label);
    }
  });

  it('names the configured tables in the dashboard\'s parameters, not the default user id\'s', () => {
    const config = loadConfig({ env: { PINPIPE_USER_ID: 'a1b2c3d4e5f6' }, cwd: '/tmp', lake: '/tmp/unused' });
    const def = lakeviewDashboard(dashboardParams(config)) as { datasets: { queryLines: string[]; parameters: { keyword: string; defaultSelection: { values: { values: { value: string }[] } } }[] }[] };
    const values = def.datasets.flatMap((d) => d.parameters.map((p) => p.defaultSelection.values.values[0]!.value));
    expect(new Set(values)).to.deep.equal(new Set(['`a1b2c3d4e5f6_pin_table`', '`a1b2c3d4e5f6_geo_table`', '`a1b2c3d4e5f6_user_table`']));
    expect(JSON.stringify(def)).to.not.include('0affe4008223');
  });
});
