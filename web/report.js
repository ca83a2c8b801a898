// 计票结果报告单: the official vote report of one round, on one A4 page —
// meeting, method clauses, attendance and quorum, ballots, every
// candidate's counts, threshold and base, the outcome, the scrutineers with
// their key fingerprints, the log root in 4-hex groups and a QR code with
// the receipt (a C2SP tlog-proof of the tally under the checkpoint the
// scrutineers signed).

import {
  start, api, h, raw, tr, fill, $, t, lang, onLangChange, fail, labelEl, rootGroups,
} from './app.js';
import { standing, outcome } from './results.js';
import { roundCosigners } from './bundle.js';
import { encode, toSvg } from './qr.js';

const S = { who: null, roundId: null, meeting: null, round: null, view: null, statement: null, cosigners: [] };

/// 4/5 as 五分之四 in Chinese, 4/5 in English.
function fraction(f) {
  if (!f) return '';
  if (lang() !== 'en') {
    const d = t('num.digits');
    const cn = (n) => (n <= 10 ? d[n] : String(n));
    return t('num.fraction', { num: cn(f.num), den: cn(f.den) });
  }
  return `${f.num}/${f.den}`;
}

function cmp(f) { return t(f?.comparison === 'inclusive' ? 'clause.at_least' : 'clause.more_than'); }

