// Dashboard ("Dashboard and Historical Use" > "Dashboard"): per product-edition and model,
// IN USE/INSTALLED and AVAILABLE n (x%); each row opens to its licenses (pools): CSS date,
// total installed, overdraft, in use, available, expiration date, type. It refreshes by
// itself every 30 seconds, keeping the rows that are open.
import { h, clear, icon, table } from '../dom.js';
import { t, num, pct, date, time, has } from '../i18n.js';
import { get } from '../api.js';
import { errorBox, pageTitle, modelName, productName } from '../ui.js';

const REFRESH_MS = 30000;

export async function render(root, ctx) {
  const open = new Set();
  const body = h('div', { class: 'usage', id: 'usage' });
  const stamp = h('p', { class: 'muted', id: 'usage-updated', 'aria-live': 'off' });
  const refresh = h('button', { type: 'button', id: 'usage-refresh', onclick: () => load(), text: t('dashboard.refresh') });
  clear(root, pageTitle(t('nav.dashboard')),
    h('section', { class: 'card', 'aria-labelledby': 'usage-title' },
      h('div', { class: 'row' }, h('h2', { id: 'usage-title', text: t('dashboard.title') }), refresh),
      stamp, body));

  async function load() {
    let inv;
    try {
      inv = await get('/inventory');
    } catch (err) {
      clear(body, errorBox(err));
      return;
    }
    clear(body, table(t('dashboard.title'),
      [t('dashboard.productEdition'), t('dashboard.model'), t('dashboard.inUseInstalled'), t('dashboard.available'), h('span', { class: 'sr-only', text: t('dashboard.details') })],
      inv.products.flatMap((p) => rows(p, open)), 'grid usage-table'));
    if (inv.products.length === 0) body.append(h('p', { text: t('dashboard.empty') }));
    stamp.textContent = t('dashboard.updated', { time: time(new Date()), seconds: REFRESH_MS / 1000 });
  }

  await load();
  const timer = setInterval(load, REFRESH_MS);
  return () => clearInterval(timer);
}

function rows(p, open) {
  const id = `pools-${p.feature}`;
  const name = productName(p);
  const availPct = p.installed > 0 ? (p.available * 100) / p.installed : 0;
  const expanded = open.has(p.feature);
  const detail = h('tr', { id, class: 'pools', hidden: !expanded },
    h('td', { colspan: '5' }, table(t('dashboard.licensesOf', { name }),
      [t('pool.css'), t('pool.installed'), t('pool.overdraft'), t('pool.inUse'), t('pool.available'), t('pool.expiry'), t('pool.type')],
      p.pools.map((pl) => h('tr', { 'data-pool': pl.id },
        h('td', { text: pl.css_date }),
        h('td', { class: 'num', text: num(pl.installed) }),
        h('td', { class: 'num', text: num(pl.overdraft) }),
        h('td', { class: 'num', text: num(pl.in_use) }),
        h('td', { class: 'num', text: num(pl.available) }),
        h('td', { text: pl.expiry === 'permanent' ? t('pool.permanent') : date(pl.expiry) }),
        h('td', null, poolType(pl.type), pl.burst_active ? h('span', { class: 'tag orange', text: t('pool.burst') }) : null))),
      'grid inner')));
  const button = h('button', { type: 'button', class: 'iconbtn expand', 'aria-expanded': String(expanded), 'aria-controls': id,
    'aria-label': t('dashboard.showLicenses', { name }), onclick: () => {
      const now = detail.hidden;
      detail.hidden = !now;
      button.setAttribute('aria-expanded', String(now));
      if (now) open.add(p.feature); else open.delete(p.feature);
    } }, icon('down'));
  return [
    h('tr', { class: 'product', 'data-feature': p.feature },
      h('th', { scope: 'row' }, h('span', { text: name }), p.name ? h('span', { class: 'muted feature', text: ` ${p.feature}` }) : null),
      h('td', { text: modelName(p.model) }),
      h('td', { class: 'num inuse', text: `${num(p.in_use)}/${num(p.installed)}` }),
      h('td', { class: 'num avail', text: t('dashboard.availableN', { n: num(p.available), pct: pct(availPct) }) }),
      h('td', null, button)),
    detail,
  ];
}

// poolType is the pool's license type (LT=) as the API gives it, translated when the
// catalogue knows it; a pool without one shows a dash, not an empty cell.
function poolType(type) {
  if (!type) return h('span', { class: 'none', 'aria-label': t('pool.noType'), text: '—' });
  const key = `type.${type}`;
  return has(key) ? t(key) : type;
}
