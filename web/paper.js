// Pages of A4 for the printed papers (the vote report, the election
// method): the content is laid out here, page by page, so that the screen
// shows exactly the pages that print, each with its running head — the
// title, the meeting and 第 N 页 共 M 页 (report.css: one .page per sheet,
// @page margin 0).

import { h, tr, fill, t, confirmDialog } from './app.js';

/// The PDF of a paper is the browser's own print of these pages ("Save as
/// PDF" / "另存为 PDF" as the printer): the same renderer and the same
/// print rules as the paper, so it is the same document by construction,
/// page for page (tests/browser.rs counts the PDF's pages against the
/// pages laid out here). The service renders no PDF itself: no browser on
/// the meeting's server, no process it spawns, no log-in token handed to
/// one. `fileName()` is the name the browser suggests for the file.
export function pdfButton(fileName) {
  return h('button', { type: 'button', class: 'btn', id: 'pdf', i18n: 'pdf.download', onclick: async () => {
    const name = fileName();
    const ok = await confirmDialog({ title: tr('pdf.download'), body: tr('pdf.how', { name }, 'p'), confirmKey: 'pdf.print' });
    if (!ok) return;
    const title = document.title;
    document.title = name;
    window.print();
    document.title = title;
  } });
}


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
