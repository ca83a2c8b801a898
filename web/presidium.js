// 主席团: the live count of a round, per candidate, against the threshold
// line and the seat cut-off; the quorum and box checks; the outcome and the
// decision it calls for, taken only through an explicit confirmation. Every
// view says which log checkpoint it reflects.

import {
  start, api, h, raw, tr, fill, $, t, onLangChange, fail, sayKey, confirmDialog, liveRound,
  roundsOf, labelEl, checkpointLine,
} from './app.js';
import { roundName, roundRef, roundNumber } from './rounds.js';
import {
  outcome, ballotsLine, thresholdLine, statusBadge, standing, decisionsTaken,
  stageLines, hasStage, groupTallies, combinedTable, ratingsTable, flags, worded,
} from './results.js';

const LIST_KINDS = ['nomination', 'evaluation', 'preliminary'];
const S = { who: null, readOnly: false, meeting: null, roundId: null, round: null, view: null, stop: null, live: false };

async function loadRounds() {
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  const rounds = roundsOf(S.meeting);
  fill($('#rounds'), rounds.map((r) => h('button', {
    type: 'button', class: `btn${r.id === S.roundId ? ' primary' : ''}`, 'data-round': r.id, 'aria-pressed': String(r.id === S.roundId),
    onclick: () => selectRound(r.id).catch(fail),
  }, roundName(S.meeting, r), ' ', labelEl('state', r.state))),
  (S.meeting.elections || []).filter((e) => (e.rounds || []).length).map((e) => h('a', {
    class: 'btn', 'data-election-link': e.id, href: `/election.html?election=${encodeURIComponent(e.id)}`,
  }, h('span', { i18n: 'election.open' }), ' · ', raw(e.contest))));
  if (!rounds.length) fill($('#rounds'), h('p', { class: 'msg info', i18n: 'presidium.no_rounds' }));
  if (!S.roundId && rounds.length) {
    const live = rounds.filter((r) => r.state !== 'draft');
    await selectRound((live[live.length - 1] || rounds[rounds.length - 1]).id);
  }
}

async function selectRound(id) {
  if (S.stop) S.stop();
  S.roundId = id;
  S.view = null;
  $('#round').classList.remove('hidden');
  await refresh();
  await loadRounds();
  // Another selection (a click while this one loaded) has the screen now,
  // or starts its own stream: one stream per screen, never a stray one.
  if (S.roundId !== id) return;
  if (S.stop) S.stop();
  S.stop = liveRound(S.who.meeting, id, (type, data) => {
    S.live = true;
    if (type === 'tally') {
      S.view = { ...(S.view || {}), ...data, result: data.result };
      render();
    } else if (type === 'state') {
      const before = S.round?.state;
      S.round = { ...S.round, ...data };
      if (S.view) S.view.checkpoint = data.checkpoint;
      render();
      if (before !== data.state || data.status !== S.view?.status) refresh().catch(fail);
    }
  }, () => { S.live = false; renderLive(); });
}

async function refresh() {
  const m = S.who.meeting;
  S.round = await api('GET', `/meetings/${m}/rounds/${S.roundId}`);
  // A round made by a decision (here or on another screen) is named by
  // its number in the election: the meeting view must know it.
  if (S.round.next_round && roundNumber(S.meeting, S.round.next_round) == null) {
    S.meeting = await api('GET', `/meetings/${m}`);
  }
  try {
    S.view = S.round.state === 'draft' ? null : await api('GET', `/meetings/${m}/rounds/${S.roundId}/result`);
  } catch (e) {
    S.view = null;
    if (e.code !== 'not_announced') fail(e);
    else sayKey('presidium.not_announced', null, 'info');
  }
  render();
}

function renderLive() {
  fill($('#live'), tr(S.live ? 'presidium.live_on' : 'presidium.live_off'));
}

function render() {
  const r = S.round;
  const v = S.view;
  // A partial count carries no method: the meeting's adopted one applies.
  const res = v?.result ? { method: S.meeting?.method?.effective, ...v.result } : null;
  fill($('#round-title'), roundName(S.meeting, r), ' ', statusBadge(v?.status ?? r.status));
  fill($('#round-checkpoint'), checkpointLine(v?.checkpoint ?? r.checkpoint ?? null));
  renderLive();
  renderChecks(r, res, v);
  renderStage(r, res);
  renderChart(r, res);
  renderOutcome(r, res, v);
  $('#report-link').href = `/report.html?round=${encodeURIComponent(r.id)}`;
  $('#report-link').classList.toggle('hidden', r.state !== 'closed');
}

