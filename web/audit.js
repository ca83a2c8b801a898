// 审计: the auditor downloads the audit bundle and checks it offline with
// `scrutineer verify`, comparing the log root with the one on the report.

import { start, api, h, raw, fill, $, onLangChange, fail, sayKey, labelEl, checkpointLine, roundsOf, base64ToBytes } from './app.js';
import { roundName } from './rounds.js';
import { fingerprint } from './keys.js';

const S = { who: null, meeting: null, cp: null };

function fileName() { return `${S.who.meeting}-bundle.zip`; }

async function render() {
  fill($('#meeting-name'), raw(S.meeting.name));
  fill($('#checkpoint'), checkpointLine(S.cp));
  fill($('#log-key'), S.cp?.log_key ?? '');
  const parts = (S.cp?.log_key ?? '').split('+');
  let fp = '';
  try { if (parts.length >= 3) fp = await fingerprint(base64ToBytes(parts.slice(2).join('+')).slice(1)); } catch (e) { fp = ''; }
  fill($('#log-key-fp'), fp);
  fill($('#verify-cmd'), `scrutineer verify ${fileName()}`);
  fill($('#rounds tbody'), roundsOf(S.meeting).map((r) => h('tr', { 'data-round': r.id },
    h('td', {}, roundName(S.meeting, r)), h('td', {}, labelEl('kind', r.kind)), h('td', {}, labelEl('state', r.state)),
    h('td', {}, r.state === 'closed' ? h('a', { class: 'btn small', href: `/report.html?round=${encodeURIComponent(r.id)}`, i18n: 'action.report' }) : ''))));
}

async function download() {
  try {
    const blob = await api('GET', `/meetings/${S.who.meeting}/bundle`);
    const a = $('#download-link');
    a.href = URL.createObjectURL(blob);
    a.download = fileName();
    a.textContent = fileName();
    a.classList.remove('hidden');
    a.click();
    sayKey('audit.downloaded', { file: fileName(), bytes: blob.size }, 'ok');
  } catch (e) { fail(e); }
}

async function main() {
  S.who = await start('audit.screen', ['auditor', 'presidium', 'scrutineer']);
  if (!S.who) return;
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  S.cp = await api('GET', `/meetings/${S.who.meeting}/checkpoint`);
  $('#download').addEventListener('click', download);
  onLangChange(() => render().catch(fail));
  await render();
}

main().catch(fail);
