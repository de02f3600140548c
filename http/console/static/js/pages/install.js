// Install Licenses ("Install licenses"): "Use license access code" asks the configured
// fulfilment service for the code's entitlements and installs a quantity of one ("Display
// Licenses", "Install"); "Use downloaded license file" checks a file first (what each line
// would become: added, updated, pending future start, rejected with its reason), then
// imports it, replacing a file of the same name only when asked, and shows what the server
// made of it. Below, the installed license files with the verdict of every line.
import { h, clear, field, table } from '../dom.js';
import { t, num, date } from '../i18n.js';
import { get, post, del, query, ApiError } from '../api.js';
import { busy, errorBox, pageTitle, section, serverInfo, productName, modelName } from '../ui.js';

export async function render(root, ctx) {
  const codePanel = h('div', { id: 'code-panel' });
  const filePanel = h('div', { id: 'file-panel', hidden: true });
  const files = h('div', { id: 'installed-files' });
  const radio = (value, label, checked) => {
    const input = h('input', { type: 'radio', name: 'method', value, id: `method-${value}`, checked, onchange: () => {
      codePanel.hidden = value !== 'code';
      filePanel.hidden = value !== 'file';
    } });
    return h('label', { class: 'choice', for: input.id }, input, h('span', { text: label }));
  };
  clear(root, pageTitle(t('nav.install')),
    section(t('install.title'),
      h('p', { text: t('install.intro') }),
      h('h3', { text: t('server.info') }), serverInfo(ctx.server),
      h('fieldset', null, h('legend', { text: t('install.method') }),
        radio('code', t('install.useCode'), true), radio('file', t('install.useFile'), false)),
      codePanel, filePanel),
    section(t('install.filesTitle'), files));
  codeForm(codePanel, ctx, () => listFiles(files));
  fileForm(filePanel, ctx, () => listFiles(files));
  await listFiles(files);
}

// ---- Use license access code.

function codeForm(panel, ctx, refreshFiles) {
  const code = h('input', { id: 'access-code', autocomplete: 'off', spellcheck: 'false' });
  const out = h('div', { class: 'out', id: 'code-out', 'aria-live': 'polite' });
  const show = h('button', { type: 'submit', class: 'primary', id: 'code-display', text: t('install.displayLicenses') });
  clear(panel, h('form', { onsubmit: (ev) => {
    ev.preventDefault();
    busy(show, out, async () => {
      try {
        await lookup(code.value.trim(), null);
      } catch (err) {
        if (err instanceof ApiError && err.problem.errors && err.problem.errors.reason === 'not-configured') {
          clear(out, h('p', { class: 'notice', id: 'code-not-configured', text: t('install.notConfigured') }));
          return;
        }
        throw err;
      }
    });
  } }, field(t('install.accessCode'), code, t('install.accessCodeHint')), show), out);

  // lookup shows the code's entitlements as the service counts them now; after an install,
  // with the file it became and the way to the Dashboard.
  async function lookup(c, installed) {
    const ents = await get(`/fulfilment/entitlements${query({ code: c })}`);
    clear(out, installed ? h('p', { class: 'ok', role: 'status', id: 'code-installed' }, t('install.installedFile', { file: installed.file }), ' ',
      h('a', { href: '#/dashboard', text: t('install.toDashboard') })) : null,
    entitlements(ents, ctx, async (res) => {
      ctx.refreshAlerts();
      refreshFiles();
      await lookup(c, res);
    }));
  }
}

function entitlements(ents, ctx, installed) {
  if (!ents.entitlements.length) return h('p', { text: t('install.noEntitlements') });
  return h('div', { class: 'table-wrap' }, table(t('install.entitlements'),
    [t('install.product'), t('install.quantityAvailable'), t('install.alreadyUsed'), t('install.action')],
    ents.entitlements.map((e) => {
      const qty = h('input', { type: 'number', min: '1', max: String(e.available), value: String(e.available), 'aria-label': t('install.quantityOf', { name: e.feature }) });
      const out = h('div', { class: 'out', 'aria-live': 'polite' });
      const go = h('button', { type: 'button', class: 'primary code-install', disabled: e.available < 1, text: t('install.install'), onclick: () => busy(go, out, async () => {
        await installed(await post('/fulfilment/installs', { code: ents.code, entitlement: e.id, quantity: Number(qty.value) }));
      }) });
      return h('tr', { 'data-entitlement': e.id, 'data-feature': e.feature },
        h('th', { scope: 'row' }, h('span', { text: productName(e) }), h('span', { class: 'muted feature', text: ` ${modelName(e.model)} · ${e.css}` })),
        h('td', { class: 'num', text: `${num(e.available)} / ${num(e.quantity)}` }),
        h('td', { class: 'num', text: num(e.allocated) }),
        h('td', null, h('div', { class: 'actions' }, qty, go), out));
    })));
}

// ---- Use downloaded license file.

