// The dashboard of the nine queries, one chart each: an AI/BI (Lakeview) dashboard definition for
// Databricks (datasets are the query cells of notebooks/queries.sql with the target's table names), and a
// static HTML page drawing the same charts from local results (`npm run dashboard`).
import type { Config } from '../config/index.ts';
import { jobParameters } from '../job/index.ts';
import { namedParameters, queryCellStatements } from '../notebook/index.ts';
import type { StatementResult } from '../sql/result.ts';

export interface ChartSpec {
  query: string;
  title: string;
  type: 'bar' | 'line';
  x: string;
  y: string;
  /** A series per value of this column (one line or bar colour each). */
  color?: string;
  /** A column shown beside each mark (the category of a bar, the poster of a country). */
  label?: string;
}

export const CHARTS: ChartSpec[] = [
  { query: 'popular_category_by_country', title: 'Most popular category in each country', type: 'bar', x: 'country', y: 'category_count', label: 'category' },
  { query: 'popular_category_by_year', title: 'Most popular category each year, 2018 to 2022', type: 'bar', x: 'post_year', y: 'category_count', label: 'category' },
  { query: 'top_user_by_country', title: 'Most followed poster in each country', type: 'bar', x: 'country', y: 'follower_count', label: 'poster_name' },
  { query: 'top_country_by_user_followers', title: 'Country of the most followed poster', type: 'bar', x: 'country', y: 'follower_count' },
  { query: 'popular_category_by_age_group', title: 'Most popular category per age group', type: 'bar', x: 'age_group', y: 'category_count', label: 'category' },
  { query: 'median_followers_by_age_group', title: 'Median follower count per age group', type: 'bar', x: 'age_group', y: 'median_follower_count' },
  { query: 'users_joined_by_year', title: 'People who joined each year, 2015 to 2020', type: 'line', x: 'post_year', y: 'number_users_joined' },
  { query: 'median_followers_by_join_year', title: 'Median follower count by joining year', type: 'line', x: 'post_year', y: 'median_follower_count' },
  { query: 'median_followers_by_age_group_and_join_year', title: 'Median follower count by age group and joining year', type: 'line', x: 'post_year', y: 'median_follower_count', color: 'age_group' },
];

/**
 * A query cell's statement, unchanged, as a Lakeview dataset: its named parameters (the table names,
 * `IDENTIFIER(:pin_table)`) become dataset parameters whose defaults are the target's names, so the SQL is
 * the notebook's own text and the names follow the configuration.
 */
export function dataset(query: string, title: string, params: Record<string, string>, queriesNotebook?: string): Record<string, unknown> {
  const statements = queryCellStatements(query, queriesNotebook);
  const sql = statements[statements.length - 1]!.trim();
  const parameters = namedParameters(sql).map((name) => {
    const value = params[name];
    if (value === undefined) throw new Error(`dashboard: ${query} uses :${name}, which has no value`);
    return { displayName: name, keyword: name, dataType: 'STRING', defaultSelection: { values: { dataType: 'STRING', values: [{ value }] } } };
  });
  return {
    name: `ds_${query}`,
    displayName: title,
    queryLines: sql.split('\n').map((l, i, all) => (i < all.length - 1 ? `${l}\n` : l)),
    parameters,
  };
}

/** Table names for the dashboard's parameters: the target's, or the default user id's for the committed file. */
export function dashboardParams(config: Config): Record<string, string> {
  return jobParameters(config, config.landingRoot);
}

/**
 * The Lakeview serialized dashboard (the content of a .lvdash.json file). Every field a widget queries is
 * bound to an encoding: x, y, and the colour (the category, poster or age group of each mark), as
 * Lakeview's own exports bind them.
 */
export function lakeviewDashboard(params: Record<string, string>, queriesNotebook?: string): Record<string, unknown> {
  const datasets = CHARTS.map((c) => dataset(c.query, c.title, params, queriesNotebook));
  const layout = CHARTS.map((c, i) => {
    const color = c.color ?? c.label;
    const fields = [c.x, c.y, ...(color ? [color] : [])].map((f) => ({ name: f, expression: `\`${f}\`` }));
    const encodings: Record<string, unknown> = {
      x: { fieldName: c.x, scale: { type: 'categorical' }, displayName: c.x },
      y: { fieldName: c.y, scale: { type: 'quantitative' }, displayName: c.y },
      ...(color ? { color: { fieldName: color, scale: { type: 'categorical' }, displayName: color } } : {}),
    };
    return {
      widget: {
        name: `w_${c.query}`,
        queries: [{ name: 'main_query', query: { datasetName: `ds_${c.query}`, fields, disaggregated: true } }],
        spec: { version: 3, widgetType: c.type, encodings, frame: { showTitle: true, title: c.title } },
      },
      position: { x: (i % 2) * 3, y: Math.floor(i / 2) * 7, width: 3, height: 7 },
    };
  });
  return { datasets, pages: [{ name: 'pinpipe', displayName: 'Pinterest analytics', pageType: 'PAGE_TYPE_CANVAS', layout }] };
}

