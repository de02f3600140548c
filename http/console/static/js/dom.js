// DOM helpers: pages are built with h(), never with HTML strings, so that no text from the
// server can become markup, and no inline style or script is needed (the console's CSP).

const SVG = 'http://www.w3.org/2000/svg';

// h(tag, attrs, ...children) makes an element. attrs: class, text, for, hidden, checked,
// value, disabled, on<event> (functions), and any other attribute (aria-*, data-*, ...).
// Children are nodes, strings (text) or arrays of them; null and false are skipped.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  return fill(el, attrs, children);
}

// s() is h() for SVG elements (the chart, the icons).
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  return fill(el, attrs, children);
}

function fill(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'text') {
      el.textContent = v;
    } else if (k === 'checked' || k === 'value' || k === 'disabled' || k === 'selected' || k === 'hidden') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// clear empties an element and fills it with children.
export function clear(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let ids = 0;
// uid makes an element id for label/aria references.
export function uid(prefix) {
  ids += 1;
  return `${prefix}-${ids}`;
}

// field is a labelled form control: <div class="field"><label for>text</label>control</div>.
export function field(label, control, hint) {
  if (!control.id) control.id = uid('f');
  const parts = [h('label', { for: control.id, text: label }), control];
  if (hint) {
    const hid = uid('hint');
    control.setAttribute('aria-describedby', hid);
    parts.push(h('p', { class: 'hint', id: hid, text: hint }));
  }
  return h('div', { class: 'field' }, parts);
}

// table makes a table with a caption (for screen readers), column headers and rows.
export function table(caption, headers, rows, cls) {
  return h('table', { class: cls || 'grid' },
    caption ? h('caption', { class: 'sr-only', text: caption }) : null,
    h('thead', null, h('tr', null, headers.map((x) => h('th', { scope: 'col' }, x)))),
    h('tbody', null, rows));
}

// icon draws one of the console's few icons, hidden from screen readers (the control that
// holds it has a label).
export function icon(name) {
  const paths = {
    bell: 'M12 3a6 6 0 0 0-6 6v4l-2 3v1h16v-1l-2-3V9a6 6 0 0 0-6-6zm-2 16a2 2 0 0 0 4 0z',
    gear: 'M12 8a4 4 0 1 0 0 8 4 4 0 0 0 0-8zm9 5v-2l-2.2-.5a7 7 0 0 0-.7-1.7l1.2-1.9-1.4-1.4-1.9 1.2a7 7 0 0 0-1.7-.7L13.8 3h-2l-.5 2.2a7 7 0 0 0-1.7.7L7.7 4.7 6.3 6.1l1.2 1.9a7 7 0 0 0-.7 1.7L4.6 11v2l2.2.5c.2.6.4 1.2.7 1.7l-1.2 1.9 1.4 1.4 1.9-1.2c.5.3 1.1.5 1.7.7l.5 2.2h2l.5-2.2c.6-.2 1.2-.4 1.7-.7l1.9 1.2 1.4-1.4-1.2-1.9c.3-.5.5-1.1.7-1.7z',
    down: 'M6 9l6 6 6-6',
  };
  const stroke = name === 'down';
  return s('svg', { class: `icon icon-${name}`, viewBox: '0 0 24 24', 'aria-hidden': 'true', focusable: 'false' },
    s('path', { d: paths[name], class: stroke ? 'stroke' : 'fill' }));
}
