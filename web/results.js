// How a round's result reads on every screen: the tally table, the outcome
// sentence and the ballot counts. The numbers come from the service (the
// rule engine); nothing is recounted here.

import { h, raw, tr, t, labelEl } from './app.js';

/// A result's tally rows with each row's standing: elected, tied at the
/// cut-off (runoff), above threshold, or not.
export function standing(result, row) {
  if ((result.elected || []).includes(row.name)) return 'elected';
  if ((result.runoff?.among || []).includes(row.name)) return 'runoff';
  if (row.above_threshold) return 'above';
  if (result.threshold_applies === false) return 'ranked';
  return 'below';
}

/// Candidates and write-ins with their counts, in ballot order (write-ins
/// after, as the service sends them).
export function tallyTable(result, { id = null } = {}) {
  const rows = result.tally || [];
  return h('table', { class: 'tally', id },
    h('thead', {}, h('tr', {},
      h('th', { i18n: 'result.candidate' }),
      h('th', { class: 'num', i18n: 'result.for' }),
      h('th', { class: 'num', i18n: 'result.against' }),
      h('th', { class: 'num', i18n: 'result.abstain' }),
      h('th', { i18n: 'result.standing' }))),
    h('tbody', {}, rows.map((r) => h('tr', { 'data-name': r.name, 'data-standing': standing(result, r) },
      h('td', {}, raw(r.name), r.write_in ? h('span', { class: 'muted' }, ' ', h('span', { i18n: 'result.write_in' })) : ''),
      h('td', { class: 'num' }, r.for),
      h('td', { class: 'num' }, r.against),
      h('td', { class: 'num' }, r.abstain),
      h('td', {}, labelEl('standing', standing(result, r)))))));
}

/// "选举完成：当选 丁一、王二" / "票数相等，需就 陈五、周六 重新投票（1名）"…
export function outcome(result) {
  const s = result.status;
  const names = (list) => raw((list || []).join('、'));
  const list = ['nomination', 'evaluation', 'preliminary'].includes(result.round?.kind);
  const key = s === 'complete' && list ? 'outcome.list_complete' : `outcome.${s}`;
  const p = h('p', { class: 'outcome-text', 'data-status': s }, h('strong', { i18n: key }));
  if (result.elected?.length) p.append(' ', tr('outcome.elected'), ' ', names(result.elected));
  if (s === 'runoff_required' && result.runoff) {
    p.append(' ', tr('outcome.runoff_among', { seats: result.runoff.seats }), ' ', names(result.runoff.among));
  }
  if (result.unfilled) p.append(' ', tr('outcome.unfilled', { n: result.unfilled }));
  if (result.next_list?.length) p.append(' ', tr('outcome.next_list'), ' ', names(result.next_list));
  return p;
}

/// Issued / returned / valid / invalid.
export function ballotsLine(result) {
  const b = result.ballots || {};
  return tr('result.ballots', {
    issued: b.issued ?? '—', returned: b.returned ?? '—', valid: b.valid ?? '—', invalid: b.invalid ?? '—',
  }, 'p');
}

/// "过半数：赞成票须达 26 票（基数 50，应到会人数）". Pages redraw on a
/// language change, so the nested label may be translated here.
export function thresholdLine(result) {
  if (result.threshold == null || result.threshold_applies === false) return null;
  const base = result.method?.threshold_base;
  return tr('result.threshold', {
    n: result.threshold, base: result.threshold_base ?? '—', basis: base ? t(`base.${base}`) : '',
  }, 'p');
}

/// Round status badge: 计票中 / 计票完成 / 已认证.
export function statusBadge(status) {
  if (!status) return h('span');
  const cls = status === 'certified' ? 'ok' : status === 'unofficial-complete' ? 'warn' : 'warn';
  return h('span', { class: `badge ${cls}`, 'data-status': status, i18n: `status.${status}` });
}

/// The decisions taken on a round, one line each, in the order taken.
export function decisionsTaken(decisions) {
  const list = (v) => (v || []).join('、');
  const args = (d) => ({
    ...d, list: list(d.list), among: list(d.among), candidates: list(d.candidates),
    without: list(d.without), proceed: list(d.proceed),
    // A counted consent is shown from its numbers, in the chosen language.
    consent: d.vote ? t('taken.consent_vote', { way: t(`consent.${d.vote.way}`), for: d.vote.for, against: d.vote.against, abstain: d.vote.abstain, base: d.vote.base })
      : d.consent,
  });
  const items = (decisions || []).filter((d) => d?.decision);
  if (!items.length) return null;
  return h('div', { class: 'decisions-taken', id: 'decisions-taken' },
    h('h3', { i18n: 'presidium.taken' }),
    h('ul', {}, items.map((d) => h('li', { 'data-taken': d.decision }, tr(`taken.${d.decision}`, args(d))))));
}
