// Settings ("Settings"): Account (users and groups with their roles, API tokens), Server
// Configuration (ports, proxy, Customer Success Services renewals, License burst mode,
// language, Support Bundle) and Usage and Statistics (data sharing, upload information,
// historical use retention). Every change is one API call; what the server answers is
// shown, in force or pending the next start.
import { h, clear, field, table, uid } from '../dom.js';
import { t, num, dateTime, LANGS, LANG_NAMES, pick, language } from '../i18n.js';
import { get, put, post, patch, del } from '../api.js';
import { busy, pageTitle, section, toast } from '../ui.js';
import { retentionBlock } from '../retention.js';

const SUBS = { account: 'settings.account', server: 'settings.server', usage: 'settings.usage' };

export async function render(root, ctx, sub) {
  const which = SUBS[sub] ? sub : 'account';
  const body = h('div', { id: `settings-${which}` });
  clear(root, pageTitle(t('nav.settings')),
    h('nav', { 'aria-label': t('settings.sections') }, h('ul', { class: 'subtabs' }, Object.entries(SUBS).map(([k, key]) =>
      h('li', null, h('a', { href: `#/settings/${k}`, 'aria-current': k === which ? 'page' : null, text: t(key) }))))),
    body);
  await ({ account, server, usage })[which](body, ctx);
}

const roleName = (r) => t(r === 'admin' ? 'role.admin' : 'role.user');

function roleSelect(value, label) {
  return h('select', { 'aria-label': label }, ['admin', 'user'].map((r) => h('option', { value: r, selected: r === value, text: roleName(r) })));
}

// ---- Account ("Account", "Administrator and User roles"): users and groups in one list
// as the manual draws it (Name, Role, Account type), with add, edit role and remove; then
// the API tokens.

async function account(body, ctx) {
  const list = h('div', { id: 'accounts' });
  const tokens = h('div', { id: 'tokens' });
  clear(body,
    section(t('account.title'), h('p', { text: t('account.intro') }), h('p', { class: 'hint', text: t('account.userRoleNote') }), list, addForm(() => showAccounts(list, ctx))),
    section(t('tokens.title'), h('p', { text: t('tokens.intro') }), tokens, tokenForm(() => showTokens(tokens))));
  await Promise.all([showAccounts(list, ctx), showTokens(tokens)]);
}

async function showAccounts(box, ctx) {
  const [acc, grp] = await Promise.all([get('/accounts'), get('/groups')]);
  const rows = [
    ...acc.accounts.map((a) => ({ ...a, type: 'individual' })),
    ...grp.groups.map((g) => ({ ...g, type: 'group' })),
  ].sort((a, b) => a.name.localeCompare(b.name));
  clear(box, table(t('account.title'), [t('account.name'), t('account.role'), t('account.type'), t('install.action')], rows.map((r) => {
    const out = h('div', { class: 'out', 'aria-live': 'polite' });
    const role = roleSelect(r.role, t('account.roleOf', { name: r.name }));
    const update = h('button', { type: 'button', text: t('account.update'), onclick: () => busy(update, out, async () => {
      if (r.type === 'group') await put(`/groups/${encodeURIComponent(r.name)}`, { role: role.value, members: r.members });
      else await patch(`/accounts/${encodeURIComponent(r.name)}`, { role: role.value });
      toast(t('account.updated', { name: r.name }));
      await showAccounts(box, ctx);
    }) });
    const self = r.type === 'individual' && r.name === ctx.session.account;
    const remove = h('button', { type: 'button', class: 'danger', disabled: self, text: t('account.remove'), 'aria-label': t('account.removeName', { name: r.name }), onclick: () => busy(remove, out, async () => {
      if (r.type === 'group') await del(`/groups/${encodeURIComponent(r.name)}`);
      else await del(`/accounts/${encodeURIComponent(r.name)}`);
      await showAccounts(box, ctx);
    }) });
    const members = r.type === 'group' ? h('button', { type: 'button', class: 'members-edit', text: t('account.editMembers'),
      'aria-label': t('account.membersOf', { name: r.name }), 'aria-expanded': 'false',
      onclick: () => editMembers(r, acc.accounts, out, members, () => showAccounts(box, ctx)) }) : null;
    return h('tr', { 'data-account': r.name },
      h('th', { scope: 'row' }, h('span', { text: r.name }), r.type === 'group' ? h('span', { class: 'muted feature members', text: r.members.length ? ` (${r.members.join(', ')})` : ` (${t('account.noMembers')})` }) : null),
      h('td', null, h('span', { class: `tag ${r.role === 'admin' ? 'red' : 'green'}`, text: roleName(r.role) })),
      h('td', { text: t(r.type === 'group' ? 'account.group' : 'account.individual') }),
      h('td', null, h('div', { class: 'actions' }, role, update, members, remove), out));
  })));
}

