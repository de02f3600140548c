// Languages ("Language": Chinese (Simplified), English, French, German, Japanese, Spanish).
// Every text of the pages comes from a message catalogue, /console/i18n/LANG.json; a key
// missing from the catalogue shows as ⟦key⟧, which the browser tests look for. Dates and
// numbers are written by Intl in the language's form.

export const LANGS = ['en', 'zh-CN', 'fr', 'de', 'ja', 'es'];

// Each language in its own name, as a language menu shows them (the same in every
// catalogue, so they are not in the catalogues).
export const LANG_NAMES = {
  en: 'English', 'zh-CN': '中文（简体）', fr: 'Français', de: 'Deutsch', ja: '日本語', es: 'Español',
};

let lang = 'en';
let catalogue = {};

export function language() { return lang; }

// pick chooses a supported language for a wanted one ("fr-CA" -> "fr", "zh" -> "zh-CN").
export function pick(wanted) {
  if (!wanted) return null;
  if (LANGS.includes(wanted)) return wanted;
  const base = wanted.split('-')[0].toLowerCase();
  if (base === 'zh') return 'zh-CN';
  return LANGS.find((l) => l === base) || null;
}

// guess is the language before the server's setting is known (the log-in page): the last
// one used in this browser, else the browser's.
export function guess() {
  const stored = pick(localStorage.getItem('licd.lang'));
  if (stored) return stored;
  for (const l of navigator.languages || []) {
    const p = pick(l);
    if (p) return p;
  }
  return 'en';
}

export async function setLanguage(wanted) {
  const l = pick(wanted) || 'en';
  const res = await fetch(`/console/i18n/${l}.json`, { credentials: 'same-origin' });
  if (!res.ok) throw new Error(`catalogue ${l}: ${res.status}`);
  catalogue = await res.json();
  lang = l;
  document.documentElement.lang = l;
  localStorage.setItem('licd.lang', l);
}

// t is the text of key with {name} replaced by params.name.
export function t(key, params) {
  const text = catalogue[key];
  if (typeof text !== 'string') return `⟦${key}⟧`;
  return text.replace(/\{(\w+)\}/g, (m, name) => (params && name in params ? String(params[name]) : m));
}

// has tells whether the catalogue has a key (optional texts, such as an alert kind's).
export function has(key) { return typeof catalogue[key] === 'string'; }

// placeholders are the {names} a key's text asks for (none when the key is missing).
export function placeholders(key) {
  return has(key) ? [...catalogue[key].matchAll(/\{(\w+)\}/g)].map((m) => m[1]) : [];
}

export function num(n) {
  return new Intl.NumberFormat(lang).format(n);
}

export function pct(x) {
  return new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 }).format(x / 100);
}

// date writes a calendar day ("2027-03-02", in UTC as the API gives it).
export function date(iso) {
  const d = new Date(iso.length === 10 ? `${iso}T00:00:00Z` : iso);
  if (Number.isNaN(d.getTime())) return iso;
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: iso.length === 10 ? 'UTC' : undefined }).format(d);
}

export function dateTime(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.getFullYear() < 2) return t('common.never');
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeStyle: 'short' }).format(d);
}

export function time(d) {
  return new Intl.DateTimeFormat(lang, { timeStyle: 'medium' }).format(d);
}

// days writes a duration in days, the unit of the retention.
export function days(n) {
  return new Intl.NumberFormat(lang, { style: 'unit', unit: 'day', unitDisplay: 'long' }).format(n);
}