function fileForm(panel, ctx, refreshFiles) {
  const file = h('input', { type: 'file', id: 'license-file', accept: '.lic' });
  const replace = h('input', { type: 'checkbox', id: 'license-replace' });
  const out = h('div', { class: 'out', id: 'file-out', 'aria-live': 'polite' });
  const check = h('button', { type: 'button', id: 'file-check', text: t('install.check') });
  const imp = h('button', { type: 'submit', class: 'primary', id: 'file-import', text: t('install.import') });
  const form = () => {
    const fd = new FormData();
    fd.append('file', file.files[0]);
    if (replace.checked) fd.append('replace', 'true');
    return fd;
  };
  const need = () => {
    if (file.files.length) return true;
    clear(out, h('div', { class: 'error', role: 'alert', text: t('install.chooseFile') }));
    return false;
  };
  check.addEventListener('click', () => need() && busy(check, out, async () => {
    const [inv, pv] = await Promise.all([get('/inventory'), post('/license-files/preview', form())]);
    clear(out, h('h3', { text: t('install.previewTitle', { file: pv.file }) }),
      pv.exists && !replace.checked ? h('p', { class: 'notice', text: t('install.existsNote') }) : null,
      h('p', { class: pv.installable ? 'ok' : 'error', id: 'preview-verdict', text: t(pv.installable ? 'install.wouldInstall' : 'install.wouldRefuse') }),
      verdicts(pv.lines, inv, 'preview-lines'));
  }));
  file.addEventListener('change', () => clear(out));
  clear(panel, h('form', { id: 'file-form', onsubmit: (ev) => {
    ev.preventDefault();
    if (!need()) return;
    busy(imp, out, async () => {
      const before = await get('/inventory');
      try {
        const res = await post('/license-files', form());
        const after = await get('/inventory');
        clear(out, h('p', { class: 'ok', role: 'status', id: 'import-done' }, t(res.replaced ? 'install.replaced' : 'install.imported', { file: res.file }), ' ',
          h('a', { href: '#/dashboard', text: t('install.toDashboard') })),
        verdicts(res.lines, before, 'import-lines'), installedDetails(res.lines, after));
        file.value = '';
        refreshFiles();
        ctx.refreshAlerts();
      } catch (err) {
        clear(out, errorBox(err));
        if (err instanceof ApiError && Array.isArray(err.problem.errors)) out.append(verdicts(err.problem.errors, before, 'import-lines'));
      }
    });
  } },
  field(t('install.file'), file, t('install.fileHint')),
  h('label', { class: 'choice', for: replace.id }, replace, h('span', { text: t('install.replace') })),
  h('div', { class: 'actions' }, check, imp)), out);
}

// verdict is what a line does to the server: an active line of a feature already
// installed updates it, else adds it; pending starts later; rejected says why.
function verdict(line, inv) {
  if (line.verdict !== 'active') return line.verdict;
  return inv.products.some((p) => p.feature === line.feature) ? 'updated' : 'added';
}

function verdicts(lines, inv, id) {
  return h('div', { class: 'table-wrap', id }, table(t('install.lines'), [t('install.line'), t('install.feature'), t('install.result'), t('install.reason')],
    lines.map((l) => {
      const v = verdict(l, inv);
      return h('tr', { 'data-line': String(l.line), 'data-verdict': v },
        h('td', { class: 'num', text: t('install.lineN', { n: l.line }) }),
        h('td', { text: l.feature || '' }),
        h('td', { class: `verdict-${v}`, text: t(`verdict.${v}`) }),
        h('td', { text: l.reason || '' }));
    })));
}

// installedDetails is the manual's "Installed License Details": the pools of the features
// the file brought, as the server counts them now.
function installedDetails(lines, inv) {
  const features = new Set(lines.filter((l) => l.verdict === 'active' || l.verdict === 'pending').map((l) => l.feature));
  const products = inv.products.filter((p) => features.has(p.feature));
  if (!products.length) return null;
  return [h('h3', { text: t('install.details') }), h('div', { class: 'table-wrap' }, table(t('install.details'),
    [t('install.productType'), t('pool.css'), t('pool.available'), t('pool.expiry')],
    products.flatMap((p) => p.pools.map((pl) => h('tr', { 'data-pool': pl.id },
      h('th', { scope: 'row', text: `${productName(p)} · ${modelName(p.model)}` }),
      h('td', { text: pl.css_date }), h('td', { class: 'num', text: num(pl.available) }),
      h('td', { text: pl.expiry === 'permanent' ? t('pool.permanent') : date(pl.expiry) }))))))];
}

async function listFiles(box) {
  let res;
  try {
    res = await get('/license-files');
  } catch (err) {
    clear(box, errorBox(err));
    return;
  }
  clear(box, h('div', { class: 'table-wrap' }, table(t('install.filesTitle'), [t('install.fileName'), t('install.lines'), t('install.action')],
    res.files.map((f) => {
      const out = h('div', { class: 'out', 'aria-live': 'polite' });
      const protectedFile = f.name === 'citrix_startup.lic';
      const remove = h('button', { type: 'button', class: 'danger', text: t('install.delete'), 'aria-label': t('install.deleteFile', { file: f.name }),
        onclick: () => {
          const sure = h('button', { type: 'button', class: 'danger', text: t('install.deleteConfirm', { file: f.name }), onclick: () => busy(sure, out, async () => {
            await del(`/license-files/${encodeURIComponent(f.name)}`);
            await listFiles(box);
          }) });
          clear(out, sure);
          sure.focus();
        } });
      return h('tr', { 'data-file': f.name },
        h('th', { scope: 'row', text: f.name }),
        h('td', null, f.problem ? h('p', { class: 'error', text: f.problem }) : null,
          h('ul', { class: 'plain' }, f.lines.map((l) => h('li', null,
            h('span', { text: `${t('install.lineN', { n: l.line })} ${l.feature || ''} ` }),
            h('span', { class: `verdict-${l.verdict}`, text: t(`verdict.${l.verdict}`) }),
            l.reason ? h('span', { class: 'muted', text: ` ${l.reason}` }) : null)))),
        h('td', null, protectedFile ? null : remove, out));
    }))));
}