/// The clauses of the adopted method that this round's numbers depend on.
function clauses(m, round) {
  if (!m) return [];
  const out = [];
  out.push(tr('clause.quorum', { cmp: cmp(m.quorum), frac: fraction(m.quorum) }, 'li'));
  out.push(tr(m.box_check === 'voters' ? 'clause.box_voters' : 'clause.box_issued', null, 'li'));
  if (!['nomination', 'evaluation'].includes(round.kind)) {
    out.push(tr('clause.threshold', { cmp: cmp(m.threshold), frac: fraction(m.threshold), base: t(`base.${m.threshold_base}`) }, 'li'));
    out.push(tr('clause.tie', null, 'li'));
  }
  out.push(tr('clause.overvote', null, 'li'));
  if (!['cadre', 'resolution', 'runoff', 'evaluation'].includes(round.kind) && m.write_ins !== 'none') {
    out.push(tr('clause.write_in', null, 'li'));
  }
  out.push(tr(m.illegible === 'void_ballot' ? 'clause.illegible_void' : 'clause.illegible_abstain', null, 'li'));
  out.push(tr('clause.preset', { preset: t(`preset.${m.preset}`) }, 'li'));
  return out;
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

// The round's receipt: the C2SP tlog-proof of its tally entry under the
// result checkpoint, cosignatures included (GET …/statement `receipt`,
// also downloadable from GET …/rounds/{r}/receipt).
function receipt() {
  return S.statement?.receipt ?? null;
}

async function render() {
  const m = S.meeting;
  const r = S.round;
  const v = S.view;
  const res = v?.result;
  fill($('#r-subtitle'), raw(m.name), ' · ', raw(r.contest), ' · ', labelEl('kind', r.kind), raw(` (${r.id})`));
  $('#r-unofficial').classList.toggle('hidden', v?.status === 'certified');
  fill($('#r-method'), clauses(res?.method ?? m.method?.effective, r));

  const q = res?.quorum;
  const excluded = (m.exclusions || []).reduce((a, x) => a + x.count, 0);
  fill($('#r-attendance'),
    tr('report.attendance', {
      voting: m.voting_members, excluded, entitled: q?.entitled ?? r.facts?.entitled, present: q?.present ?? r.facts?.present,
      required: q?.required ?? '—',
    }), ' ',
    q ? h('strong', { i18n: q.met ? 'quorum.met' : 'quorum.not_met' }) : '');

  const b = res?.ballots || {};
  const box = res?.box_check;
  fill($('#r-ballots'),
    tr('result.ballots', { issued: b.issued ?? r.facts?.issued ?? '—', returned: b.returned ?? '—', valid: b.valid ?? '—', invalid: b.invalid ?? '—' }),
    ' ', box ? h('strong', { i18n: box.valid ? 'box.valid' : 'box.void' }) : '');
  fill($('#r-reasons'),
    (b.invalid_reasons || []).length ? h('p', {}, tr('report.invalid_reasons'), ' ',
      (b.invalid_reasons || []).map((x, i) => h('span', {}, i ? '；' : '',
        tr('report.reason_count', { reason: t(`invalid.${x.reason}`), n: x.count })))) : '',
    (b.void_reasons || []).length ? h('p', {}, tr('report.void_reasons'), ' ',
      raw((b.void_reasons || []).map((x) => `${x.reason}（${x.count}）`).join('；'))) : '');

  fill($('#r-threshold'), res?.threshold != null && res.threshold_applies !== false
    ? tr('result.threshold', { n: res.threshold, base: res.threshold_base ?? '—', basis: t(`base.${res.method?.threshold_base ?? 'entitled'}`) }) : '');
  fill($('#r-tally tbody'), (res?.tally || []).map((x, i) => h('tr', { 'data-name': x.name },
    h('td', { class: 'num' }, i + 1),
    h('td', {}, raw(x.name), x.write_in ? h('span', {}, ' ', tr('result.write_in')) : ''),
    h('td', { class: 'num' }, x.for), h('td', { class: 'num' }, x.against), h('td', { class: 'num' }, x.abstain),
    h('td', {}, res.status ? labelEl('standing', standing(res, x)) : ''))));

  if (res?.status) {
    // Elected in ballot order (姓氏笔画), as the report must list them.
    const order = new Map(r.candidates.map((c, i) => [c, i]));
    const elected = [...(res.elected || [])].sort((a, c) => (order.get(a) ?? 1e9) - (order.get(c) ?? 1e9));
    fill($('#r-outcome'), outcome({ ...res, elected }));
  } else fill($('#r-outcome'), tr('report.no_result', null, 'p'));

  const rows = S.cosigners.map((c) => h('tr', { 'data-state': c.state },
    h('td', { raw: true }, c.name), h('td', { class: 'fp', raw: true }, c.fingerprint), h('td', { i18n: c.state })));
  fill($('#r-scrutineers tbody'), rows);
  const cos = v?.cosignatures;
  if (cos) $('#r-scrutineers').dataset.required = cos.required;

  const cp = v?.checkpoint;
  fill($('#r-log'), cp ? tr('report.log', { size: cp.size, origin: S.meeting.log?.origin ?? '' }) : tr('checkpoint.none'));
  fill($('#r-root'), cp ? rootGroups(cp.root) : '');

  const text = receipt();
  if (text) {
    const qr = encode(text, { ecl: 'M' });
    const svg = toSvg(qr, { border: 2, title: t('report.qr_caption') });
    svg.dataset.version = qr.version;
    fill($('#r-qr'), svg);
    $('#r-qr').dataset.receipt = text;
  } else fill($('#r-qr'));
  document.title = `${t('report.title')} ${r.id}`;
  $('#sheet').dataset.ready = 'true';
}

async function main() {
  S.who = await start('report.screen', ['presidium', 'scrutineer', 'auditor', 'organiser', 'display']);
  if (!S.who) return;
  S.roundId = new URLSearchParams(location.search).get('round');
  $('#print').addEventListener('click', () => window.print());
  $('#back').addEventListener('click', () => history.back());
  const m = S.who.meeting;
  S.meeting = await api('GET', `/meetings/${m}`);
  S.round = await api('GET', `/meetings/${m}/rounds/${S.roundId}`);
  S.view = await api('GET', `/meetings/${m}/rounds/${S.roundId}/result`);
  try { S.statement = await api('GET', `/meetings/${m}/rounds/${S.roundId}/statement`); } catch (e) { S.statement = null; }
  S.cosigners = await cosigners();
  onLangChange(() => render().catch(fail));
  await render();
}

main().catch(fail);
