// 选举结果: an election as a whole — every round in the order held, the
// final list of those elected across all of them, and the words the chair
// reads aloud — from GET …/elections/{e}/result (the service puts it
// together; nothing is recounted here). The presidium announces the whole
// election from here (one logged decision per round not yet announced) and
// opens the hall display. Prints as the election's report.

import {
  start, api, h, raw, tr, fill, $, t, lang, onLangChange, fail, sayKey, confirmDialog, liveRound, labelEl,
} from './app.js';
import { electionResult, electedList } from './rounds.js';
import { worded, reviewItem } from './results.js';
import { pdfButton } from './paper.js';

const LIST_KINDS = ['nomination', 'evaluation', 'preliminary'];
const S = { who: null, meeting: null, election: null, result: null, stop: null, watching: null };

function chosen() {
  return new URLSearchParams(location.search).get('election');
}

async function load() {
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  const els = S.meeting.elections || [];
  fill($('#elections'), els.map((e) => h('a', {
    class: `btn${e.id === S.election ? ' primary' : ''}`, 'data-election': e.id,
    href: `/election.html?election=${encodeURIComponent(e.id)}`,
  }, raw(e.contest))));
  if (!els.length) { fill($('#elections'), h('p', { class: 'msg info', i18n: 'election.none' })); return; }
  if (!S.election) S.election = chosen() || els[0].id;
  await refresh();
}

async function refresh() {
  S.result = await electionResult(S.who.meeting, S.election);
  render();
  follow();
}

/// Follows the election's latest round live: a decision, a close, a
/// certification or an announcement there changes the election.
function follow() {
  const rounds = S.result?.rounds || [];
  const last = rounds[rounds.length - 1];
  if (!last || S.watching === last.id) return;
  if (S.stop) S.stop();
  S.watching = last.id;
  let pending = null;
  let seen = null;
  S.stop = liveRound(S.who.meeting, last.id, (type, data) => {
    if (type !== 'state') return;
    const key = `${data.state}|${data.status}|${data.announced}|${data.checkpoint?.size}`;
    if (seen === null) { seen = key; return; }
    if (key === seen) return;
    seen = key;
    clearTimeout(pending);
    pending = setTimeout(() => refresh().catch(fail), 200);
  });
}

function waitingLine(r) {
  if (r.complete) {
    return h('span', { class: `badge ${r.announced ? 'ok' : 'warn'}`, id: 'election-badge', 'data-complete': 'true',
      i18n: r.announced ? 'election.announced' : 'election.complete' });
  }
  return h('span', { class: 'badge warn', id: 'election-badge', 'data-waiting': r.waiting, i18n: `election.waiting.${r.waiting}` });
}

function render() {
  const r = S.result;
  $('#election').classList.remove('hidden');
  fill($('#election-title'), raw(r.contest), ' ', tr('election.seats', { n: r.seats }));
  fill($('#election-state'), waitingLine(r),
    r.seats_initial !== r.seats ? h('span', {}, ' ', tr('election.reduced', { from: r.seats_initial, to: r.seats })) : null);
  fill($('#elected-heading'), tr(r.order === 'votes' ? 'election.elected_votes' : 'election.elected_strokes', { n: r.elected.length }));
  fill($('#elected'), r.elected.length ? electedList(r, { id: 'elected-list' }) : tr('election.nobody_yet', null, 'p'));
  const text = r.announcement ? (lang() === 'en' ? r.announcement.en : r.announcement.zh) : null;
  $('#announcement-card').classList.toggle('hidden', !text);
  fill($('#announcement'), text ? raw(text) : '');
  renderActions(r);
  renderRounds(r);
}

function renderActions(r) {
  const presidium = S.who.role === 'presidium';
  const pending = unannounced(r);
  fill($('#election-actions'),
    presidium && r.complete && pending.length
      ? h('button', { type: 'button', class: 'btn primary big', id: 'announce-election', onclick: () => announce(pending).catch(fail) },
        tr('election.announce', { n: r.elected.length }))
      : null,
    ['presidium', 'display'].includes(S.who.role)
      ? h('a', { class: 'btn big', id: 'hall-link', href: `/hall.html?election=${encodeURIComponent(r.election)}`, i18n: 'election.hall' })
      : null,
    h('button', { type: 'button', class: 'btn big', id: 'print-election', i18n: 'election.print', onclick: () => window.print() }),
    pdfButton(() => `${r.contest ?? ''}-${S.meeting?.name ?? ''}`));
}

/// The closed electing rounds not announced yet (all certified once the
/// election is complete).
function unannounced(r) {
  return (r.rounds || []).filter((x) => x.electing && x.state === 'closed' && !x.announced);
}

async function announce(rounds) {
  const r = S.result;
  const body = h('div', {}, tr('election.announce_body', { contest: r.contest, n: r.elected.length, rounds: rounds.length }, 'p'),
    electedList(r));
  const ok = await confirmDialog({ title: t('election.announce', { n: r.elected.length }), body, danger: true, confirmKey: 'decision.confirm' });
  if (!ok) return;
  for (const x of rounds) {
    try {
      await api('POST', `/meetings/${S.who.meeting}/rounds/${x.id}/decisions`, { decision: 'announce' });
    } catch (e) {
      // Announced meanwhile (another presidium screen): that is the goal.
      if (e.code !== 'already_decided') throw e;
    }
  }
  sayKey('election.announced_now', { contest: r.contest }, 'ok');
  await refresh();
}

