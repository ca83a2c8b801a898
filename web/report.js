// 计票结果报告单: the official vote report of one round, laid out here on
// A4 pages — meeting, date, time and place; method clauses; attendance and
// quorum; ballots; every candidate's counts, threshold and base (or, for a
// round that was void, had no quorum or a rejected list, the ruling
// instead of a table); the outcome; the record in the log (the round's
// result checkpoint size and root in 4-hex groups, each cosigner's key
// fingerprint, a QR code with the receipt: a C2SP tlog-proof of the tally
// under the checkpoint the scrutineers signed); the signature block with
// the chief scrutineer, each scrutineer and counter by name and the chair
// or presidium. The full 选举办法 follows as the annex.
//
// Every page carries the title, the meeting and 第 N 页 共 M 页; the
// signature block is never split and sits on the report's last page. The
// pages are made here, not by the browser's fragmentation, so that the
// screen shows exactly the pages that print (report.css: one .page per
// sheet of A4, @page margin 0).

import {
  start, api, h, raw, tr, fill, $, t, lang, onLangChange, fail, labelEl, rootGroups,
} from './app.js';
import { roundCosigners } from './bundle.js';
import { encode, toSvg } from './qr.js';
import { block, paginate, pdfButton } from './paper.js';
import { stageLines, hasStage, groupTallies } from './results.js';
import { roundRef } from './rounds.js';

const S = {
  who: null, roundId: null, meeting: null, round: null, view: null, statement: null,
  cosigners: [], method: {},
};

/// The clauses of the adopted method that this round's numbers depend on,
/// as the service words them (the round's `clauses`).
function clauses(round) {
  return (round.clauses || []).map((c) => h('li', {}, raw(lang() === 'en' ? c.en : c.zh)));
}

/// The scrutineers whose cosignatures count for the round, with their key
/// fingerprints and whether they signed, as the result lists them (every
/// role that may see the result). Where the role may read the audit bundle
/// (presidium, scrutineers, auditors) each cosignature is also checked here
/// against the key, so the report shows what an auditor verifies.
async function cosigners() {
  const listed = (S.view?.cosigners || []).map((c) => ({
    name: c.name,
    key: c.key,
    fingerprint: c.fingerprint ?? '—',
    signed: c.signed,
    state: c.signed ? 'report.signed' : 'report.not_signed',
  }));
  if (!['presidium', 'scrutineer', 'auditor'].includes(S.who.role)) return listed;
  try {
    const keys = await roundCosigners(S.who.meeting, S.statement?.tally_index);
    if (!keys) return listed;
    return listed.map((c) => {
      const k = keys.find((x) => x.vkey === c.key);
      if (k?.verified) return { ...c, state: 'report.signed_verified' };
      if (k?.signed || (k && c.signed)) return { ...c, state: 'report.signature_bad' };
      return c;
    });
  } catch (e) {
    console.error(e);
    return listed;
  }
}

/// The election this round belongs to, from the meeting.
function election() {
  return (S.meeting.elections || []).find((e) => e.id === S.round.election) || null;
}

/// A time (ms since the epoch) in 北京时间, the meeting's zone.
function beijing(ms) {
  const d = new Date(ms + 8 * 3600 * 1000);
  const two = (n) => String(n).padStart(2, '0');
  return tr('report.time', {
    y: d.getUTCFullYear(), mo: d.getUTCMonth() + 1, d: d.getUTCDate(),
    hh: two(d.getUTCHours()), mm: two(d.getUTCMinutes()),
  });
}

/// Rounds that propose a list (预选, 推荐, 测评, or a runoff resolving
/// one) speak of 入选 and rank by votes.
function listRound(res) {
  return res?.next_list != null || ['nomination', 'evaluation', 'preliminary'].includes(S.round.kind);
}

/// The standing of one row, in the words of this round.
function standingKey(res, row) {
  if (!res?.status) return null;
  if ((res.runoff?.among || []).includes(row.name)) return 'standing.runoff';
  if (listRound(res)) return (res.next_list || []).includes(row.name) ? 'report.st_qualified' : 'report.st_not_qualified';
  if ((res.elected || []).includes(row.name)) return 'standing.elected';
  if (row.above_threshold) return 'standing.above';
  if (res.threshold_applies === false) return 'standing.ranked';
  return 'standing.below';
}

