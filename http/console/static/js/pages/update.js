// Update Licenses ("Update licenses"): "Check for Available Renewals", the Customer Success
// Services renewal licenses available with "Download and Install", and those installed in
// the last 30 days. The renewal action itself is in Settings > Server Configuration.
import { h, clear, table } from '../dom.js';
import { t, num, dateTime } from '../i18n.js';
import { get, post, ApiError } from '../api.js';
import { busy, pageTitle, section, serverInfo } from '../ui.js';

export async function render(root, ctx) {
  const avail = h('div', { id: 'renewals-available' });
  const installed = h('div', { id: 'renewals-installed' });
  const status = h('p', { class: 'muted', id: 'renewals-status' });
  const out = h('div', { class: 'out', 'aria-live': 'polite' });
  const check = h('button', { type: 'button', class: 'primary', id: 'renewals-check', text: t('update.check') });

  async function show(st) {
    status.textContent = t('update.status', { action: t(`renewal.${st.action}`), last: st.last_check ? dateTime(st.last_check) : t('common.never'),
      next: st.next_check ? dateTime(st.next_check) : t('common.never') });
    clear(avail, st.available.length === 0 ? h('p', { text: t('update.noneAvailable') }) : table(t('update.availableTitle'),
      [t('update.product'), t('update.quantity'), t('update.css'), t('install.action')],
      st.available.map((o) => {
        const o2 = h('div', { class: 'out', 'aria-live': 'polite' });
        const go = h('button', { type: 'button', class: 'primary renewal-install', text: t('update.install'), onclick: () => busy(go, o2, async () => {
          await post(`/renewals/${encodeURIComponent(o.sn)}/install`);
          ctx.refreshAlerts();
          await show(await get('/renewals'));
        }) });
        return h('tr', { 'data-feature': o.feature }, h('th', { scope: 'row', text: o.feature }), h('td', { class: 'num', text: num(o.quantity) }),
          h('td', { text: o.installed_css ? `${o.installed_css} → ${o.css}` : o.css }), h('td', null, go, o2));
      })));
    clear(installed, st.installed.length === 0 ? h('p', { text: t('update.noneInstalled') }) : table(t('update.installedTitle'),
      [t('update.product'), t('update.css'), t('update.file'), t('update.when')],
      st.installed.map((r) => h('tr', { 'data-feature': r.feature }, h('th', { scope: 'row', text: r.feature }),
        h('td', { text: r.was ? `${r.was} → ${r.css}` : r.css }), h('td', { text: r.file }), h('td', { text: dateTime(r.at) })))));
  }

  check.addEventListener('click', () => busy(check, out, async () => {
    try {
      await show(await post('/renewals/check'));
      ctx.toast(t('update.checked'));
    } catch (err) {
      if (err instanceof ApiError && err.problem.errors && err.problem.errors.reason === 'not-configured') {
        clear(out, h('p', { class: 'notice', id: 'renewals-not-configured', text: t('update.notConfigured') }));
        return;
      }
      throw err;
    }
  }));

  clear(root, pageTitle(t('nav.update')),
    section(t('server.info'), serverInfo(ctx.server)),
    section(t('update.availableTitle'), h('div', { class: 'row' }, status, check), out, avail),
    section(t('update.installedTitle'), installed));
  await show(await get('/renewals'));
}
