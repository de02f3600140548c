// Product Information ("Product information": "About this release"): the versions of licd
// and of its parts, as the server reports them, and the server's own facts.
import { h, clear, table } from '../dom.js';
import { t, num, dateTime } from '../i18n.js';
import { get } from '../api.js';
import { pageTitle, section } from '../ui.js';

// The parts an administrator asks about first; every module is in the list below them.
const PARTS = [
  ['github.com/go-chi/chi/v5', 'chi'], ['github.com/cockroachdb/pebble/v2', 'Pebble'],
  ['github.com/asynkron/protoactor-go', 'Proto.Actor'], ['golang.org/x/crypto', 'x/crypto'],
  ['go.uber.org/zap', 'zap'], ['github.com/prometheus/client_golang', 'Prometheus client'],
];

export async function render(root) {
  const srv = await get('/server');
  const v = srv.versions || {};
  const mods = v.modules || {};
  const gib = (b) => num(Math.round((b / 1073741824) * 10) / 10);
  clear(root, pageTitle(t('nav.product')),
    section(t('product.about'),
      h('p', { class: 'lead', id: 'product-version', text: t('product.release', { version: srv.version }) }),
      h('dl', { class: 'facts', id: 'product-versions' },
        h('dt', { text: t('product.go') }), h('dd', { text: v.go || '' }),
        h('dt', { text: t('product.platform') }), h('dd', { text: `${v.os || ''}/${v.arch || ''}` }),
        h('dt', { text: t('product.wire') }), h('dd', { text: String(v.wire_protocol ?? '') }),
        h('dt', { text: t('product.schema') }), h('dd', { text: String(v.usage_schema ?? '') }),
        v['vcs.revision'] ? [h('dt', { text: t('product.revision') }), h('dd', { text: v['vcs.revision'] })] : null,
        PARTS.filter(([p]) => mods[p]).map(([p, name]) => [h('dt', { text: name }), h('dd', { text: mods[p] })])),
      h('details', null, h('summary', { text: t('product.modules', { n: Object.keys(mods).length }) }),
        table(t('product.modulesCaption'), [t('product.module'), t('product.version')],
          Object.keys(mods).sort().map((m) => h('tr', null, h('td', { text: m }), h('td', { text: mods[m] })))))),
    section(t('product.server'),
      h('dl', { class: 'facts' },
        h('dt', { text: t('product.started') }), h('dd', { text: dateTime(srv.started) }),
        h('dt', { text: t('product.installId') }), h('dd', { text: srv.install_id }),
        h('dt', { text: t('product.disk') }), h('dd', { text: srv.data_dir.ok ? t('product.diskOk', { free: gib(srv.data_dir.free_bytes) }) : srv.data_dir.problem }),
        Object.entries(srv.ports).map(([k, p]) => [h('dt', { text: t(`port.${k}`) }), h('dd', { text: String(p) })]))));
}