/// The rows in the order the round's rule says: list rounds by votes
/// (ties in ballot order), others in ballot order; write-ins after.
function rows(res) {
  const all = (res?.tally || []).map((x, i) => ({ ...x, i }));
  if (!listRound(res)) return all;
  return all.sort((a, b) => (a.write_in - b.write_in) || (b.for - a.for) || (a.i - b.i));
}

function section(titleKey, ...content) {
  return h('section', {}, h('h2', { i18n: titleKey }), ...content);
}

/// The heading on the first page, and the meeting, contest, time and place.
function headBlock() {
  const m = S.meeting;
  const r = S.round;
  const e = election();
  const n = e ? (e.rounds || []).findIndex((x) => x.id === r.id) + 1 : 0;
  const certified = S.view?.status === 'certified';
  return block(h('header', { class: 'sheet-head' },
    h('h1', { i18n: 'report.title' }),
    h('p', { class: 'unofficial' + (certified ? ' hidden' : ''), id: 'r-unofficial', i18n: 'report.unofficial' }),
    h('dl', { class: 'meta' },
      h('div', {}, h('dt', { i18n: 'report.m_meeting' }), h('dd', {}, raw(m.name))),
      h('div', {}, h('dt', { i18n: 'report.m_contest' }),
        h('dd', {}, raw(r.contest), ' · ', labelEl('kind', r.kind), n > 0 ? tr('report.m_round', { n }) : '')),
      h('div', {}, h('dt', { i18n: 'report.m_time' }),
        h('dd', { id: 'r-time' }, S.view?.tallied_at ? beijing(S.view.tallied_at) : tr('report.time_none'))),
      h('div', {}, h('dt', { i18n: 'report.m_place' }),
        h('dd', { id: 'r-place' }, m.place ? raw(m.place) : h('span', { class: 'blank' }))))));
}

function attendanceBlock(res) {
  const m = S.meeting;
  const r = S.round;
  const q = res?.quorum;
  const excluded = (m.exclusions || []).reduce((a, x) => a + x.count, 0);
  return block(section('report.s_attendance', h('p', { id: 'r-attendance' },
    tr('report.attendance', {
      voting: m.voting_members, excluded, entitled: q?.entitled ?? r.facts?.entitled, present: q?.present ?? r.facts?.present,
      required: q?.required ?? '—',
    }), gap(),
    q ? h('strong', { i18n: q.met ? 'quorum.met' : 'quorum.not_met' }) : '')));
}

function ballotsBlock(res) {
  const r = S.round;
  const b = res?.ballots || {};
  const box = res?.box_check;
  return block(section('report.s_ballots',
    h('p', { id: 'r-ballots' },
      tr('result.ballots', { issued: b.issued ?? r.facts?.issued ?? '—', returned: b.returned ?? r.facts?.returned ?? '—', valid: b.valid ?? '—', invalid: b.invalid ?? '—' }),
      gap(), box ? h('strong', { i18n: box.valid ? 'box.valid' : 'box.void' }) : ''),
    r.box?.state === 'settled' ? h('p', { id: 'r-box' }, tr('report.box_line', { names: r.box.by.join('、'), n: r.box.returned })) : '',
    r.counting === 'totals' ? h('p', { id: 'r-by-hand' }, tr('report.counted_by_hand')) : '',
    h('div', { id: 'r-reasons', class: 'reasons' },
      (b.invalid_reasons || []).length ? h('p', {}, tr('report.invalid_reasons'), gap(),
        (b.invalid_reasons || []).map((x, i) => h('span', {}, i ? '；' : '',
          tr('report.reason_count', { reason: t(`invalid.${x.reason}`), n: x.count })))) : '',
      (b.void_reasons || []).length ? h('p', {}, tr('report.void_reasons'), gap(),
        raw((b.void_reasons || []).map((x) => `${x.reason}（${x.count}）`).join('；'))) : '')));
}