function renderRounds(r) {
  fill($('#election-rounds'), h('table', { id: 'rounds-table' },
    h('thead', {}, h('tr', {},
      h('th', { i18n: 'election.round' }), h('th', { i18n: 'setup.kind' }), h('th', { class: 'num', i18n: 'setup.seats' }),
      h('th', { i18n: 'estage.heading' }),
      h('th', { i18n: 'setup.state' }), h('th', { i18n: 'election.outcome' }), h('th', { i18n: 'election.round_elected' }),
      h('th', { class: 'no-print' }))),
    h('tbody', {}, r.rounds.map((x) => h('tr', { 'data-number': x.number, 'data-state': x.state },
      h('td', {}, tr('round.number', { n: x.number })),
      h('td', {}, labelEl('kind', x.kind), x.origin ? h('span', { class: 'muted' }, ' ', h('span', { i18n: `origin.${x.origin}` })) : null),
      h('td', { class: 'num' }, x.seats),
      h('td', { class: 'stage-facts' }, stageFacts(x.stage)),
      h('td', {}, x.status ? labelEl('status', x.status) : labelEl('state', x.state),
        x.announced ? h('span', {}, ' · ', h('span', { i18n: 'presidium.announced' })) : null),
      h('td', {}, x.outcome ? labelEl('outcome', x.outcome === 'complete' && LIST_KINDS.includes(x.kind) ? 'list_complete' : x.outcome) : (x.state === 'closed' ? h('span', { class: 'muted', i18n: 'election.not_visible' }) : '')),
      h('td', {}, x.elected?.length ? raw(x.elected.join('、')) : ''),
      h('td', { class: 'no-print' }, x.state === 'closed' && x.result
        ? h('a', { class: 'btn small', href: `/report.html?round=${encodeURIComponent(x.id)}`, i18n: 'action.report' }) : ''))))));
}

/// A round's place in its stage (`stage` of GET …/elections/{e}/result),
/// as the service gives it, every round named by its number: the group
/// it is or the groups it combines (each with the rounds its re-runs
/// superseded), the next stage's size with its rule, the qualification
/// review taken on it or its list came from, and the re-run relation.
function stageFacts(s) {
  if (!s) return null;
  const line = (attrs, ...kids) => h('div', attrs, ...kids);
  const join = (xs) => raw((xs || []).join('、'));
  const out = [];
  if (s.role === 'group') {
    out.push(line({ 'data-stage': 'group' }, tr('estage.group', { name: s.group, of: s.of })));
    if (s.electorate) out.push(line({ 'data-stage': 'electorate' }, tr('estage.electorate', s.electorate)));
  } else if (s.role === 'combined') {
    out.push(line({ 'data-stage': 'combined' }, tr('estage.combined'),
      (s.groups || []).map((g, i) => h('span', { 'data-group': g.name, 'data-number': g.number },
        i ? tr('estage.sep') : null, tr('estage.combined_group', { name: g.name, n: g.number }),
        g.superseded?.length ? tr('estage.combined_superseded', { list: g.superseded.join('、') }) : null))));
    if (s.organisation) {
      out.push(line({ 'data-stage': 'organisation' },
        tr('estage.organisation', { name: s.organisation.name }), join(s.organisation.nominees)));
    }
  } else if (s.role === 'section') {
    out.push(line({ 'data-stage': 'section' }, tr('estage.section')));
  }
  if (s.next_rule) {
    out.push(line({ 'data-stage': 'size', 'data-size': s.next_rule.size }, tr('estage.rule'), worded(s.next_rule.rule_zh, s.next_rule.rule_en)));
  } else if (s.next_size !== undefined && s.next_size !== null) {
    out.push(line({ 'data-stage': 'size', 'data-size': s.next_size }, tr('estage.size', { n: s.next_size })));
  }
  if (s.review) {
    out.push(line({ 'data-stage': 'review' }, tr('estage.review'), join(s.review.list),
      s.review.decisions?.length ? h('ul', { class: 'review-items' }, s.review.decisions.map(reviewItem)) : null));
  }
  if (s.amended_by) {
    out.push(line({ 'data-stage': 'amended', 'data-from': s.amended_by.number },
      tr('estage.amended', { n: s.amended_by.number }), join(s.amended_by.list)));
  }
  if (s.rerun_of) out.push(line({ 'data-stage': 'rerun-of', 'data-of': s.rerun_of }, tr('estage.rerun_of', { n: s.rerun_of })));
  if (s.superseded_by) {
    out.push(line({ class: 'muted', 'data-stage': 'superseded', 'data-by': s.superseded_by }, tr('estage.superseded_by', { n: s.superseded_by })));
  }
  return out;
}

async function main() {
  S.who = await start('election.screen', ['presidium', 'scrutineer', 'auditor', 'organiser', 'display']);
  if (!S.who) return;
  onLangChange(() => { if (S.result) render(); });
  await load();
}

main().catch(fail);