// editMembers opens, under a group's row, the accounts to tick as its members (added or
// removed in one PUT of the group, its role kept).
function editMembers(group, accounts, out, button, refresh) {
  const boxes = accounts.map((a) => h('input', { type: 'checkbox', id: uid('member'), 'data-member': a.name, checked: group.members.includes(a.name) }));
  const save = h('button', { type: 'button', class: 'primary members-save', text: t('common.save'), onclick: () => busy(save, result, async () => {
    await put(`/groups/${encodeURIComponent(group.name)}`, { role: group.role, members: boxes.filter((b) => b.checked).map((b) => b.dataset.member) });
    toast(t('account.updated', { name: group.name }));
    await refresh();
  }) });
  const result = h('div', { class: 'out', 'aria-live': 'polite' });
  const close = () => { clear(out); button.setAttribute('aria-expanded', 'false'); button.focus(); };
  clear(out, h('fieldset', { class: 'members-box' }, h('legend', { text: t('account.membersOf', { name: group.name }) }),
    boxes.map((b) => h('label', { class: 'choice', for: b.id }, b, h('span', { text: b.dataset.member }))),
    h('div', { class: 'actions' }, save, h('button', { type: 'button', text: t('common.cancel'), onclick: close })), result));
  button.setAttribute('aria-expanded', 'true');
  if (boxes.length) boxes[0].focus();
}

function addForm(refresh) {
  const kind = h('select', { id: 'add-kind' }, h('option', { value: 'individual', text: t('account.individual') }), h('option', { value: 'group', text: t('account.group') }));
  const name = h('input', { id: 'add-name', autocomplete: 'off' });
  const role = h('select', { id: 'add-role' }, ['user', 'admin'].map((r) => h('option', { value: r, text: roleName(r) })));
  const password = h('input', { id: 'add-password', type: 'password', autocomplete: 'new-password' });
  const members = h('input', { id: 'add-members', autocomplete: 'off' });
  const pwField = field(t('account.password'), password, t('account.passwordHint'));
  const memField = field(t('account.members'), members, t('account.membersHint'));
  memField.hidden = true;
  kind.addEventListener('change', () => { pwField.hidden = kind.value === 'group'; memField.hidden = kind.value !== 'group'; });
  const out = h('div', { class: 'out', 'aria-live': 'polite' });
  const add = h('button', { type: 'submit', class: 'primary', id: 'add-submit', text: t('account.add') });
  return h('form', { id: 'add-account', onsubmit: (ev) => {
    ev.preventDefault();
    busy(add, out, async () => {
      const n = name.value.trim();
      if (kind.value === 'group') {
        await put(`/groups/${encodeURIComponent(n)}`, { role: role.value, members: members.value.split(',').map((m) => m.trim()).filter(Boolean) });
      } else {
        await post('/accounts', { name: n, role: role.value, password: password.value });
      }
      toast(t('account.added', { name: n }));
      name.value = ''; password.value = ''; members.value = '';
      await refresh();
    });
  } }, h('h3', { text: t('account.add') }), h('div', { class: 'filters' }, field(t('account.type'), kind), field(t('account.name'), name), field(t('account.role'), role), pwField, memField),
  h('div', { class: 'actions' }, add), out);
}

async function showTokens(box) {
  const res = await get('/tokens');
  clear(box, res.tokens.length === 0 ? h('p', { text: t('tokens.none') }) : table(t('tokens.title'),
    [t('tokens.name'), t('tokens.scope'), t('tokens.owner'), t('tokens.created'), t('install.action')],
    res.tokens.map((tk) => {
      const out = h('div', { class: 'out', 'aria-live': 'polite' });
      const revoke = h('button', { type: 'button', class: 'danger', text: t('tokens.revoke'), 'aria-label': t('tokens.revokeName', { name: tk.name }), onclick: () => busy(revoke, out, async () => {
        await del(`/tokens/${encodeURIComponent(tk.id)}`);
        await showTokens(box);
      }) });
      return h('tr', { 'data-token': tk.id }, h('th', { scope: 'row', text: tk.name }), h('td', { text: t(`tokens.scope.${tk.scope}`) }),
        h('td', { text: tk.owner }), h('td', { text: dateTime(tk.created) }), h('td', null, revoke, out));
    })));
}

