// How a round's result reads on every screen: the tally table, the outcome
// sentence and the ballot counts. The numbers come from the service (the
// rule engine); nothing is recounted here.

import { h, raw, tr, t, lang, labelEl } from './app.js';

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
    ...d, decisions: undefined, list: list(d.list), among: list(d.among), candidates: list(d.candidates),
    without: list(d.without), proceed: list(d.proceed),
    // A counted consent is shown from its numbers, in the chosen language.
    consent: d.vote ? t('taken.consent_vote', { way: t(`consent.${d.vote.way}`), for: d.vote.for, against: d.vote.against, abstain: d.vote.abstain, base: d.vote.base })
      : d.consent,
  });
  const items = (decisions || []).filter((d) => d?.decision);
  if (!items.length) return null;
  return h('div', { class: 'decisions-taken', id: 'decisions-taken' },
    h('h3', { i18n: 'presidium.taken' }),
    h('ul', {}, items.map((d) => h('li', { 'data-taken': d.decision }, tr(`taken.${d.decision}`, args(d)),
      // A review: each strike or addition with its reason and who decided.
      d.decision === 'review' ? h('ul', { class: 'review-items' }, (d.decisions || []).map(reviewItem)) : null))));
}

// ---------------------------------------------------------------------
// Stages (RULES §9): what the round's `stage`, `groups` and `amended_by`
// say, rendered as given. The service words the rules (`rule_zh`,
// `rule_en`) and decides every list; nothing here recounts or re-derives.

/// Text the service words in both languages, shown in the current one.
export function worded(zh, en) {
  return raw(lang() === 'en' ? (en ?? zh) : zh);
}

const join = (xs) => (xs || []).join('、');

/// One strike or addition of a qualification review, with its reason and
/// who decided.
export function reviewItem(d) {
  return h('li', { 'data-review': d.action, 'data-name': d.name },
    tr(d.action === 'add' ? 'taken.review_add' : 'taken.review_strike', { name: d.name, reason: d.reason, by: d.by }));
}

/// The earlier votes of a cadre record, one line each.
function recordList(record, id) {
  // The meeting as recorded (or as the service names one of this
  // meeting's own votes) is data, shown as it is.
  return h('ul', { class: 'record-list', id }, (record || []).map((x) => h('li', { 'data-nominee': x.nominee },
    raw(x.meeting), tr('stage.record_sep'),
    tr('stage.record_row', {
      nominee: x.nominee, post: x.post, for: x.for, against: x.against,
      abstain: x.abstain, entitled: x.entitled, passed: t(x.passed ? 'stage.passed' : 'stage.not_passed'),
    }))));
}

/// The stage facts of a round as lines: the group it is or combines, the
/// organisation's nominees, the next stage's size with its rule, the
/// rating rule, the stage's own method, a cadre vote's record, deferrals
/// and refusals, and the review its list came from. `ref(roundId)` names
/// a round ("第 1 轮（民主推荐）").
export function stageLines(round, ref) {
  const s = round.stage || {};
  const out = [];
  if (s.group) out.push(h('p', { id: 'stage-group' }, tr('stage.group_of', { name: s.group.name, round: ref(s.group.of) })));
  if (s.combined) out.push(h('p', { id: 'stage-combined' }, tr('stage.combined', { n: (s.combined.groups || []).length })));
  if (s.organisation) {
    out.push(h('p', { id: 'stage-organisation' }, tr('stage.organisation', { name: s.organisation.name, names: join(s.organisation.nominees) })));
  }
  if (s.next_rule) {
    out.push(h('p', { id: 'stage-next-rule', 'data-size': s.next_rule.size?.min },
      tr('stage.next_rule'), ' ', worded(s.next_rule.rule_zh, s.next_rule.rule_en)));
  }
  if (s.rating) out.push(h('p', { id: 'stage-rating' }, tr('stage.rating'), ' ', worded(s.rating.rule_zh, s.rating.rule_en)));
  if (s.method) out.push(tr('stage.own_method', null, 'p'));
  if (s.record?.length) out.push(h('div', { id: 'stage-record' }, tr('stage.record_title', null, 'h3'), recordList(s.record)));
  if (s.deferred?.length) {
    out.push(h('div', { id: 'stage-deferred' }, tr('stage.deferred_title', null, 'h3'),
      h('ul', {}, s.deferred.map((d) => h('li', { 'data-nominee': d.nominee }, tr('stage.deferred', { name: d.nominee, reason: d.reason }))))));
  }
  for (const r of s.refused || []) {
    out.push(h('div', { class: 'msg error refused', 'data-refused': r.nominee },
      tr('stage.refused', { name: r.nominee, n: r.failed.length, post: r.post }, 'p'), recordList(r.failed)));
  }
  const a = round.amended_by;
  if (a) {
    out.push(h('div', { id: 'stage-amended', 'data-from': a.number },
      tr('stage.amended', { round: ref(a.round) }, 'p'),
      h('ul', {}, (a.review.decisions || []).map(reviewItem)),
      tr('stage.amended_list', { list: join(a.review.list) }, 'p')));
  }
  return out;
}

