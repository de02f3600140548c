// The historical use retention ("Historical Use": "The default retention period is one
// year. You can view and specify the data retention period by selecting Change"), shown on
// the Historical Use page and in Settings > Usage and Statistics.
import { h, clear, uid } from './dom.js';
import { t, days } from './i18n.js';
import { get, put } from './api.js';
import { busy } from './ui.js';

const CHOICES = [30, 90, 180, 365, 730, 1095].map((d) => `${d * 24}h`);

function label(retention) {
  const hours = parseFloat(retention);
  const d = Math.round(hours / 24);
  if (d === 365) return t('retention.year');
  if (d % 365 === 0) return t('retention.years', { n: d / 365 });
  return days(d);
}

export async function retentionBlock() {
  const box = h('div', { class: 'retention', id: 'retention' });
  const out = h('div', { class: 'out', 'aria-live': 'polite' });
  let current = (await get('/history/retention')).retention;

  function show() {
    const change = h('button', { type: 'button', class: 'link', id: 'retention-change', onclick: edit, text: t('retention.change') });
    clear(box, h('p', null, h('span', { id: 'retention-text', text: t('retention.kept', { period: label(current) }) }), ' ', change), out);
  }

  function edit() {
    const sel = h('select', { id: uid('ret') }, CHOICES.map((c) => h('option', { value: c, text: label(c), selected: parseFloat(c) === parseFloat(current) })));
    if (!CHOICES.some((c) => parseFloat(c) === parseFloat(current))) sel.prepend(h('option', { value: current, text: label(current), selected: true }));
    const save = h('button', { type: 'button', class: 'primary', id: 'retention-save', text: t('common.save'), onclick: () => busy(save, out, async () => {
      current = (await put('/history/retention', { retention: sel.value })).retention;
      show();
    }) });
    clear(box, h('div', { class: 'row' },
      h('label', { for: sel.id, text: t('retention.label') }), sel, save,
      h('button', { type: 'button', onclick: show, text: t('common.cancel') })),
    h('p', { class: 'hint', text: t('retention.warning') }), out);
    sel.focus();
  }

  show();
  return box;
}