/** The .lvdash.json file, from the queries notebook as rendered (the build passes it before writing it). */
export function renderLakeviewFile(config: Config, queriesNotebook?: string): string {
  return `${JSON.stringify(lakeviewDashboard(dashboardParams(config), queriesNotebook), null, 2)}\n`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * A self-contained HTML page (no network): the results embedded as JSON, drawn as SVG by an inline script.
 * Each chart's <figure> gets data-rendered="true" and data-marks=<count> once drawn.
 */
export function renderHtml(results: Map<string, StatementResult>, meta: { title: string; generatedAt: string; source: string }): string {
  const data = CHARTS.map((c) => ({ ...c, rows: results.get(c.query)?.rows ?? [] }));
  const json = JSON.stringify(data).replace(/</g, '\\u003c');
  const figures = CHARTS.map((c) => `<figure id="chart-${c.query}" class="chart" data-query="${c.query}"><figcaption>${escapeHtml(c.title)}</figcaption><div class="plot"></div><pre class="sql-name">${c.query}</pre></figure>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(meta.title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 24px; background: #fafafa; color: #222; }
header p { color: #666; }
main { display: grid; grid-template-columns: repeat(auto-fill, minmax(560px, 1fr)); gap: 16px; }
figure { background: #fff; border: 1px solid #ddd; border-radius: 6px; margin: 0; padding: 12px; overflow-x: auto; }
figcaption { font-weight: 600; margin-bottom: 8px; }
.sql-name { color: #999; font-size: 11px; margin: 4px 0 0; }
svg text { font-size: 10px; fill: #444; }
.empty { color: #b00; }
</style>
</head>
<body>
<header><h1>${escapeHtml(meta.title)}</h1><p>${escapeHtml(meta.source)}; generated ${escapeHtml(meta.generatedAt)} by pinpipe (npm run dashboard).</p></header>
<main>
${figures}
</main>
<script id="data" type="application/json">${json}</script>
<script>
(function () {
  var NS = 'http://www.w3.org/2000/svg';
  var COLORS = ['#e60023', '#0076d3', '#00a37a', '#f5a623', '#8e44ad', '#555'];
  function el(name, attrs, text) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (text !== undefined) e.textContent = text;
    return e;
  }
  var charts = JSON.parse(document.getElementById('data').textContent);
  charts.forEach(function (c) {
    var fig = document.getElementById('chart-' + c.query);
    var plot = fig.querySelector('.plot');
    if (!c.rows.length) { plot.innerHTML = '<p class="empty">no rows</p>'; fig.setAttribute('data-rendered', 'true'); fig.setAttribute('data-marks', '0'); return; }
    var xs = [];
    c.rows.forEach(function (r) { var x = String(r[c.x]); if (xs.indexOf(x) < 0) xs.push(x); });
    var series = {};
    c.rows.forEach(function (r) { var s = c.color ? String(r[c.color]) : c.y; (series[s] = series[s] || []).push(r); });
    var max = Math.max.apply(null, c.rows.map(function (r) { return Number(r[c.y]) || 0; })) || 1;
    var band = Math.max(14, Math.min(60, 520 / xs.length));
    var W = 60 + band * xs.length + 20, H = 260, top = 20, bottom = 70, left = 60;
    var svg = el('svg', { width: W, height: H, viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': c.title });
    var y = function (v) { return top + (H - top - bottom) * (1 - v / max); };
    svg.appendChild(el('line', { x1: left, y1: y(0), x2: W - 10, y2: y(0), stroke: '#999' }));
    svg.appendChild(el('text', { x: 4, y: top + 4 }, String(max)));
    svg.appendChild(el('text', { x: 4, y: y(0) }, '0'));
    xs.forEach(function (x, i) {
      svg.appendChild(el('text', { x: left + i * band + band / 2, y: H - bottom + 12, transform: 'rotate(45 ' + (left + i * band + band / 2) + ' ' + (H - bottom + 12) + ')' }, x));
    });
    var marks = 0;
    Object.keys(series).forEach(function (s, si) {
      var color = COLORS[si % COLORS.length];
      var rows = series[s];
      if (c.type === 'bar') {
        rows.forEach(function (r) {
          var i = xs.indexOf(String(r[c.x]));
          var v = Number(r[c.y]) || 0;
          var rect = el('rect', { 'class': 'mark', x: left + i * band + 2, y: y(v), width: band - 4, height: y(0) - y(v), fill: color });
          rect.appendChild(el('title', {}, String(r[c.x]) + (c.label ? ' · ' + r[c.label] : '') + ': ' + v));
          svg.appendChild(rect);
          marks++;
        });
      } else {
        var pts = rows.map(function (r) { return [left + xs.indexOf(String(r[c.x])) * band + band / 2, y(Number(r[c.y]) || 0), r]; });
        svg.appendChild(el('polyline', { points: pts.map(function (p) { return p[0] + ',' + p[1]; }).join(' '), fill: 'none', stroke: color, 'stroke-width': 2 }));
        pts.forEach(function (p) {
          var dot = el('circle', { 'class': 'mark', cx: p[0], cy: p[1], r: 3.5, fill: color });
          dot.appendChild(el('title', {}, (c.color ? s + ' · ' : '') + p[2][c.x] + ': ' + p[2][c.y]));
          svg.appendChild(dot);
          marks++;
        });
        if (c.color) svg.appendChild(el('text', { x: W - 90, y: top + 12 * (si + 1), fill: color }, s));
      }
    });
    plot.appendChild(svg);
    fig.setAttribute('data-rendered', 'true');
    fig.setAttribute('data-marks', String(marks));
  });
  document.body.setAttribute('data-charts-rendered', String(charts.length));
})();
</script>
</body>
</html>
`;
}
