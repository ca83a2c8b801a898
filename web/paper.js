// Pages of A4 for the printed papers (the vote report, the election
// method): the content is laid out here, page by page, so that the screen
// shows exactly the pages that print, each with its running head — the
// title, the meeting and 第 N 页 共 M 页 (report.css: one .page per sheet,
// @page margin 0).

import { h, tr, fill } from './app.js';

/// A block of a paper: `el` is placed whole; a table block also gives its
/// rows (`table.rows`), which may continue on the next page under a
/// repeated header (`table.head()`), in a table of class `table.cls`.
export function block(el, table = null) { return { el, table }; }

/// One A4 page: the running head and a body of fixed height.
function newPage(container, kind, titleKey, headText) {
  const no = h('span', { class: 'page-no' });
  const page = h('section', { class: 'page', 'data-kind': kind },
    h('header', { class: 'page-head' },
      h('span', { class: 'ph-title', i18n: titleKey }),
      h('span', { class: 'ph-meeting', raw: true }, headText),
      no),
    h('div', { class: 'page-body' }));
  container.append(page);
  return { page, body: page.querySelector('.page-body'), no };
}

/// Lays `blocks` out on pages: a block moves whole to the next page when it
/// does not fit (unless it is alone on its page), and a table continues on
/// the next page under its repeated header. Returns the pages, numbered
/// with `pageKey` ({n} of {m}).
export function paginate(container, blocks, { kind, titleKey, headText, pageKey }) {
  const pages = [newPage(container, kind, titleKey, headText)];
  let cur = pages[0];
  const fits = () => cur.body.scrollHeight <= cur.body.clientHeight + 1;
  const turn = () => { cur = newPage(container, kind, titleKey, headText); pages.push(cur); };
  for (const b of blocks) {
    cur.body.append(b.el);
    if (!fits() && cur.body.children.length > 1) {
      b.el.remove();
      turn();
      cur.body.append(b.el);
    }
    if (!b.table) continue;
    let tbody = b.table.table.querySelector('tbody');
    for (const row of b.table.rows) {
      tbody.append(row);
      if (fits()) continue;
      row.remove();
      turn();
      const cont = h('table', { class: `${b.table.cls} continued` }, b.table.head(), h('tbody'));
      cur.body.append(cont);
      tbody = cont.querySelector('tbody');
      tbody.append(row);
    }
  }
  pages.forEach((p, i) => {
    fill(p.no, tr(pageKey, { n: i + 1, m: pages.length }));
    p.page.dataset.page = i + 1;
    p.page.dataset.pages = pages.length;
  });
  return pages;
}
