// How rounds are named to people: "支部委员会委员 · 第 2 轮 · 重新投票",
// counted within their election, never by the service's id ("r7" is for
// machines). Also the election-wide result (GET …/elections/{e}/result),
// which the election page and the hall display share.

import { h, raw, tr, t, labelEl, api } from './app.js';

/// The 1-based number of a round within its election, from the meeting
/// view (`elections[].rounds` are in the order held), or null.
export function roundNumber(meeting, roundId) {
  for (const e of meeting?.elections || []) {
    const i = (e.rounds || []).findIndex((r) => r.id === roundId);
    if (i >= 0) return i + 1;
  }
  return null;
}

function findRound(meeting, roundId) {
  for (const e of meeting?.elections || []) {
    const r = (e.rounds || []).find((x) => x.id === roundId);
    if (r) return { ...r, contest: e.contest };
  }
  return null;
}

/// "第 2 轮（重新投票）" as plain text, for sentences.
export function roundRef(meeting, roundId, kind) {
  const n = roundNumber(meeting, roundId);
  const k = kind ?? findRound(meeting, roundId)?.kind;
  if (n == null) return k ? t(`kind.${k}`) : '';
  return t('round.ref', { n, kind: k ? t(`kind.${k}`) : '' });
}

/// "支部委员会委员 · 第 2 轮 · 重新投票" for a heading or a button.
export function roundName(meeting, r) {
  const n = roundNumber(meeting, r.id);
  const contest = r.contest ?? findRound(meeting, r.id)?.contest ?? '';
  return h('span', { class: 'round-title', 'data-round-number': n ?? '' },
    raw(contest), ' · ', n != null ? tr('round.number', { n }) : '', n != null ? ' · ' : '', labelEl('kind', r.kind));
}

/// The election as a whole, as the service puts it together.
export function electionResult(meeting, election) {
  return api('GET', `/meetings/${meeting}/elections/${encodeURIComponent(election)}/result`);
}

/// The elected names of an election's result, in its order; on the
/// election page with the round that elected each.
export function electedList(result, { id = null, big = false } = {}) {
  return h('ol', { class: `elected-list${big ? ' big' : ''}`, id },
    (result.elected || []).map((e) => h('li', { 'data-name': e.name },
      raw(e.name, 'span'),
      big ? null : h('span', { class: 'muted' }, ' ', tr('election.elected_in', { n: e.number, kind: t(`kind.${e.kind}`) })))));
}
