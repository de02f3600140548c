// The Licensing Manager console ("Citrix Licensing Manager"): log in, then the title bar,
// the tabs (Dashboard, Historical Use, Install Licenses, Update Licenses, Product
// Information) and Settings, each page a module of ./pages loaded when first shown.
import { h, clear, icon, uid } from './dom.js';
import { t, guess, setLanguage, language, LANGS, LANG_NAMES, pick, dateTime, date, num, placeholders } from './i18n.js';
import { get, post, put, del, setCSRF, onUnauthenticated, ApiError } from './api.js';
import { toast, errorBox, problemText } from './ui.js';

const main = document.getElementById('main');
const titlebar = document.getElementById('titlebar');
const tabs = document.getElementById('tabs');

// The pages, by route (#/NAME). tab: shown in the tab bar.
const PAGES = {
  dashboard: { key: 'nav.dashboard', tab: true, module: './pages/dashboard.js' },
  history: { key: 'nav.history', tab: true, module: './pages/history.js' },
  install: { key: 'nav.install', tab: true, module: './pages/install.js' },
  update: { key: 'nav.update', tab: true, module: './pages/update.js' },
  product: { key: 'nav.product', tab: true, module: './pages/product.js' },
  settings: { key: 'nav.settings', tab: false, module: './pages/settings.js' },
};

const ctx = {
  session: null,
  server: null,
  toast,
  refreshAlerts: () => refreshAlerts(),
  setLanguage: (l) => changeLanguage(l),
};

let cleanup = null;
let alertTimer = 0;

onUnauthenticated(() => {
  if (ctx.session) showLogin(t('login.ended'));
});

// The skip link moves the focus to the page, past the title bar and the tabs.
document.getElementById('skip').addEventListener('click', (ev) => {
  ev.preventDefault();
  main.focus();
});

boot();

async function boot() {
  await setLanguage(guess());
  document.getElementById('skip').textContent = t('a11y.skip');
  try {
    const si = await get('/session', { quiet401: true });
    await enter(si);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) showLogin();
    else clear(main, errorBox(err));
  }
}

// enter starts the console for a logged-in account, or tells it what it must do first.
async function enter(si) {
  ctx.session = si;
  setCSRF(si.csrf_token);
  if (si.must_change_password) {
    showPasswordChange();
    return;
  }
  if (si.role !== 'admin') {
    showRefused();
    return;
  }
  // The console's language is the server's setting, for every console user ("Language").
  const settings = await get('/settings');
  const lang = pick(settings.settings.console_language.value) || 'en';
  if (lang !== language()) await setLanguage(lang);
  ctx.server = await get('/server');
  ctx.settings = settings.settings;
  renderChrome();
  window.addEventListener('hashchange', route);
  await route();
  refreshAlerts();
  clearInterval(alertTimer);
  alertTimer = setInterval(refreshAlerts, 60000);
  whatsNew();
}

function leave() {
  window.removeEventListener('hashchange', route);
  clearInterval(alertTimer);
  if (cleanup) cleanup();
  cleanup = null;
  ctx.session = null;
  setCSRF('');
  titlebar.hidden = true;
  tabs.hidden = true;
}

// ---- Log in ("Administrator and User roles": a first start has an admin account with a
// one-time password, printed by licd and kept in DATA/initial-admin-password).

function languagePicker(onChange) {
  const sel = h('select', { id: uid('lang'), onchange: async () => { await setLanguage(sel.value); onChange(); } },
    LANGS.map((l) => h('option', { value: l, selected: l === language(), lang: l, text: LANG_NAMES[l] })));
  return h('div', { class: 'field inline' }, h('label', { for: sel.id, text: t('settings.language') }), sel);
}