function renderChecks(r, res, v) {
  const f = r.facts || {};
  const q = res?.quorum;
  const met = q ? q.met : S.meeting.attendance?.quorum_met;
  const required = q ? q.required : S.meeting.attendance?.quorum_required;
  fill($('#quorum'),
    met == null ? h('span', { class: 'badge warn', i18n: 'presidium.unknown' })
      : h('span', { class: `badge ${met ? 'ok' : 'error'}`, i18n: met ? 'quorum.met' : 'quorum.not_met' }),
    tr('presidium.quorum_facts', { present: f.present ?? q?.present ?? '—', entitled: f.entitled ?? q?.entitled ?? '—', required: required ?? '—' }, 'p'));
  const box = res?.box_check;
  fill($('#box'),
    box ? h('span', { class: `badge ${box.valid ? 'ok' : 'error'}`, i18n: box.valid ? 'box.valid' : 'box.void' })
      : h('span', { class: 'badge warn', i18n: 'box.pending' }),
    box ? tr('presidium.box_facts', { returned: box.returned, limit: box.limit, base: t(`box.${box.base}`) }, 'p') : null);
  fill($('#ballots'), res && r.state === 'closed' ? ballotsLine({ ballots: { issued: f.issued, ...(res.ballots || {}) } })
    : tr('presidium.batches', { counted: r.batches?.ballots_counted ?? 0, issued: f.issued ?? '—' }, 'p'));
  const cos = r.state === 'closed' ? v?.cosignatures : null;
  fill($('#cosign'), cos ? [
    h('span', { class: `badge ${r.status === 'certified' || v.status === 'certified' ? 'ok' : 'warn'}`, i18n: (v.status === 'certified') ? 'status.certified' : 'presidium.awaiting_signatures' }),
    h('p', {}, tr('scrutiny.cosigned', { n: cos.by.length, k: cos.required, of: cos.of }), ' ', raw(cos.by.join('、')))]
    : h('span', { class: 'badge warn', i18n: 'presidium.not_closed' }));
}

function renderChart(r, res) {
  if (!res?.tally) { fill($('#chart'), tr('presidium.no_tally', null, 'p')); fill($('#threshold')); return; }
  fill($('#threshold'), thresholdLine(res));
  const rows = [...res.tally].map((x, i) => ({ ...x, order: i }))
    .sort((a, b) => b.for - a.for || a.order - b.order);
  const base = res.threshold_base ?? res.ballots?.returned ?? Math.max(1, ...rows.map((x) => x.for + x.against + x.abstain));
  const scale = Math.max(base, ...rows.map((x) => x.for + x.against), 1);
  const seats = LIST_KINDS.includes(r.kind) ? (r.next_size ?? r.seats) : r.seats;
  const out = [];
  // A group with equal votes straddling the cut-off is not split by the
  // 应选 line (it goes to a runoff whole): the line is drawn above the
  // group, marked as a tie, and closed below it.
  const straddles = seats && rows.length > seats && rows[seats - 1].for === rows[seats].for;
  const tieFrom = straddles ? rows.findIndex((x) => x.for === rows[seats].for) : -1;
  const tieTo = straddles ? rows.length - [...rows].reverse().findIndex((x) => x.for === rows[seats].for) : -1;
  rows.forEach((x, i) => {
    const cutKey = LIST_KINDS.includes(r.kind) ? 'presidium.cutoff_list' : 'presidium.cutoff';
    if (straddles && i === tieFrom) {
      out.push(h('div', { class: 'cutoff tied', id: 'cutoff-tied' },
        tr('presidium.cutoff_tied', { n: seats, k: tieTo - tieFrom, left: seats - tieFrom })));
    } else if (straddles && i === tieTo) {
      out.push(h('div', { class: 'cutoff tied-end', 'aria-hidden': 'true' }));
    } else if (!straddles && seats && i === seats) out.push(h('div', { class: 'cutoff', id: 'cutoff' }, tr(cutKey, { n: seats })));
    const bar = h('div', { class: 'bar', role: 'img', 'aria-label': t('presidium.bar_label', { name: x.name, for: x.for, base }), 'data-raw-label': '' });
    const forEl = h('span', { class: 'for' });
    forEl.style.width = `${(100 * x.for) / scale}%`;
    const againstEl = h('span', { class: 'against' });
    againstEl.style.left = `${(100 * x.for) / scale}%`;
    againstEl.style.width = `${(100 * x.against) / scale}%`;
    bar.append(forEl, againstEl);
    if (res.threshold != null && res.threshold_applies !== false) {
      // The majority line itself (base × 1/2 under the default method): a
      // bar must pass it, touching it is not enough under a strict rule.
      const f = res.method?.threshold;
      const at = f && res.threshold_base != null ? (res.threshold_base * f.num) / f.den : res.threshold - 0.5;
      const line = h('span', { class: 'threshold' });
      line.style.left = `${(100 * at) / scale}%`;
      bar.append(line);
    }
    out.push(h('div', { class: `tally-row${straddles && i >= tieFrom && i < tieTo ? ' in-tie' : ''}`, 'data-name': x.name, 'data-standing': res.status ? standing(res, x) : '' },
      h('span', { class: 'name' }, raw(x.name)), bar,
      h('span', { class: 'counts' }, tr('presidium.counts', { for: x.for, against: x.against, abstain: x.abstain })),
      h('span', { class: `standing st-${res.status ? standing(res, x) : 'none'}` }, res.status ? labelEl('standing', standing(res, x)) : '', ' ', flags(x))));
  });
  if (straddles && tieTo === rows.length) out.push(h('div', { class: 'cutoff tied-end', 'aria-hidden': 'true' }));
  if (seats && rows.length === seats) {
    out.push(h('div', { class: 'cutoff', id: 'cutoff' }, tr(LIST_KINDS.includes(r.kind) ? 'presidium.cutoff_list' : 'presidium.cutoff', { n: seats })));
  }
  fill($('#chart'), out);
}

