// Historical Use ("Historical Use", "Export historical usage data"): the filters of the
// export (Product & Edition, Model, Customer Success Services date, start and end date),
// Export to a CSV file (the API's daily CSV, downloaded as it is), the retention with
// "Change", and a chart of licenses in use against installed and overdraft in use over the
// chosen range.
import { h, s, clear, field, uid } from '../dom.js';
import { t, num, date } from '../i18n.js';
import { get, query } from '../api.js';
import { errorBox, pageTitle, section, modelName } from '../ui.js';
import { retentionBlock } from '../retention.js';

const DAY = 86400000;

function iso(d) { return d.toISOString().slice(0, 10); }

export async function render(root) {
  const inv = await get('/inventory');
  const pes = new Map();
  const models = new Map();
  const csss = new Set();
  for (const p of inv.products) {
    const pe = p.product && p.edition ? `${p.product}_${p.edition}` : p.feature;
    if (!pes.has(pe)) pes.set(pe, p.name || pe);
    if (p.model) models.set(p.model, modelName(p.model));
    for (const pl of p.pools) csss.add(pl.css_date);
  }
  const option = (v, text) => h('option', { value: v, text });
  const pe = h('select', { id: 'hist-pe', name: 'product_edition' }, option('', t('history.all')), [...pes].map(([v, n]) => option(v, n === v ? v : `${n} (${v})`)));
  const model = h('select', { id: 'hist-model', name: 'model' }, option('', t('history.all')), [...models].map(([v, n]) => option(v, n)));
  const css = h('select', { id: 'hist-css', name: 'css' }, option('', t('history.all')), [...csss].sort().map((v) => option(v, v)));
  const today = new Date();
  const from = h('input', { id: 'hist-from', type: 'date', name: 'from', value: iso(new Date(today.getTime() - 30 * DAY)) });
  const to = h('input', { id: 'hist-to', type: 'date', name: 'to', value: iso(today) });
  const exportLink = h('a', { id: 'hist-export', class: 'button primary', download: 'licd-history.csv', text: t('history.export') });
  const chart = h('figure', { class: 'chart', id: 'hist-chart' });
  const out = h('div', { class: 'out', 'aria-live': 'polite' });

  const filters = () => ({ product_edition: pe.value, model: model.value, css: css.value, from: from.value, to: to.value });
  async function update() {
    exportLink.href = `/api/v1/history/export.csv${query(filters())}`;
    clear(out);
    const f = filters();
    const span = (Date.parse(f.to || iso(today)) - Date.parse(f.from || iso(today))) + DAY;
    const step = span <= DAY ? '' : `${Math.ceil(span / 300 / 60000)}m`;
    try {
      const series = await get(`/history/series${query({ ...f, step })}`);
      drawChart(chart, series);
    } catch (err) {
      clear(chart);
      clear(out, errorBox(err));
    }
  }
  for (const el of [pe, model, css, from, to]) el.addEventListener('change', update);

  clear(root, pageTitle(t('nav.history')),
    section(t('history.filtersTitle'),
      h('p', { text: t('history.intro') }),
      h('form', { class: 'filters', id: 'hist-filters', onsubmit: (ev) => { ev.preventDefault(); update(); } },
        field(t('history.productEdition'), pe), field(t('history.model'), model),
        field(t('history.css'), css, t('history.cssNote')),
        field(t('history.from'), from), field(t('history.to'), to),
        h('div', { class: 'actions' }, h('button', { type: 'submit', id: 'hist-show', text: t('history.show') }), exportLink)),
      out),
    section(t('history.chartTitle'), chart),
    section(t('history.retentionTitle'), await retentionBlock()));
  await update();
}

// drawChart sums the matching pools at each instant and draws in use, installed and
// overdraft in use as lines (SVG, styled by the console's stylesheet).
function drawChart(fig, series) {
  const at = new Map();
  for (const pool of series.pools) {
    for (const p of pool.points) {
      const k = Date.parse(p.time);
      const v = at.get(k) || { inUse: 0, installed: 0, overdraft: 0 };
      v.inUse += Math.max(p.inUse, p.peak || 0);
      v.installed += p.installed;
      v.overdraft += p.overdraftInUse;
      at.set(k, v);
    }
  }
  const pts = [...at].sort((a, b) => a[0] - b[0]);
  const captionId = uid('cap');
  if (pts.length === 0) {
    clear(fig, h('p', { class: 'empty', id: 'hist-empty', text: t('history.noData') }));
    return;
  }
  const W = 800, H = 280, L = 60, R = 12, T = 12, B = 40;
  const t0 = pts[0][0], t1 = Math.max(pts[pts.length - 1][0], t0 + 1);
  const ymax = Math.max(1, ...pts.map(([, v]) => Math.max(v.installed, v.inUse))) * 1.1;
  const x = (tm) => L + ((tm - t0) / (t1 - t0)) * (W - L - R);
  const y = (v) => T + (1 - v / ymax) * (H - T - B);
  const line = (key, cls) => s('polyline', { class: `line ${cls}`, points: pts.map(([tm, v]) => `${x(tm).toFixed(1)},${y(v[key]).toFixed(1)}`).join(' ') });
  const yticks = [0, 0.25, 0.5, 0.75, 1].map((f) => Math.round(f * ymax / 1.1));
  const xticks = [0, 0.5, 1].map((f) => t0 + f * (t1 - t0));
  const last = pts[pts.length - 1][1];
  const summary = t('history.chartSummary', { n: num(pts.length), inUse: num(last.inUse), installed: num(last.installed), overdraft: num(last.overdraft) });
  clear(fig,
    s('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-labelledby': captionId, class: 'chart-svg' },
      yticks.map((v) => [s('line', { class: 'grid', x1: L, x2: W - R, y1: y(v), y2: y(v) }),
        s('text', { class: 'tick', x: L - 6, y: y(v) + 4, 'text-anchor': 'end' }, num(v))]),
      xticks.map((tm, i) => s('text', { class: 'tick', x: x(tm), y: H - B + 18, 'text-anchor': ['start', 'middle', 'end'][i] }, date(new Date(tm).toISOString()))),
      line('installed', 'installed'), line('inUse', 'inuse'), line('overdraft', 'overdraft'),
      pts.length === 1 ? s('circle', { class: 'dot inuse', cx: x(pts[0][0]), cy: y(pts[0][1].inUse), r: 4 }) : null),
    h('figcaption', { id: captionId },
      h('ul', { class: 'legend' },
        h('li', { class: 'inuse', text: t('history.inUse') }),
        h('li', { class: 'installed', text: t('history.installed') }),
        h('li', { class: 'overdraft', text: t('history.overdraft') })),
      h('p', { class: 'muted', id: 'hist-summary', text: summary })));
}