function showLogin(notice) {
  leave();
  document.title = t('app.name');
  const name = h('input', { id: 'login-name', name: 'name', autocomplete: 'username', required: true });
  const password = h('input', { id: 'login-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const out = h('div', { class: 'out', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'login-submit', text: t('login.submit') });
  const form = h('form', { class: 'login card', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    submit.disabled = true;
    clear(out);
    try {
      const si = await post('/session', { name: name.value.trim(), password: password.value });
      ctx.oneTime = si.must_change_password ? password.value : '';
      await enter(si);
    } catch (err) {
      clear(out, errorBox(err));
      submit.disabled = false;
    }
  } },
  h('h1', { text: t('app.name') }),
  h('h2', { text: t('login.title') }),
  notice ? h('p', { class: 'notice', role: 'status', text: notice }) : null,
  h('div', { class: 'field' }, h('label', { for: name.id, text: t('login.name') }), name),
  h('div', { class: 'field' }, h('label', { for: password.id, text: t('login.password') }), password),
  submit, out,
  h('p', { class: 'hint', text: t('login.firstHint') }),
  languagePicker(() => showLogin(notice)));
  clear(main, form);
  name.focus();
}

function showPasswordChange() {
  titlebar.hidden = true;
  tabs.hidden = true;
  const current = h('input', { id: 'pw-current', type: 'password', autocomplete: 'current-password', value: ctx.oneTime || '' });
  const next = h('input', { id: 'pw-new', type: 'password', autocomplete: 'new-password', minlength: '8', required: true });
  const again = h('input', { id: 'pw-again', type: 'password', autocomplete: 'new-password', required: true });
  const out = h('div', { class: 'out', 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit', class: 'primary', id: 'pw-submit', text: t('password.submit') });
  const form = h('form', { class: 'login card', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    clear(out);
    if (next.value !== again.value) {
      clear(out, h('div', { class: 'error', role: 'alert', text: t('password.mismatch') }));
      return;
    }
    submit.disabled = true;
    try {
      const si = await post('/session/password', { current: current.value, new: next.value });
      ctx.oneTime = '';
      toast(t('password.changed'));
      await enter({ ...si, csrf_token: si.csrf_token || ctx.session.csrf_token });
    } catch (err) {
      clear(out, errorBox(err));
      submit.disabled = false;
    }
  } },
  h('h1', { text: t('password.title') }),
  h('p', { text: t('password.why', { name: ctx.session.account }) }),
  h('div', { class: 'field', hidden: !!ctx.oneTime }, h('label', { for: current.id, text: t('password.current') }), current),
  h('div', { class: 'field' }, h('label', { for: next.id, text: t('password.new') }), next),
  h('div', { class: 'field' }, h('label', { for: again.id, text: t('password.again') }), again),
  submit, out,
  h('button', { type: 'button', class: 'link', onclick: logout, text: t('title.logout') }));
  clear(main, form);
  next.focus();
}

// A User-role account cannot use the console ("User and Group accounts created with a User
// role cannot log into Citrix Licensing Manager"): it is told so, and may log out.
function showRefused() {
  titlebar.hidden = true;
  tabs.hidden = true;
  clear(main, h('section', { class: 'login card', id: 'refused', role: 'alert' },
    h('h1', { text: t('refused.title') }),
    h('p', { text: t('refused.text', { name: ctx.session.account }) }),
    h('button', { type: 'button', class: 'primary', id: 'refused-logout', onclick: logout, text: t('title.logout') })));
}

async function logout() {
  try {
    await del('/session');
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) toast(problemText(err));
  }
  showLogin(t('login.loggedOut'));
}

// ---- The title bar and the tabs.

function renderChrome() {
  const srv = ctx.server;
  document.title = t('app.name');
  document.getElementById('skip').textContent = t('a11y.skip');
  const hostList = h('dl', { class: 'hostinfo' },
    h('dt', { text: t('title.hostname') }), h('dd', { text: srv.hostname }),
    srv.interfaces.filter((i) => i.ethernet || i.ipv4.length).map((i) => [
      h('dt', { text: t('title.interface', { name: i.name }) }),
      h('dd', null, i.ethernet ? h('span', { text: t('title.ethernet', { mac: i.ethernet }) }) : null,
        i.ipv4.length ? h('span', { text: t('title.ipv4', { ip: i.ipv4.join(', ') }) }) : null),
    ]));
  const bellButton = h('button', { type: 'button', id: 'bell', class: 'iconbtn', 'aria-expanded': 'false', 'aria-controls': 'alerts-panel',
    'aria-label': t('title.notifications'), onclick: () => toggleAlerts() }, icon('bell'), h('span', { class: 'badge', id: 'bell-count', hidden: true }));
  const panel = h('div', { id: 'alerts-panel', class: 'popover', role: 'region', 'aria-label': t('title.notifications'), hidden: true });
  clear(titlebar,
    h('div', { class: 'brand' }, h('span', { class: 'product', text: t('app.name') }),
      h('span', { class: 'version', id: 'server-version', text: t('title.version', { version: srv.version }) })),
    h('div', { class: 'tools' },
      h('details', { class: 'host', id: 'host-menu' }, h('summary', { 'aria-label': t('title.hostMenu') }, h('span', { text: srv.hostname }), icon('down')),
        h('div', { class: 'popover' }, hostList)),
      h('div', { class: 'bellwrap' }, bellButton, panel),
      h('a', { href: '#/settings/account', class: 'iconbtn', id: 'settings-link', 'aria-label': t('nav.settings'), title: t('nav.settings') }, icon('gear')),
      h('span', { class: 'hello', id: 'hello', text: t('title.hello', { name: ctx.session.account }) }),
      h('button', { type: 'button', id: 'logout', class: 'link', onclick: logout, text: t('title.logout') })));
  titlebar.hidden = false;
  clear(tabs, h('ul', null, Object.entries(PAGES).filter(([, p]) => p.tab).map(([name, p]) =>
    h('li', null, h('a', { href: `#/${name}`, 'data-page': name, text: t(p.key) })))));
  tabs.setAttribute('aria-label', t('nav.label'));
  tabs.hidden = false;
  document.addEventListener('keydown', closePopovers);
  document.addEventListener('click', clickOutside);
}

function closePopovers(ev) {
  if (ev.key !== 'Escape') return;
  const host = document.getElementById('host-menu');
  if (host && host.open) { host.open = false; host.querySelector('summary').focus(); }
  if (!document.getElementById('alerts-panel')?.hidden) toggleAlerts(false);
}

function clickOutside(ev) {
  const wrap = document.querySelector('.bellwrap');
  if (wrap && !wrap.contains(ev.target) && !document.getElementById('alerts-panel').hidden) toggleAlerts(false);
  const host = document.getElementById('host-menu');
  if (host && host.open && !host.contains(ev.target)) host.open = false;
}

async function route() {
  if (!ctx.session) return;
  const hash = location.hash.replace(/^#\/?/, '');
  if (hash === 'main') return;
  const [name, ...rest] = hash.split('/');
  const page = PAGES[name] ? name : 'dashboard';
  if (!PAGES[name]) {
    history.replaceState(null, '', '#/dashboard');
  }
  for (const a of tabs.querySelectorAll('a')) {
    if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  if (cleanup) cleanup();
  cleanup = null;
  const mod = await import(PAGES[page].module);
  clear(main);
  document.title = `${t(PAGES[page].key)} · ${t('app.name')}`;
  try {
    cleanup = (await mod.render(main, ctx, rest.join('/'))) || null;
  } catch (err) {
    clear(main, errorBox(err));
  }
  const title = main.querySelector('h1');
  if (title && document.activeElement && !titlebar.contains(document.activeElement)) title.focus({ preventScroll: true });
}

async function changeLanguage(l) {
  await put('/settings', { console_language: l });
  await setLanguage(l);
  renderChrome();
  await route();
  refreshAlerts();
}

// ---- The notification bell ("Important notifications of license availability,
// expiration, and other conditions"): the API's alerts; 0-30 days left red, 31-90 orange;
// each links to the page that fixes it.

const FIX = {
  'license-expiring': 'update', 'license-expired': 'install', 'subscription-expiring': 'update', 'css-passed': 'update',
  'overdraft-in-use': 'dashboard', 'burst-active': 'settings/server', 'burst-ended': 'settings/server',
  'license-pending': 'install', 'license-rejected': 'install', 'renewal-available': 'update', 'renewal-installed': 'update',
  'fulfilment-failed': 'install', 'upload-failed': 'settings/usage', 'certificate-expiring': 'product',
};

export function alertColour(a) {
  if (typeof a.daysLeft === 'number') {
    if (a.daysLeft <= 30) return 'red';
    if (a.daysLeft <= 90) return 'orange';
  }
  return { critical: 'red', warning: 'orange' }[a.severity] || 'blue';
}

let alerts = [];

async function refreshAlerts() {
  if (!ctx.session || !ctx.server) return;
  try {
    alerts = (await get('/alerts')).alerts || [];
  } catch (err) {
    return;
  }
  const count = document.getElementById('bell-count');
  if (!count) return;
  count.textContent = String(alerts.length);
  count.hidden = alerts.length === 0;
  const worst = alerts.map(alertColour);
  count.className = `badge ${worst.includes('red') ? 'red' : worst.includes('orange') ? 'orange' : 'blue'}`;
  document.getElementById('bell').setAttribute('aria-label', t('title.notificationsCount', { count: alerts.length }));
  renderAlerts();
}

function renderAlerts() {
  const panel = document.getElementById('alerts-panel');
  if (!panel) return;
  clear(panel, h('h2', { text: t('alerts.title') }),
    alerts.length === 0 ? h('p', { text: t('alerts.none') }) :
      h('ul', { class: 'alerts' }, alerts.map((a) => {
        const title = t(`alert.${a.kind}`, { subject: a.subject, days: a.daysLeft ?? '' });
        const when = a.until ? t('alerts.until', { date: dateTime(a.until) }) : '';
        return h('li', { class: `alert ${alertColour(a)}`, 'data-kind': a.kind },
          h('a', { href: `#/${FIX[a.kind] || 'dashboard'}`, onclick: () => toggleAlerts(false) }, h('strong', { text: title })),
          h('p', { class: 'detail', text: alertBody(a) }),
          when ? h('p', { class: 'when', text: when }) : null);
      })));
}

// alertBody is an alert's sentence in the console's language: its kind's template filled
// with the API's structured fields (subject, days left, since, until; the API's own
// sentence only where the reason exists nowhere else). The API's English message is the
// fallback when the catalogue has no template for the kind or the alert lacks a field the
// template needs.
export function alertBody(a) {
  const key = `alertBody.${a.kind}`;
  const params = { subject: a.subject, message: a.message };
  if (typeof a.daysLeft === 'number') params.days = num(a.daysLeft);
  if (a.until) params.until = date(a.until);
  if (a.since) params.since = date(a.since);
  const need = placeholders(key);
  if (!need.length || need.some((p) => params[p] === undefined || params[p] === '')) return a.message;
  return t(key, params);
}

function toggleAlerts(open) {
  const panel = document.getElementById('alerts-panel');
  const bell = document.getElementById('bell');
  const show = open === undefined ? panel.hidden : open;
  panel.hidden = !show;
  bell.setAttribute('aria-expanded', String(show));
  if (show) {
    renderAlerts();
    const first = panel.querySelector('a');
    if (first) first.focus();
    refreshAlerts();
  }
}

// ---- The "what's new" modal: on the first visit of an account after an upgrade (the
// server's version differs from the one it last saw, remembered in this browser), what is
// new, and what is available but off, with a way to turn it on.

function whatsNew() {
  const key = `licd.whatsnew.${ctx.session.account}`;
  if (localStorage.getItem(key) === ctx.server.version) return;
  const dlg = document.getElementById('whatsnew');
  const off = [];
  if (ctx.settings.burst_mode && ctx.settings.burst_mode.value === false) {
    const b = h('button', { type: 'button', id: 'whatsnew-burst', onclick: async () => {
      try {
        await put('/settings', { burst_mode: true });
        b.replaceWith(h('span', { class: 'ok', text: t('whatsnew.enabled') }));
      } catch (err) { b.after(errorBox(err)); }
    }, text: t('whatsnew.enableBurst') });
    off.push(h('li', null, h('span', { text: t('whatsnew.burstOff') }), ' ', b));
  }
  if (ctx.settings.data_sharing_program && ctx.settings.data_sharing_program.value === 'none') {
    off.push(h('li', null, h('span', { text: t('whatsnew.sharingOff') }), ' ',
      h('a', { href: '#/settings/usage', onclick: () => close(), text: t('whatsnew.choose') })));
  }
  const close = () => {
    localStorage.setItem(key, ctx.server.version);
    dlg.close();
  };
  clear(dlg, h('h2', { id: 'whatsnew-title', text: t('whatsnew.title', { version: ctx.server.version }) }),
    h('ul', null, ['whatsnew.item1', 'whatsnew.item2', 'whatsnew.item3', 'whatsnew.item4'].map((k) => h('li', { text: t(k) }))),
    off.length ? [h('h3', { text: t('whatsnew.offTitle') }), h('ul', null, off)] : null,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'primary', id: 'whatsnew-close', onclick: close, text: t('whatsnew.close') })));
  dlg.addEventListener('cancel', () => localStorage.setItem(key, ctx.server.version), { once: true });
  dlg.showModal();
}