/// The stage of the round (RULES §9) as the service gives it: its facts
/// and rules, a combined round's groups each posted apart and the
/// combined tally, a rated evaluation's table, the clauses it is decided
/// under.
function renderStage(r, res) {
  const staged = hasStage(r);
  $('#stage-card').classList.toggle('hidden', !staged);
  fill($('#stage'), staged ? stageLines(r, (id) => roundRef(S.meeting, id)) : null,
    res?.ratings ? ratingsTable(res, r.stage?.rating) : null);
  fill($('#clauses'), staged ? (r.clauses || []).map((c) => h('li', {}, worded(c.zh, c.en))) : null);
  const combined = !!r.stage?.combined;
  $('#groups-card').classList.toggle('hidden', !combined);
  fill($('#groups'), combined ? groupTallies(r) : null);
  fill($('#combined'), combined && res?.tally ? combinedTable(r, res) : (combined ? tr('stage.group_open', null, 'p') : null));
}

/// The decisions the service offers the presidium now (the round's
/// `offered_decisions`), as {decision, body, args} for a button: the
/// service decides which apply; this only words them.
function decisionsFor(r) {
  const join = (xs) => (xs || []).join('、');
  return (r.offered_decisions || []).map((o) => {
    const d = { decision: o.decision, body: { decision: o.decision }, args: {} };
    switch (o.decision) {
      case 'proceed_without': return { ...d, reason: true, without: o.without, args: { names: join(o.without) } };
      case 'accept_list': return { ...d, body: { decision: o.decision, list: o.list }, args: { list: join(o.list) } };
      case 'call_runoff': return { ...d, args: { among: join(o.among), seats: o.seats } };
      case 'call_supplementary': return { ...d, args: { n: o.seats } };
      case 'reduce_seats': return { ...d, reduce: true, args: { from: o.from, to: o.to, min: o.min, max: o.max } };
      case 'announce': return { ...d, args: { elected: join(o.elected) } };
      case 'review': return { ...d, review: true, list: o.list || [], args: { list: join(o.list) } };
      default: return d;
    }
  });
}

/// The election's scrutineers with no key whom no decision excused.
function keyless(r) {
  return (r.scrutineers || []).filter((x) => !x.key && !x.excused).map((x) => x.name);
}

