// 登录条: a printable A4 sheet of log-in slips, eight to a page, to cut
// apart and hand out — each with the person's name, role and elections,
// the log-in link as a QR code and as text, the server certificate's
// fingerprint when the service speaks HTTPS, and two lines of
// instructions. The links are the ones this organiser's tab holds (the
// service shows a link once); people without one can be given a new link
// here, which revokes their earlier one (logged).

import { start, api, h, raw, tr, fill, $, t, fail, sayKey, confirmDialog, labelEl, serverInfo, onLangChange } from './app.js';
import { encode, toSvg } from './qr.js';
import { keepLink as storeLink, validLinks } from './links.js';
import { pdfButton } from './paper.js';

const S = { who: null, meeting: null, people: [], server: {} };

// The same store as the setup screen (web/links.js): only links the
// service still honours are printed.
function links() { return validLinks(S.who.meeting, S.people); }
function keepLink(person, url, id) { storeLink(S.who.meeting, person, url, id); }

/// A link only this computer can open (loopback): useless on a slip.
function loopback(url) {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host.startsWith('127.') || host === '[::1]';
  } catch (e) { return false; }
}

function contests(p) {
  return (S.meeting.elections || []).filter((e) => (p.elections || []).includes(e.id)).map((e) => e.contest);
}

function slip(p, url) {
  const svg = toSvg(encode(url, { ecl: 'M' }), { title: t('setup.link_of', { name: p.name }) });
  svg.classList.add('slip-qr');
  svg.setAttribute('data-raw-label', '');
  const names = contests(p);
  return h('div', { class: 'slip', 'data-person': p.id },
    h('div', { class: 'slip-text' },
      h('p', { class: 'slip-meeting', raw: true }, S.meeting.name),
      h('p', { class: 'slip-name' }, raw(p.name), ' ', h('span', { class: 'slip-role' }, labelEl('role', p.role))),
      names.length ? h('p', { class: 'slip-elections', raw: true }, names.join('、')) : null,
      tr('slips.line1', null, 'p'),
      tr('slips.line2', null, 'p'),
      S.server.fingerprint ? h('p', { class: 'slip-fp' }, h('span', { i18n: 'setup.cert_fingerprint' }), ' ',
        h('span', { class: 'fingerprint', raw: true }, S.server.fingerprint)) : null,
      h('p', { class: 'slip-url mono', raw: true }, url)),
    svg);
}

function render() {
  const known = links();
  const withLink = S.people.filter((p) => known[p.id]);
  const without = S.people.filter((p) => !known[p.id] && p.id !== S.who.person);
  fill($('#slips'), withLink.map((p) => slip(p, known[p.id])));
  const local = withLink.filter((p) => loopback(known[p.id]));
  fill($('#slips-warnings'),
    local.length ? h('p', { class: 'msg warn stay', id: 'slips-loopback' }, tr('slips.loopback', { n: local.length })) : null,
    !S.server.https ? h('p', { class: 'msg info stay', id: 'slips-no-tls' }, tr('slips.no_tls')) : null);
  fill($('#slips-missing'), without.length ? h('div', { class: 'card' },
    tr('slips.missing', { n: without.length }, 'p'),
    h('p', { raw: true }, without.map((p) => p.name).join('、')),
    h('button', { type: 'button', class: 'btn', id: 'slips-reissue', onclick: () => reissue(without).catch(fail) },
      tr('slips.reissue', { n: without.length }))) : null);
  $('#print-slips').disabled = !withLink.length;
}

async function reissue(people) {
  const ok = await confirmDialog({ title: t('slips.reissue', { n: people.length }), body: t('slips.reissue_body'), danger: true });
  if (!ok) return;
  for (const p of people) {
    const tok = await api('POST', `/meetings/${S.who.meeting}/people/${p.id}/tokens`, {});
    keepLink(p.id, tok.login_url, tok.id);
  }
  S.people = await api('GET', `/meetings/${S.who.meeting}/people`);
  sayKey('slips.reissued', { n: people.length }, 'ok');
  render();
}

async function main() {
  S.who = await start('slips.screen', ['organiser']);
  if (!S.who) return;
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  S.people = await api('GET', `/meetings/${S.who.meeting}/people`);
  S.server = await serverInfo();
  $('#print-slips').addEventListener('click', () => window.print());
  $('#print-slips').after(' ', pdfButton(() => `${t('slips.screen')}-${S.meeting.name}`));
  onLangChange(render);
  render();
}

main().catch(fail);