/// What the rules say instead of a count: void, no quorum, rejected list.
function rulingBlock(res) {
  let p;
  if (res.status === 'void') {
    const box = res.box_check || {};
    p = tr(box.base === 'voters' ? 'report.ruling_void_voters' : 'report.ruling_void_issued',
      { returned: box.returned ?? res.ballots?.returned, limit: box.limit }, 'p');
  } else if (res.status === 'no_quorum') {
    p = tr('report.ruling_no_quorum', { present: res.quorum?.present, required: res.quorum?.required }, 'p');
  } else {
    const l = res.list_check || {};
    const en = lang() === 'en';
    p = tr('report.ruling_list_rejected', { rule: en ? l.rule_en : l.rule_zh, message: en ? l.message_en : l.message_zh }, 'p');
  }
  p.id = 'r-ruling';
  p.className = 'ruling';
  p.dataset.status = res.status;
  return block(section('report.s_ruling', p));
}

function tallyBlock(res) {
  const list = listRound(res);
  const head = () => h('thead', {}, h('tr', {},
    h('th', { class: 'num', i18n: 'report.col_no' }), h('th', { i18n: 'result.candidate' }),
    h('th', { class: 'num', i18n: 'result.for' }), h('th', { class: 'num', i18n: 'result.against' }),
    h('th', { class: 'num', i18n: 'result.abstain' }), h('th', { i18n: 'result.standing' })));
  let no = 0;
  const trs = rows(res).map((x) => {
    const st = standingKey(res, x);
    // A write-in has only a for-count: no 序号 (it is not on the
    // ballot), no against or abstain line.
    return h('tr', { 'data-name': x.name, 'data-write-in': x.write_in ? 'true' : null },
      h('td', { class: 'num' }, x.write_in ? '' : ++no),
      h('td', {}, raw(x.name), x.write_in ? h('span', {}, gap(), tr('result.write_in')) : ''),
      h('td', { class: 'num' }, x.for),
      h('td', { class: 'num' }, x.write_in ? '' : x.against),
      h('td', { class: 'num' }, x.write_in ? '' : x.abstain),
      h('td', {}, st ? h('span', { i18n: st }) : ''));
  });
  const threshold = res.threshold != null && res.threshold_applies !== false
    ? tr(list ? 'report.threshold_list' : 'result.threshold', {
      n: res.threshold, base: res.threshold_base ?? '—', basis: t(`base.${res.method?.threshold_base ?? 'entitled'}`),
    }, 'p') : null;
  if (threshold) threshold.id = 'r-threshold';
  const table = h('table', { id: 'r-tally', class: 'tally' }, head(), h('tbody'));
  const el = section(list ? 'report.s_tally_ranked' : 'report.s_tally', threshold, table);
  return block(el, { table, rows: trs, head, cls: 'tally' });
}

/// The gap after a label: none after a Chinese colon, a space in English.
function gap() { return lang() === 'en' ? ' ' : ''; }

function names(list) {
  return (list || []).length ? raw(list.join(lang() === 'en' ? ', ' : '、')) : tr('report.none');
}

function outcomeBlock(res) {
  const r = S.round;
  const list = listRound(res);
  const s = res.status;
  const key = s === 'complete' && list ? 'outcome.list_complete' : `outcome.${s}`;
  const p = h('p', { class: 'outcome-text', 'data-status': s }, h('strong', { i18n: key }));
  const lines = [p];
  if (list) {
    const kind = r.kind === 'preliminary' || res.round?.resolves === 'preliminary';
    lines.push(h('p', { id: 'r-qualified' }, tr(kind ? 'report.qualified_preliminary' : 'report.qualified_list'), gap(), names(res.next_list)));
  } else if (['cadre', 'resolution'].includes(r.kind)) {
    lines.push(h('p', { id: 'r-elected' }, tr('report.passed'), gap(), names(res.elected)));
  } else {
    // Elected in ballot order (姓氏笔画), as the report must list them.
    const order = new Map(r.candidates.map((c, i) => [c, i]));
    const elected = [...(res.elected || [])].sort((a, c) => (order.get(a) ?? 1e9) - (order.get(c) ?? 1e9));
    lines.push(h('p', { id: 'r-elected' }, tr('report.elected_strokes'), gap(), names(elected)));
  }
  if (s === 'runoff_required' && res.runoff) {
    lines.push(h('p', {}, tr('outcome.runoff_among', { seats: res.runoff.seats }), gap(), names(res.runoff.among)));
  }
  if (res.unfilled) lines.push(tr('outcome.unfilled', { n: res.unfilled }, 'p'));
  const title = r.kind === 'preliminary' ? 'report.s_outcome_preliminary' : 'report.s_outcome';
  return block(h('section', { id: 'r-outcome' }, h('h2', { i18n: title }), ...lines));
}

