// What every page shares: messages, errors, busy buttons.
import { h, clear } from './dom.js';
import { t, has } from './i18n.js';
import { ApiError } from './api.js';

// toast says something briefly in the status region (role="status", read by screen
// readers).
let toastTimer = 0;
export function toast(text) {
  const el = document.getElementById('toast');
  clear(el, text);
  el.classList.add('show');
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.classList.remove('show'), 5000);
}

// problemText is an error in the console's language: the problem code's text from the
// catalogue, and the server's detail, which says what to do.
export function problemText(err) {
  if (err instanceof ApiError) {
    const key = `problem.${err.code}`;
    return has(key) ? t(key) : t('problem.generic', { status: err.status });
  }
  return t('problem.network');
}

// errorBox shows an error where the action was taken (role="alert").
export function errorBox(err) {
  const detail = err instanceof ApiError ? err.problem.detail : '';
  return h('div', { class: 'error', role: 'alert' },
    h('strong', { text: problemText(err) }), detail ? h('span', { class: 'detail', text: ` ${detail}` }) : null);
}

// busy runs an action with its button disabled, showing its error in out (or a toast).
export async function busy(button, out, fn) {
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  if (out) clear(out);
  try {
    return await fn();
  } catch (err) {
    if (out) clear(out, errorBox(err));
    else toast(problemText(err));
    return undefined;
  } finally {
    button.disabled = false;
    button.removeAttribute('aria-busy');
  }
}

// section is a titled part of a page.
export function section(title, ...children) {
  const id = `s-${Math.random().toString(36).slice(2, 9)}`;
  return h('section', { class: 'card', 'aria-labelledby': id }, h('h2', { id, text: title }), children);
}

// pageTitle is a page's heading, focused by the router for screen readers.
export function pageTitle(text) {
  return h('h1', { class: 'page-title', tabindex: '-1', text });
}

export function modelName(code) {
  const key = `model.${code || 'server'}`;
  return has(key) ? t(key) : code;
}

export function productName(p) {
  if (p.name) return p.name;
  if (p.product && p.edition) return `${p.product}-${p.edition}`;
  return p.feature;
}

// serverInfo is the "License Server Information" block of the install and update pages.
export function serverInfo(server) {
  const ips = server.interfaces.flatMap((i) => i.ipv4).filter((ip) => !ip.startsWith('127.'));
  return h('dl', { class: 'facts' },
    h('dt', { text: t('server.hostname') }), h('dd', { text: server.hostname }),
    h('dt', { text: t('server.ip') }), h('dd', { text: ips.join(', ') || '127.0.0.1' }));
}