function tokenForm(refresh) {
  const name = h('input', { id: 'token-name', autocomplete: 'off' });
  const scope = h('select', { id: 'token-scope' }, ['read', 'admin'].map((s) => h('option', { value: s, text: t(`tokens.scope.${s}`) })));
  const out = h('div', { class: 'out', 'aria-live': 'polite', id: 'token-out' });
  const create = h('button', { type: 'submit', class: 'primary', id: 'token-create', text: t('tokens.create') });
  return h('form', { onsubmit: (ev) => {
    ev.preventDefault();
    busy(create, out, async () => {
      const tk = await post('/tokens', { name: name.value.trim(), scope: scope.value });
      name.value = '';
      await refresh();
      clear(out, h('p', { text: t('tokens.secretOnce') }), h('p', { class: 'secret', id: 'token-secret', text: tk.secret }));
    });
  } }, h('h3', { text: t('tokens.create') }), h('div', { class: 'filters' }, field(t('tokens.name'), name), field(t('tokens.scope'), scope)), h('div', { class: 'actions' }, create), out);
}

// ---- Server Configuration ("Server configuration", "Configure port numbers", "Configure
// a proxy server", "Customer Success Services Renewals", "License burst mode",
// "Language", "Support Bundle").

async function server(body, ctx) {
  const st = (await get('/settings')).settings;
  const save = async (button, out, change) => busy(button, out, async () => {
    await put('/settings', change);
    toast(t('settings.saved'));
  });

  // Ports: applied at the next start (the listeners are not moved under connected products).
  const portOut = h('div', { class: 'out', 'aria-live': 'polite' });
  const ports = [['lm_port', 'port.license_manager'], ['vendor_port', 'port.vendor_daemon'], ['api_port', 'port.web_services']].map(([k, key]) => {
    const input = h('input', { type: 'number', id: `set-${k}`, min: '-1', max: '65535', value: String(st[k].value) });
    const running = st[k].running !== undefined ? t('settings.running', { port: st[k].running }) : '';
    return { k, row: h('tr', null, h('th', { scope: 'row' }, h('label', { for: input.id, text: t(key) })), h('td', null, input), h('td', { class: 'muted', text: running })), input };
  });
  const portSave = h('button', { type: 'button', class: 'primary', id: 'ports-save', text: t('common.save') });
  portSave.addEventListener('click', () => save(portSave, portOut, Object.fromEntries(ports.map((p) => [p.k, Number(p.input.value)]))));

  // Proxy.
  const proxyBox = h('div', { id: 'proxy' });
  let proxy = st.proxy.value;
  const showProxy = () => {
    const edit = h('button', { type: 'button', id: 'proxy-edit', text: t('common.edit'), onclick: () => {
      const input = h('input', { id: 'proxy-input', value: proxy, placeholder: 'http://proxy.example.com:8080' });
      const out = h('div', { class: 'out', 'aria-live': 'polite' });
      const ok = h('button', { type: 'button', class: 'primary', id: 'proxy-save', text: t('common.save'), onclick: () => busy(ok, out, async () => {
        let v = input.value.trim();
        if (v && !/^https?:\/\//.test(v)) v = `http://${v}`;
        await put('/settings', { proxy: v });
        proxy = (await get('/settings')).settings.proxy.value;
        showProxy();
        toast(t('settings.saved'));
      }) });
      clear(proxyBox, field(t('proxy.label'), input, t('proxy.hint')), h('div', { class: 'actions' }, ok, h('button', { type: 'button', onclick: showProxy, text: t('common.cancel') })), out);
      input.focus();
    } });
    clear(proxyBox, h('p', { id: 'proxy-text', text: proxy ? t('proxy.configured', { proxy }) : t('proxy.none') }), edit);
  };
  showProxy();

  // Renewals.
  const renOut = h('div', { class: 'out', 'aria-live': 'polite' });
  const renewal = h('fieldset', { id: 'renewal-action' }, h('legend', { text: t('renewal.title') }),
    ['notify', 'auto', 'manual'].map((v) => {
      const input = h('input', { type: 'radio', name: 'renewal', value: v, id: `renewal-${v}`, checked: st.renewal_action.value === v,
        onchange: () => save(input, renOut, { renewal_action: v }) });
      return h('label', { class: 'choice', for: input.id }, input, h('span', { text: t(`renewal.${v}.long`) }));
    }), renOut);

  // License burst mode.
  const burstOut = h('div', { class: 'out', 'aria-live': 'polite' });
  const burst = h('input', { type: 'checkbox', id: 'burst-mode', checked: st.burst_mode.value === true });
  burst.addEventListener('change', () => save(burst, burstOut, { burst_mode: burst.checked }));

  // Language: for every console user.
  const langOut = h('div', { class: 'out', 'aria-live': 'polite' });
  const lang = h('select', { id: 'console-language' }, LANGS.map((l) => h('option', { value: l, lang: l, selected: l === (pick(st.console_language.value) || language()), text: LANG_NAMES[l] })));
  lang.addEventListener('change', () => busy(lang, langOut, () => ctx.setLanguage(lang.value)));

  // Support bundle.
  const sbOut = h('div', { class: 'out', 'aria-live': 'polite', id: 'bundle-out' });
  const sb = h('button', { type: 'button', class: 'primary', id: 'bundle-generate', text: t('bundle.generate') });
  sb.addEventListener('click', () => busy(sb, sbOut, async () => {
    const b = await post('/support-bundles');
    const link = h('a', { href: `/api/v1/support-bundles/${encodeURIComponent(b.name)}`, download: b.name, id: 'bundle-link', text: t('bundle.download', { name: b.name, size: num(b.size) }) });
    clear(sbOut, h('p', { class: 'ok', role: 'status' }, link));
    link.click();
  }));

  clear(body,
    section(t('ports.title'), h('p', { class: 'hint', text: t('ports.nextStart') }),
      table(t('ports.title'), [t('ports.port'), t('ports.configured'), t('ports.inUse')], ports.map((p) => p.row)),
      h('div', { class: 'actions' }, portSave), portOut),
    section(t('proxy.title'), proxyBox),
    section(t('renewal.title'), renewal),
    section(t('burst.title'), h('label', { class: 'choice', for: burst.id }, burst, h('span', { text: t('burst.label') })), h('p', { class: 'hint', text: t('burst.hint') }), burstOut),
    section(t('settings.language'), h('p', { text: t('language.intro') }), field(t('settings.language'), lang), langOut),
    section(t('bundle.title'), h('p', { text: t('bundle.intro') }), sb, sbOut));
}

// ---- Usage and Statistics ("Usage and statistics", "Share usage statistics", "Upload
// information", "Historical Use").

async function usage(body) {
  const [st, tel] = await Promise.all([get('/settings'), get('/telemetry')]);
  const out = h('div', { class: 'out', 'aria-live': 'polite' });
  const choice = h('fieldset', { id: 'data-sharing' }, h('legend', { text: t('sharing.title') }),
    ['callhome', 'ceip', 'none'].map((v) => {
      const input = h('input', { type: 'radio', name: 'sharing', value: v, id: `sharing-${v}`, checked: st.settings.data_sharing_program.value === v,
        onchange: () => busy(input, out, async () => {
          await put('/settings', { data_sharing_program: v });
          toast(t('settings.saved'));
        }) });
      return h('label', { class: 'choice', for: input.id }, input, h('span', { text: t(`sharing.${v}`) }));
    }), h('p', { class: 'hint', text: t('sharing.telemetry') }), out);
  const upOut = h('div', { class: 'out', 'aria-live': 'polite', id: 'upload-out' });
  const status = h('div', { id: 'upload-status' });
  const now = h('button', { type: 'button', class: 'primary', id: 'upload-now', text: t('upload.now') });
  now.addEventListener('click', () => busy(now, upOut, async () => {
    const rep = await post('/telemetry/upload');
    clear(upOut, h('p', { class: rep.sent ? 'ok' : 'notice', role: 'status', text: rep.sent ? t('upload.sent') : t('upload.notSent', { why: rep.why || '' }) }));
    uploadStatus(status, await get('/telemetry'));
  }));
  uploadStatus(status, tel);
  clear(body,
    section(t('sharing.title'), choice),
    section(t('upload.title'), h('p', { text: t('upload.intro') }), status, now, upOut),
    section(t('history.retentionTitle'), await retentionBlock()));
}

// uploadStatus is "Upload information": the last successful upload, the last attempt's
// result (when, manual or automatic, how many bundles to where, or why it failed) and what
// is sent at all, as GET /api/v1/telemetry tells them.
function uploadStatus(box, tel) {
  const r = tel.lastResult;
  clear(box,
    h('p', { id: 'upload-last', text: t('upload.last', { when: tel.lastSuccess ? dateTime(tel.lastSuccess) : t('upload.notAvailable') }) }),
    r ? h('p', { id: 'upload-result', class: r.ok ? 'ok' : 'error', 'data-ok': String(r.ok),
      text: r.ok ? t('upload.resultOk', { when: dateTime(r.time), type: t(`upload.type.${r.uploadType === 'Manual' ? 'manual' : 'auto'}`), count: num((r.bundles || []).length), endpoint: r.endpoint || '' })
        : t('upload.failed', { message: r.message || r.code }) }) : null,
    h('p', { class: 'muted', text: tel.why }));
}