/// The round's result checkpoint (size, root in 4-hex groups), its id in
/// the log, and the cosigners with their key fingerprints: what `scrutineer
/// verify` prints for this round.
function recordBlock() {
  const cp = S.view?.checkpoint;
  const rowsEl = S.cosigners.map((c) => h('tr', { 'data-state': c.state },
    h('td', { raw: true }, c.name), h('td', { class: 'fp', raw: true }, c.fingerprint), h('td', { i18n: c.state })));
  const table = h('table', { id: 'r-scrutineers' },
    h('thead', {}, h('tr', {}, h('th', { i18n: 'report.col_scrutineer' }), h('th', { i18n: 'report.col_fingerprint' }), h('th', { i18n: 'report.col_signed' }))),
    h('tbody', {}, rowsEl));
  const cos = S.view?.cosignatures;
  if (cos) table.dataset.required = cos.required;
  const text = S.statement?.receipt ?? null;
  const qrBox = h('div', { id: 'r-qr' });
  if (text) {
    const qr = encode(text, { ecl: 'M' });
    const svg = toSvg(qr, { border: 2, title: t('report.qr_caption') });
    svg.dataset.version = qr.version;
    svg.dataset.i18nAria = 'report.qr_caption';
    qrBox.append(svg);
    qrBox.dataset.receipt = text;
  }
  return block(h('section', { class: 'record' },
    h('h2', { i18n: 'report.s_record' }),
    h('div', { class: 'record-grid' },
      h('div', {},
        h('p', {}, cp ? tr('report.checkpoint', { size: cp.size }) : tr('checkpoint.none'), h('span', { class: 'sep' }),
          tr('report.round_id'), gap(), h('span', { class: 'mono', raw: true }, S.round.id)),
        h('p', {}, tr('report.root'), gap(), h('span', { id: 'r-root', class: 'mono root', raw: true }, cp ? rootGroups(cp.root) : '')),
        table,
        h('p', { class: 'compare', i18n: 'report.compare' })),
      h('figure', { class: 'qr' }, qrBox, h('figcaption', { i18n: 'report.qr_caption' })))));
}

/// Signature lines for the chief scrutineer, each assigned scrutineer and
/// counter by name, and the chair or presidium.
function signBlock() {
  const assigned = election()?.assigned || [];
  const people = (role) => {
    const named = assigned.filter((p) => p.role === role);
    if (!named.length) return [h('span', { class: 'signer' }, tr('report.none_assigned'))];
    return named.map((p) => h('span', { class: 'signer', 'data-role': role }, raw(p.name), h('span', { class: 'line' })));
  };
  const row = (key, ...content) => h('div', { class: 'sign-row' }, h('span', { class: 'sign-label', i18n: key }), h('span', { class: 'signers' }, ...content));
  const blank = () => h('span', { class: 'signer' }, h('span', { class: 'line wide' }));
  return block(h('section', { class: 'sign-block', id: 'r-sign' },
    h('h2', { i18n: 'report.s_sign' }),
    h('div', { class: 'sign-pair' },
      row('report.sign_chief', blank()),
      row('report.sign_chair', blank())),
    row('report.sign_scrutineers', ...people('scrutineer')),
    row('report.sign_counters', ...people('counter')),
    row('report.sign_date', h('span', { class: 'signer', i18n: 'report.sign_date_blank' }))));
}