function renderOutcome(r, res, v) {
  fill($('#outcome'), res?.status ? outcome(res) : tr(r.state === 'open' ? 'presidium.counting' : 'presidium.no_outcome', null, 'p'),
    r.next_round ? tr('presidium.next_round', { round: roundRef(S.meeting, r.next_round) }, 'p') : null,
    (v?.announced || r.announced) ? h('p', { class: 'badge ok', i18n: 'presidium.announced' }) : null,
    res?.status && v?.status !== 'certified' && r.state === 'closed' ? tr('presidium.await_certification', null, 'p') : null,
    r.state === 'open' && keyless(r).length ? h('p', { class: 'msg warn', id: 'keyless' }, tr('presidium.keyless', { names: keyless(r).join('、') })) : null,
    decisionsTaken(r.decisions));
  if (S.readOnly) { fill($('#decisions')); return; }
  fill($('#decisions'), decisionsFor(r).map((d) => h('button', {
    type: 'button', class: 'btn primary big', 'data-decision': d.decision,
    onclick: () => decide(d).catch(fail),
  }, tr(`decision.${d.decision}`, d.args))));
}

/// The qualification review (资格审查): for each name on the accepted list
/// a box to strike it with the reason, rows to add names with theirs, and
/// who decided. The service applies it to its list (`offered_decisions`'s
/// `list`) and logs it, signed on this device like every decision.
async function review(d) {
  const byInput = h('input', { type: 'text', id: 'review-by', maxlength: '100', placeholder: t('presidium.review_by_default'), 'aria-label': t('presidium.review_by') });
  const rows = d.list.map((name, i) => {
    const strike = h('input', { type: 'checkbox', id: `review-strike-${i}`, 'data-name': name });
    const reason = h('input', { type: 'text', maxlength: '500', 'data-reason-for': name, 'aria-label': t('presidium.review_reason') });
    return { name, strike, reason, el: h('tr', { 'data-name': name },
      h('td', {}, raw(name)), h('td', {}, h('label', {}, strike, ' ', h('span', { i18n: 'presidium.review_strike' }))), h('td', {}, reason)) };
  });
  const adds = [];
  const addBody = h('tbody', {});
  const addRow = () => {
    const name = h('input', { type: 'text', maxlength: '100', class: 'review-add-name', 'aria-label': t('presidium.review_add_name') });
    const reason = h('input', { type: 'text', maxlength: '500', class: 'review-add-reason', 'aria-label': t('presidium.review_reason') });
    adds.push({ name, reason });
    addBody.append(h('tr', {}, h('td', {}, name), h('td', {}, reason)));
  };
  addRow();
  const error = h('p', { class: 'msg error hidden', id: 'review-error' });
  const decisions = () => [
    ...rows.filter((x) => x.strike.checked).map((x) => ({ action: 'strike', name: x.name, reason: x.reason.value.trim() })),
    ...adds.filter((x) => x.name.value.trim() || x.reason.value.trim()).map((x) => ({ action: 'add', name: x.name.value.trim(), reason: x.reason.value.trim() })),
  ];
  const valid = () => {
    const ds = decisions();
    const key = !ds.length ? 'presidium.review_none' : ds.some((x) => !x.name || !x.reason) ? 'presidium.review_reason_needed' : null;
    error.classList.toggle('hidden', !key);
    if (key) fill(error, tr(key));
    return !key;
  };
  const body = h('div', { id: 'review-form' },
    tr('presidium.review_body', { list: d.args.list }, 'p'),
    h('table', { class: 'review-table', id: 'review-list' },
      h('thead', {}, h('tr', {}, h('th', { i18n: 'result.candidate' }), h('th', { i18n: 'presidium.review_strike' }), h('th', { i18n: 'presidium.review_reason' }))),
      h('tbody', {}, rows.map((x) => x.el))),
    tr('presidium.review_add', null, 'h3'),
    h('table', { class: 'review-table', id: 'review-add' },
      h('thead', {}, h('tr', {}, h('th', { i18n: 'presidium.review_add_name' }), h('th', { i18n: 'presidium.review_reason' }))),
      addBody),
    h('p', {}, h('button', { type: 'button', class: 'btn small', id: 'review-add-row', i18n: 'presidium.review_add_row', onclick: addRow })),
    h('label', { class: 'field' }, h('span', { i18n: 'presidium.review_by' }), ' ', byInput),
    error);
  const ok = await confirmDialog({ title: tr('decision.review', d.args), body, valid, danger: true, confirmKey: 'decision.confirm' });
  if (!ok) return;
  const by = byInput.value.trim();
  const res = await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/decisions`, {
    decision: 'review', decisions: decisions().map((x) => (by ? { ...x, by } : x)),
  });
  await refresh();
  await loadRounds();
  sayKey('presidium.review_recorded', { list: (res.decision?.list || []).join('、') }, 'ok');
}

async function decide(d) {
  if (d.review) { await review(d); return; }
  let body = d.body;
  let input = null;
  let to = null;
  if (d.reason) {
    input = h('input', { type: 'text', id: 'decision-reason', maxlength: '200', 'aria-label': t('decision.reason') });
    input.required = true;
  }
  // Seats reduced with the electors' consent: a counted vote (for,
  // against, abstain), never a free-text box; by the presidium: a note.
  const electors = S.meeting?.method?.effective?.seat_reduction !== 'presidium';
  const present = S.meeting?.attendance?.present ?? S.round?.facts?.present;
  const num = (id) => { const x = h('input', { type: 'number', min: '0', id, size: '5' }); x.required = true; return x; };
  const vote = electors ? { way: h('select', { id: 'consent-way' },
    h('option', { value: 'hands', i18n: 'consent.hands' }), h('option', { value: 'ballot', i18n: 'consent.ballot' })),
  yes: num('consent-for'), against: num('consent-against'), abstain: num('consent-abstain') } : null;
  let need = null;
  if (d.reduce) {
    to = h('input', { type: 'number', min: String(d.args.min ?? 1), max: d.args.max != null ? String(d.args.max) : undefined, value: d.args.to, id: 'reduce-to', 'aria-label': t('decision.reduce_to') });
    input = electors ? vote.yes : h('input', { type: 'text', maxlength: '200', id: 'consent-note', 'aria-label': t('decision.consent_note') });
    need = electors ? h('p', { id: 'consent-need' }, tr('consent.need', { base: present ?? '—', need: present != null ? Math.floor(present / 2) + 1 : '—' })) : null;
  }
  const field = (key, el) => h('label', { class: 'field' }, h('span', { i18n: key }), ' ', el);
  const bodyEl = h('div', {}, tr(d.reduce ? (electors ? 'decision.reduce_seats_vote_body' : 'decision.reduce_seats_presidium_body') : `decision.${d.decision}_body`, d.args, 'p'),
    to ? h('label', {}, h('span', { i18n: 'decision.reduce_to' }), ' ', to) : null,
    d.reduce && electors ? h('div', { class: 'row' }, field('consent.way', vote.way), field('consent.for', vote.yes),
      field('consent.against', vote.against), field('consent.abstain', vote.abstain)) : null,
    need,
    d.reduce && !electors ? h('label', { i18n: 'decision.consent_note' }) : null,
    d.reason ? h('label', { i18n: 'decision.consent' }) : null);
  const filled = () => !vote || [vote.yes, vote.against, vote.abstain].every((x) => x.value.trim() !== '');
  const ok = await confirmDialog({ title: tr(`decision.${d.decision}`, d.args), body: bodyEl, input: d.reduce && electors ? null : input, valid: d.reduce ? filled : null, danger: true, confirmKey: 'decision.confirm' });
  if (!ok) return;
  if (d.reason) body = { decision: d.decision, without: d.without, reason: input.value.trim() };
  if (d.reduce) {
    body = { decision: 'reduce_seats', to: Number(to.value) };
    if (electors) body.vote = { way: vote.way.value, for: Number(vote.yes.value), against: Number(vote.against.value), abstain: Number(vote.abstain.value) };
    else if (input.value.trim()) body.consent = input.value.trim();
  }
  const res = await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/decisions`, body);
  await refresh();
  await loadRounds();
  if (res.round?.id) sayKey('decision.recorded_round', { round: roundRef(S.meeting, res.round.id, res.round.kind) }, 'ok');
  else sayKey('decision.recorded', null, 'ok');
}

async function main() {
  S.who = await start('presidium.screen', ['presidium', 'display']);
  if (!S.who) return;
  // The display's screen is the hall display, not this one read-only.
  if (S.who.role === 'display') { location.replace('/hall.html'); return; }
  S.readOnly = S.who.role !== 'presidium';
  onLangChange(() => { if (S.round) render(); loadRounds().catch(fail); });
  await loadRounds();
}

main().catch(fail);