/// Whether a round has stage facts to show.
export function hasStage(round) {
  const s = round?.stage;
  if (round?.amended_by) return true;
  if (!s) return false;
  return !!(s.group || s.combined || s.organisation || s.next_rule || s.rating || s.method
    || s.record?.length || s.deferred?.length || s.refused?.length);
}

/// A combined round's groups, each posted apart: its electorate, its
/// ballots and its own tally; a group re-held says which round is
/// counted and which it superseded.
export function groupTallies(round) {
  return (round.groups || []).map((g, i) => h('div', { class: 'group-tally', 'data-group': i + 1, 'data-state': g.state },
    h('h3', {}, raw(g.name ?? '')),
    // A group re-held: the round counted, and the rounds it superseded.
    g.superseded?.length ? h('p', { class: 'muted', 'data-superseded': g.superseded.map((x) => x.number).join(',') },
      tr('estage.combined_group', { name: g.name, n: g.number }),
      tr('estage.combined_superseded', { list: g.superseded.map((x) => x.number).join('、') })) : null,
    g.result?.status ? [
      g.result.quorum ? tr('stage.group_facts', { entitled: g.result.quorum.entitled, present: g.result.quorum.present }, 'p') : null,
      ballotsLine(g.result),
      tallyTable(g.result, { id: null }),
    ] : tr('stage.group_open', null, 'p')));
}

/// The per-person table of a rated evaluation (`ratings` of the result):
/// each level's count per item, approvals, disapprovals and flags.
export function ratingsTable(result, rating) {
  const levels = rating?.levels || [];
  return h('table', { class: 'tally ratings', id: 'ratings' },
    h('thead', {}, h('tr', {},
      h('th', { i18n: 'result.candidate' }),
      h('th', { i18n: 'stage.item' }),
      levels.map((l) => h('th', { class: 'num' }, raw(l))),
      h('th', { class: 'num', i18n: 'stage.approvals' }),
      h('th', { class: 'num', i18n: 'stage.disapprovals' }),
      h('th', { i18n: 'stage.flags' }))),
    h('tbody', {}, (result.ratings || []).flatMap((p) => (p.items || []).map((it, k) => h('tr', { 'data-name': p.name },
      h('td', {}, k === 0 ? raw(p.name) : ''),
      h('td', {}, it.item ? raw(it.item) : ''),
      (it.levels || []).map((n) => h('td', { class: 'num' }, n)),
      h('td', { class: 'num' }, k === 0 ? p.approvals : ''),
      h('td', { class: 'num' }, k === 0 ? p.disapprovals : ''),
      h('td', {}, k === 0 ? flags(p) : ''))))));
}

/// The flags of a row or a person: not listed, and the removal procedure.
export function flags(x) {
  return [
    x.flagged ? h('span', { class: 'badge error', 'data-flag': 'flagged', i18n: 'stage.flagged' }) : null,
    x.removal ? h('span', { class: 'badge warn', 'data-flag': 'removal', i18n: 'stage.removal' }) : null,
  ];
}

/// The combined tally of a combined round: the organisation's nominees
/// first (listed directly, no votes), then the summed counts as the
/// service sends them.
export function combinedTable(round, result) {
  const table = tallyTable(result, { id: 'combined-tally' });
  const nominees = round.stage?.organisation?.nominees || [];
  const body = table.querySelector('tbody');
  body.prepend(...nominees.map((n) => h('tr', { 'data-name': n, 'data-standing': 'organisation' },
    h('td', {}, raw(n)), h('td', { class: 'num' }, '—'), h('td', { class: 'num' }, '—'), h('td', { class: 'num' }, '—'),
    h('td', {}, tr('stage.organisation_row', { name: round.stage.organisation.name })))));
  return table;
}