/// The blocks of the report, in order.
function reportBlocks() {
  const res = S.view?.result;
  const r = S.round;
  const out = [headBlock()];
  out.push(block(section('report.s_method', h('ol', { id: 'r-method', class: 'clauses' }, clauses(r)))));
  // The stage's facts and rules (RULES §9), as the service gives them;
  // a combined round's groups each with its own posted tally.
  if (hasStage(r)) out.push(block(h('section', { id: 'r-stage' }, h('h2', { i18n: 'report.s_stage' }), ...stageLines(r, (id) => roundRef(S.meeting, id)))));
  if (r.stage?.combined) {
    for (const g of groupTallies(r)) out.push(block(h('section', { class: 'r-group' }, g)));
  }
  out.push(attendanceBlock(res));
  out.push(ballotsBlock(res));
  if (!res?.status) {
    out.push(block(section('report.s_outcome', tr('report.no_result', null, 'p'))));
  } else if (['void', 'no_quorum', 'list_rejected'].includes(res.status)) {
    out.push(rulingBlock(res));
  } else {
    out.push(tallyBlock(res));
    out.push(outcomeBlock(res));
  }
  out.push(recordBlock());
  out.push(signBlock());
  return out;
}

/// The annex: the full method text, one block per clause.
function annexBlocks(text, first, last) {
  const lines = (text || '').split('\n').filter((l) => l.trim());
  const out = [block(h('header', { class: 'annex-head' },
    h('h1', { i18n: 'report.annex_title' }),
    tr('report.annex_of', { n: first, m: last }, 'p')))];
  if (!lines.length) out.push(block(tr('method.none', null, 'p')));
  // The text's title and the line naming its regulation are centred.
  lines.forEach((l, i) => out.push(block(h('p', { class: i === 0 || /^[（(]/.test(l) ? 'method-title' : 'clause', raw: true }, l))));
  return out;
}

/// Renders the sheet in the current language. `#sheet` says
/// data-ready=false from the moment a render starts (on a language change
/// that is within the toggle's click) until its pages are laid out, so
/// that nothing reads the pages while the text of the other language is
/// still being fetched; a render overtaken by a newer one (the language
/// toggled again meanwhile) stops.
let renders = 0;
async function render() {
  const n = ++renders;
  const sheet = $('#sheet');
  sheet.dataset.ready = 'false';
  const l = lang() === 'en' ? 'en' : 'zh';
  if (S.method[l] === undefined) {
    try {
      S.method[l] = await api('GET', `/meetings/${S.who.meeting}/method/text?lang=${l}`);
    } catch (e) {
      S.method[l] = '';
    }
  }
  if (n !== renders) return;
  fill(sheet);
  const headText = `${S.meeting.name} · ${S.round.contest}`;
  const report = paginate(sheet, reportBlocks(),
    { kind: 'report', titleKey: 'report.title', headText, pageKey: 'report.page_no' });
  paginate(sheet, annexBlocks(S.method[l], 1, report.length),
    { kind: 'annex', titleKey: 'report.title', headText, pageKey: 'report.annex_page_no' });
  document.title = t('report.title');
  sheet.dataset.ready = 'true';
}

async function main() {
  S.who = await start('report.screen', ['presidium', 'scrutineer', 'auditor', 'organiser', 'display']);
  if (!S.who) return;
  S.roundId = new URLSearchParams(location.search).get('round');
  $('#print').addEventListener('click', () => window.print());
  $('#print').after(' ', pdfButton(() => `${t('report.title')}-${S.round.contest}-${S.meeting.name}`));
  $('#back').addEventListener('click', () => history.back());
  const m = S.who.meeting;
  S.meeting = await api('GET', `/meetings/${m}`);
  S.round = await api('GET', `/meetings/${m}/rounds/${S.roundId}`);
  S.view = await api('GET', `/meetings/${m}/rounds/${S.roundId}/result`);
  try { S.statement = await api('GET', `/meetings/${m}/rounds/${S.roundId}/statement`); } catch (e) { S.statement = null; }
  S.cosigners = await cosigners();
  onLangChange(() => render().catch(fail));
  await document.fonts?.ready;
  await render();
}

main().catch(fail);
