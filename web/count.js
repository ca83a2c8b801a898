// 计票: a counter enters paper ballots, one at a time, from the keyboard.
//
// One key per line (1/Y for, 2/N against, 3/A abstain, 4/? illegible), W
// for a write-in on an against line, Enter for the next ballot, Backspace to
// undo. The ballots of one paper batch are kept on this device until the
// batch is submitted; a second counter enters the same batch on their own
// screen and never sees this one's reading (the service compares them).
//
// What the screen enters is a *sheet*: the lines of one round, or — a
// ballot paper with several contests (书记, 副书记, 委员: `stage.paper` of
// its section rounds) — every section's lines in print order, the cursor
// flowing from one section into the next; each section goes to its own
// round as its own batch. A rated evaluation (`ballot.rating`) is entered
// as a table: one row per person (and item), one digit per row for its
// level. The rules (selection limits, write-ins, the blank convention, the
// table and its ticks per row) are the service's, as each round's
// `ballot` gives them; the screen derives none.

import {
  start, api, h, raw, tr, fill, $, t, lang, onLangChange, fail, say, sayKey, confirmDialog,
  roundsOf, markKey, randomId, labelEl, ApiError,
} from './app.js';
import { roundName, roundRef } from './rounds.js';
import { liveBanner, clearLiveBanner } from './live.js';

const MARKS = ['Y', 'N', 'A', '?'];
const KEY_TO_MARK = { 1: 'Y', y: 'Y', 2: 'N', n: 'N', 3: 'A', a: 'A', 4: '?', '?': '?' };
const MARK_CLASS = { Y: 'Y', N: 'N', A: 'A', '?': 'Q' };
/// A rated row's value: the level's number ('1' the best) or BLANK_ROW
/// (no tick, or several: the row counts for no level).
const BLANK_ROW = '0';

const S = {
  who: null,
  meeting: null,
  method: null,
  round: null, // GET rounds/{r}: the round on screen (a paper's first section)
  sheet: null, // what is entered: its parts (rounds) and the cursor's stops
  batch: null, // { label, size, ballots: [], idems: {round: key}, sent: {round: reply} }
  cur: null, // the ballot being entered
  closed: false, // the round closed while this screen was on it
  watch: null, // the timer that follows the round
  watchNew: null, // the timer that looks for a round opened
  mine: {}, // round id → the batches this counter entered there
};

/// How often the screen asks whether its round is still open (counters get
/// no event stream: it would show them the count of others).
const WATCH_MS = 2000;

const INPUTS = '#entry button, #batch-form button, #batch-form input, #totals-form button, #totals-form input';

// ---- the sheet: one round, or every section of one paper ----

/// The sheet of `rounds` (one round, or a paper's sections in print
/// order): the parts and the stops of the cursor (a line, or a rated row).
function makeSheet(rounds, paper) {
  const rating = rounds.length === 1 ? (rounds[0].ballot?.rating ?? null) : null;
  const parts = [];
  const units = [];
  rounds.forEach((round, p) => {
    const names = rating ? rating.rows.map((row) => ({ name: row.person, item: row.item, lines: row.lines }))
      : round.candidates.map((name) => ({ name }));
    parts.push({ round, offset: units.length, count: names.length });
    names.forEach((u, local) => units.push({ ...u, part: p, local }));
  });
  return { id: paper ? paper.paper : rounds[0].id, paper, parts, units, rating };
}

function isPaper() { return !!S.sheet?.paper; }
function partOf(i) { return S.sheet.parts[S.sheet.units[i].part]; }
function unitName(i) {
  const u = S.sheet.units[i];
  return u.item ? `${u.name}·${u.item}` : u.name;
}
function sent(id) { return !!S.batch?.sent?.[id]; }
function anySent() { return S.sheet.parts.some((p) => sent(p.round.id)); }

/// Follows the round on screen (every section of a paper): once one is no
/// longer open, entry stops with a banner, before anything more is typed.
function watchRound() {
  clearInterval(S.watch);
  S.watch = setInterval(async () => {
    if (!S.round || S.closed) return;
    try {
      for (const part of S.sheet?.parts ?? [{ round: S.round }]) {
        const r = await api('GET', `/meetings/${S.who.meeting}/rounds/${part.round.id}`);
        if (r.state !== 'open') { roundClosed(r); return; }
        if (r.counting === 'totals' && !$('#totals').classList.contains('hidden') && r.totals?.state !== S.round.totals?.state) {
          // Sent back for re-entry, or reconciled: the form follows.
          S.round = r;
          renderTotalsState();
        }
      }
    } catch (e) { /* offline for a moment: the next poll retries */ }
  }, WATCH_MS);
}

function roundClosed(r) {
  S.closed = true;
  clearInterval(S.watch);
  const typing = S.cur && !S.cur.void && S.cur.marks.some((m) => m !== null) ? 1 : 0;
  const n = S.batch ? S.batch.ballots.length + typing : 0;
  fill($('#round-closed-text'), roundName(S.meeting, r || S.round), ' ',
    tr(n ? 'count.round_closed_unsent' : 'count.round_closed', { batch: S.batch?.label ?? '', n }));
  $('#round-closed').classList.remove('hidden');
  for (const b of document.querySelectorAll(INPUTS)) b.disabled = true;
  if (S.batch) dropDraft();
  $('#closed-other-round').focus();
  watchForOpen(r?.id ?? S.round?.id);
}

function enableInputs() {
  for (const b of document.querySelectorAll(INPUTS)) b.disabled = false;
}

/// With no round to enter (the one on screen closed, or none open yet),
/// asks every 2 s whether a round opened; a banner then offers it.
function watchForOpen(except) {
  clearInterval(S.watchNew);
  S.watchNew = setInterval(async () => {
    try {
      const m = await api('GET', `/meetings/${S.who.meeting}`);
      const open = roundsOf(m).filter((r) => r.state === 'open' && r.id !== except);
      if (!open.length) return;
      clearInterval(S.watchNew);
      S.meeting = m;
      const r = open[0];
      liveBanner('live.new_open', { round: roundRef(m, r.id, r.kind) }, {
        key: 'live.go',
        onclick: () => {
          S.round = null; S.sheet = null; S.batch = null; S.cur = null; S.closed = false;
          $('#round-closed').classList.add('hidden');
          enableInputs();
          pickRound().catch(fail);
        },
      });
    } catch (e) { /* offline for a moment: the next poll retries */ }
  }, WATCH_MS);
}

function emptyBallot() {
  return { marks: S.sheet.units.map(() => null), writeIns: {}, void: null, cursor: 0, history: [] };
}

// ---- drafts: a batch survives a reload or a closed tab on this device ----

function draftKey() {
  return `scrutineer.draft.${S.who.meeting}.${S.who.person}.${S.sheet.id}`;
}
function saveDraft() {
  if (!S.batch) return;
  // Submitted from another tab of this device: never written back.
  // (After the key being handled has finished with the batch.)
  if (submittedHere(S.batch.label)) { setTimeout(() => { if (S.batch) staleBatch('count.stale_submitted'); }, 0); return; }
  localStorage.setItem(draftKey(), JSON.stringify({ batch: S.batch, cur: S.cur }));
}
function loadDraft() {
  let d = null;
  try { d = JSON.parse(localStorage.getItem(draftKey()) || 'null'); } catch (e) { d = null; }
  if (d?.batch && submittedHere(d.batch.label)) { dropDraft(); return null; }
  if (d?.batch) {
    d.batch.idems = d.batch.idems || (d.batch.idem ? { [S.round.id]: d.batch.idem } : {});
    d.batch.sent = d.batch.sent || {};
  }
  return d;
}
function dropDraft() { localStorage.removeItem(draftKey()); }

// Two tabs on one batch: the labels submitted from this device, per round
// (per paper), so a tab still holding a submitted batch drops it instead of
// writing the stale draft back (issue 12, item 11).
function doneKey() {
  return `scrutineer.done.${S.who.meeting}.${S.who.person}.${S.sheet.id}`;
}
function submittedLabels() {
  try { return JSON.parse(localStorage.getItem(doneKey()) || '[]'); } catch (e) { return []; }
}
function submittedHere(label) {
  return submittedLabels().includes(String(label).toLowerCase());
}
function markSubmitted(label) {
  const done = submittedLabels();
  done.push(String(label).toLowerCase());
  localStorage.setItem(doneKey(), JSON.stringify(done));
}

/// The batch on this screen was submitted or given up in another tab.
function staleBatch(key) {
  const label = S.batch?.label;
  S.batch = null;
  S.cur = null;
  liveBanner(key, { batch: label ?? '' });
  batchStart().catch(fail);
}

function onStorage(e) {
  if (!S.round || !S.batch || !S.who) return;
  if (e.key === doneKey() && submittedHere(S.batch.label)) staleBatch('count.stale_submitted');
  else if (e.key === draftKey() && e.newValue === null) staleBatch('count.stale_dropped');
}

// ---- ballots as the API takes them ----

/// The part `p` of a sheet's ballot as its round's API takes it: a void
/// paper is void in every section; a rated row ticks its level's line
/// (`rating.tick`), every other cell blank (`rating.blank`).
function partBallot(b, p) {
  if (b.void) return { void: b.void };
  const part = S.sheet.parts[p];
  const own = b.marks.slice(part.offset, part.offset + part.count);
  const r = S.sheet.rating;
  if (r) {
    const cells = part.round.candidates.map(() => r.blank);
    r.rows.forEach((row, i) => {
      const v = own[i];
      if (v && v !== BLANK_ROW) cells[row.lines[Number(v) - 1]] = r.tick;
    });
    return cells.join('');
  }
  const marks = own.join('');
  const w = Object.entries(b.writeIns)
    .map(([k, v]) => [Number(k) - part.offset, v])
    .filter(([k, v]) => k >= 0 && k < part.count && v && v.trim());
  if (!w.length) return marks;
  return { marks, write_ins: Object.fromEntries(w.map(([k, v]) => [String(k), v.trim()])) };
}

/// Selections in part `p` of a ballot: for-marks plus write-ins on
/// against lines.
function selections(b, p = 0) {
  const part = S.sheet.parts[p];
  let n = 0;
  for (let i = part.offset; i < part.offset + part.count; i++) {
    if (b.marks[i] === 'Y') n++;
    if (b.marks[i] === 'N' && b.writeIns[i] && b.writeIns[i].trim()) n++;
  }
  return n;
}

/// The parts of a ballot over their round's selection limit: each such
/// section is void on its own (the rule engine decides it at the tally).
function overvoted(b) {
  if (b.void || S.sheet.rating) return [];
  return S.sheet.parts.map((part, p) => ({ p, part, n: selections(b, p), limit: part.round.ballot?.selection_limit ?? null }))
    .filter((x) => x.limit != null && x.n > x.limit);
}

function marksText(b) {
  if (b.void) return t('count.void_short');
  const text = (from, to) => b.marks.slice(from, to).map((m) => m ?? '·').join('');
  let s = S.sheet.parts.map((part) => text(part.offset, part.offset + part.count)).join(' | ');
  const w = Object.values(b.writeIns).filter((v) => v && v.trim());
  if (w.length) s += ` + ${w.join('、')}`;
  return s;
}

// ---- screens ----

function show(id) {
  for (const s of ['pick', 'batch-start', 'entry', 'submitted', 'totals']) $(`#${s}`).classList.toggle('hidden', s !== id);
}

/// Whether this counter is assigned to election `e` (the meeting view's
/// `assigned`), so a paper is offered as one sheet only where every
/// section takes this counter's entries.
function assignedTo(e) {
  const el = (S.meeting.elections || []).find((x) => x.id === e);
  return !!el?.assigned?.some((a) => a.person === S.who.person);
}

/// What the counter may enter now: each open round, and each paper whose
/// sections are all open and counted ballot by ballot, as one sheet.
async function choices() {
  const open = roundsOf(S.meeting).filter((r) => r.state === 'open');
  const views = await Promise.all(open.map((r) => api('GET', `/meetings/${S.who.meeting}/rounds/${r.id}`).catch(() => null)));
  const byId = new Map(views.filter(Boolean).map((v) => [v.id, v]));
  const papers = [];
  const seen = new Set();
  for (const v of byId.values()) {
    const p = v.stage?.paper;
    if (!p || seen.has(p.paper)) continue;
    seen.add(p.paper);
    const sections = p.sections.map((id) => byId.get(id));
    if (sections.every((s) => s && s.counting !== 'totals' && assignedTo(s.election))) papers.push({ paper: p, sections });
  }
  return { open, papers };
}

async function pickRound({ auto = true } = {}) {
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  S.method = S.meeting.method?.effective ?? null;
  const { open, papers } = await choices();
  const inPaper = new Set(papers.flatMap((p) => p.paper.sections));
  const alone = open.filter((r) => !inPaper.has(r.id));
  if (auto && papers.length === 1 && !alone.length) return openPaper(papers[0]);
  if (auto && !papers.length && open.length === 1) return openRound(open[0].id);
  show('pick');
  if (!open.length) {
    watchForOpen(null);
    fill($('#rounds'), h('p', { class: 'msg info', i18n: 'count.no_open_round' }),
      h('button', { type: 'button', class: 'btn', i18n: 'action.refresh', onclick: () => pickRound().catch(fail) }));
    return;
  }
  fill($('#rounds'),
    papers.map((p) => h('button', {
      type: 'button', class: 'btn big primary', 'data-paper': p.paper.paper, onclick: () => openPaper(p).catch(fail),
    }, tr('count.paper_pick', { n: p.sections.length }), ' ', raw(p.sections.map((s) => s.contest).join('、')))),
    papers.length ? h('p', { class: 'muted', i18n: 'count.paper_alone' }) : null,
    open.map((r) => h('button', {
      type: 'button', class: 'btn big', 'data-round': r.id, onclick: () => openRound(r.id).catch(fail),
    }, roundName(S.meeting, r))));
  $('#rounds button')?.focus();
}

/// Resets the screen for the sheet just chosen, and restores its draft.
async function begin() {
  clearInterval(S.watchNew);
  clearLiveBanner();
  S.closed = false;
  S.batch = null;
  S.cur = null;
  $('#round-closed').classList.add('hidden');
  enableInputs();
  watchRound();
  if (!S.method) {
    S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
    S.method = S.meeting.method?.effective ?? null;
  }
  if (S.round.counting === 'totals' && !isPaper()) return showTotals();
  const draft = loadDraft();
  if (draft?.batch) {
    S.batch = draft.batch;
    S.cur = draft.cur || emptyBallot();
    sayKey('count.draft_restored', { batch: S.batch.label, n: S.batch.ballots.length }, 'info');
    return enterBatch();
  }
  return batchStart();
}

async function openRound(id) {
  S.round = await api('GET', `/meetings/${S.who.meeting}/rounds/${id}`);
  S.sheet = makeSheet([S.round], null);
  return begin();
}

/// A paper entered as one sheet: its sections in print order.
async function openPaper(p) {
  const sections = await Promise.all(p.paper.sections.map((id) => api('GET', `/meetings/${S.who.meeting}/rounds/${id}`)));
  S.round = sections[0];
  S.sheet = makeSheet(sections, p.paper);
  return begin();
}

// ---- a round counted by hand (唱票): the totals ----

function showTotals() {
  show('totals');
  fill($('#totals-heading'), roundName(S.meeting, S.round));
  const num = (cls, i) => h('input', { type: 'number', min: '0', required: true, size: '5', class: `t-${cls}`, 'data-line': String(i),
    'aria-label': `${S.round.candidates[i]} ${t(`result.${cls === 'for' ? 'for' : cls}`)}`, 'data-raw-label': '' });
  fill($('#totals-table tbody'), S.round.candidates.map((c, i) => h('tr', { 'data-line': String(i) },
    h('td', { raw: true }, c), h('td', { class: 'num' }, num('for', i)), h('td', { class: 'num' }, num('against', i)), h('td', { class: 'num' }, num('abstain', i)))));
  renderTotalsState();
  checkTotals();
  $('#totals-table input')?.focus();
}

function totalsBody() {
  const v = (el) => Number(el.value || 0);
  return {
    valid: v($('#totals-valid')), void: v($('#totals-void')),
    lines: S.round.candidates.map((_, i) => ({
      for: v($(`.t-for[data-line="${i}"]`)), against: v($(`.t-against[data-line="${i}"]`)), abstain: v($(`.t-abstain[data-line="${i}"]`)),
    })),
  };
}

/// Each candidate's three numbers must make the valid ballots.
function checkTotals() {
  const b = totalsBody();
  const bad = b.lines.map((l, i) => ({ i, sum: l.for + l.against + l.abstain })).filter((x) => x.sum !== b.valid);
  fill($('#totals-check'), bad.length && $('#totals-valid').value !== '' ? h('div', { class: 'msg warn', id: 'totals-mismatch' },
    bad.map((x) => tr('totals.sum_mismatch', { name: S.round.candidates[x.i], sum: x.sum, valid: b.valid }, 'p'))) : null);
  return !bad.length;
}

function renderTotalsState() {
  const st = S.round.totals || {};
  const mine = st.mine;
  const done = !!mine || st.state === 'reconciled';
  $('#totals-form').classList.toggle('hidden', done);
  fill($('#totals-state'), done ? h('p', { class: st.state === 'reconciled' ? 'msg ok' : 'msg info', id: 'totals-done', 'data-state': st.state },
    tr(st.state === 'reconciled' ? 'totals.reconciled' : st.state === 'differences' ? 'totals.differ' : 'totals.entered')) : null);
}

async function submitTotals(e) {
  e.preventDefault();
  if (!checkTotals()) return;
  try {
    const res = await api('POST', `/meetings/${S.who.meeting}/rounds/${S.round.id}/totals`, totalsBody());
    sayKey(res.state === 'reconciled' ? 'totals.reconciled' : res.state === 'differences' ? 'totals.differ' : 'totals.entered', null, 'ok');
    S.round = await api('GET', `/meetings/${S.who.meeting}/rounds/${S.round.id}`);
    renderTotalsState();
  } catch (err) { fail(err); }
}

/// The heading of the sheet: the round, or every section of the paper.
function sheetHeading() {
  if (!isPaper()) return roundName(S.meeting, S.round);
  return h('span', {}, tr('count.paper_heading', { n: S.sheet.parts.length }), ' ',
    S.sheet.parts.flatMap((part, p) => [p ? ' / ' : '', raw(part.round.contest)]));
}

async function batchStart() {
  show('batch-start');
  fill($('#round-heading'), sheetHeading());
  $('#order-note').dataset.i18n = isPaper() ? 'count.paper_order_note' : 'count.order_note';
  $('#order-note').textContent = t($('#order-note').dataset.i18n);
  renderSheetNote();
  $('#batch-form').reset();
  $('#batch-label').focus();
  await refreshMyBatches();
}

/// What the batch screen says of a paper or a rated table.
function renderSheetNote() {
  const note = $('#sheet-note');
  note.classList.toggle('hidden', !isPaper() && !S.sheet.rating);
  if (isPaper()) fill(note, tr('count.paper_note', { n: S.sheet.parts.length }, 'p'), tr('count.paper_secret', null, 'p'));
  else if (S.sheet.rating) fill(note, tr('count.rating_note', null, 'p'), ruleText(S.sheet.rating, 'p'));
  else fill(note);
}

/// The rating's rule as the service words it, in the current language.
function ruleText(r, tag = 'span') {
  return h(tag, { class: 'rating-rule', raw: true, lang: lang() }, lang() === 'en' ? r.rule_en : r.rule_zh);
}

async function refreshMyBatches() {
  let total = 0;
  const rows = [];
  S.mine = {};
  for (const [p, part] of S.sheet.parts.entries()) {
    let batches = [];
    try {
      batches = await api('GET', `/meetings/${S.who.meeting}/rounds/${part.round.id}/batches`);
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
    }
    S.mine[part.round.id] = batches;
    let own = 0;
    for (const b of batches) {
      const e = b.own_entry || {};
      const n = typeof e.ballots === 'number' ? e.ballots
        : Array.isArray(e.ballots) ? e.ballots.length : (b.ballots ?? 0);
      own += n;
      rows.push(h('tr', { 'data-batch': b.id, 'data-round': part.round.id },
        h('td', {}, raw(b.id), isPaper() ? [' · ', raw(part.round.contest)] : null), h('td', { class: 'num' }, n),
        h('td', {}, e.entry ? labelEl('entry', e.entry) : ''),
        h('td', {}, labelEl('batch_state', b.state))));
    }
    if (p === 0) total = own;
  }
  fill($('#my-batches tbody'), rows);
  const issued = S.round.facts?.issued;
  fill($('#round-progress'), tr(issued != null ? 'count.round_progress' : 'count.round_progress_no_issued', { n: total, issued }));
}

/// The sections of the paper where this counter already entered `label`.
function labelUsed(label) {
  const l = label.toLowerCase();
  return S.sheet.parts.filter((part) => (S.mine[part.round.id] || []).some((b) => String(b.id).toLowerCase() === l));
}

function enterBatch() {
  show('entry');
  if (!S.cur) S.cur = emptyBallot();
  $('#rest-blank').classList.toggle('hidden', !!S.sheet.rating);
  renderKeys();
  render();
  $('#ballot').focus();
}

// ---- the ballot ----

/// A section's head on a paper: its contest, its limit and, when this
/// ballot overvotes it, that it is void on its own.
function sectionHead(part, p, over) {
  const limit = part.round.ballot?.selection_limit ?? null;
  return h('div', { class: `section-head${over ? ' overvote' : ''}`, 'data-section': String(p), 'data-round': part.round.id },
    h('span', { class: 'section-no' }, tr('count.paper_section_no', { n: p + 1, count: S.sheet.parts.length })), ' ',
    h('strong', { raw: true }, part.round.contest), ' ',
    limit == null ? null : h('span', { class: 'muted' }, tr('count.limit', { n: limit })),
    over ? h('span', { class: 'section-void' }, ' ', tr('count.paper_section_void', { n: over.n, limit: over.limit })) : null);
}

function lineEl(i) {
  const b = S.cur;
  const u = S.sheet.units[i];
  const r = partOf(i).round;
  const m = b.marks[i];
  const line = h('div', { class: `line${i === b.cursor && !b.void ? ' current' : ''}`, role: 'listitem', 'data-line': i, 'data-mark': m ?? '', 'data-section': String(u.part) },
    h('span', { class: 'no' }, `${u.local + 1}`),
    h('span', { class: 'name', raw: true }, u.name),
    h('span', { class: 'marks' }, MARKS.map((mk) => h('button', {
      type: 'button', tabindex: '-1', class: `btn mark ${MARK_CLASS[mk]}`, 'aria-pressed': String(m === mk), 'data-mark': mk,
      onclick: () => { b.pastEnd = false; setMark(i, mk); $('#ballot').focus(); },
    }, h('span', { class: 'key', raw: true }, keyHint(mk)), h('span', { i18n: markKey(r.kind, mk) })))));
  if (r.ballot?.write_ins_allowed && m === 'N') {
    const input = h('input', {
      type: 'text', class: 'writein-input', 'data-line': i, maxlength: '40', value: b.writeIns[i] ?? '',
      'data-i18n-placeholder': 'count.writein_placeholder', placeholder: t('count.writein_placeholder'),
      'aria-label': t('count.writein_label', { name: u.name }), 'data-raw-label': '',
    });
    input.addEventListener('input', () => { b.writeIns[i] = input.value; touched(); renderSide(); });
    input.addEventListener('keydown', writeInKeys);
    line.append(h('span', { class: 'writein' }, h('span', { i18n: 'count.writein' }), input));
  }
  return line;
}

/// A rated row: the person (and item), one button per level, and the
/// blank row (no tick, or several).
function rowEl(i) {
  const b = S.cur;
  const u = S.sheet.units[i];
  const r = S.sheet.rating;
  const v = b.marks[i];
  return h('div', { class: `line rating-row${i === b.cursor && !b.void ? ' current' : ''}`, role: 'listitem', 'data-line': i, 'data-mark': v ?? '' },
    h('span', { class: 'no' }, `${i + 1}`),
    h('span', { class: 'name' }, raw(u.name), u.item ? h('span', { class: 'item', raw: true }, u.item) : null),
    h('span', { class: 'marks' },
      r.levels.map((level, l) => h('button', {
        type: 'button', tabindex: '-1', class: `btn mark level${l === 0 ? ' Y' : ''}`, 'aria-pressed': String(v === String(l + 1)), 'data-level': String(l + 1),
        onclick: () => { b.pastEnd = false; tick(i, String(l + 1)); $('#ballot').focus(); },
      }, h('span', { class: 'key', raw: true }, String(l + 1)), h('span', { raw: true }, level))),
      h('button', {
        type: 'button', tabindex: '-1', class: 'btn mark A', 'aria-pressed': String(v === BLANK_ROW), 'data-level': BLANK_ROW,
        onclick: () => { b.pastEnd = false; tick(i, BLANK_ROW); $('#ballot').focus(); },
      }, h('span', { class: 'key', raw: true }, BLANK_ROW), h('span', { i18n: 'count.rating_blank' }))));
}

function render() {
  const b = S.cur;
  const no = S.batch.ballots.length + 1;
  fill($('#ballot-no'), tr('count.ballot_no', { n: no, size: S.batch.size }));
  const limit = isPaper() || S.sheet.rating ? null : (S.round.ballot?.selection_limit ?? null);
  fill($('#ballot-rule'), limit == null ? '' : tr('count.limit', { n: limit }));
  if (S.sheet.rating) fill($('#convention'), tr('count.rating_convention', { n: S.sheet.rating.ticks_per_row }), ' ', ruleText(S.sheet.rating));
  else fill($('#convention'), tr(S.round.ballot?.mark_convention === 'blank_is_for' ? 'count.convention_blank_for' : 'count.convention_default'));
  $('#ballot').classList.toggle('void', !!b.void);
  $('#ballot').classList.toggle('paper', isPaper());
  const voidNote = $('#void-note');
  voidNote.classList.toggle('hidden', !b.void);
  if (b.void) fill(voidNote, tr(isPaper() ? 'count.paper_void_note' : 'count.void_note'), ' ', raw(b.void));
  const over = new Map(overvoted(b).map((x) => [x.p, x]));
  fill($('#lines'), S.sheet.units.map((u, i) => [
    isPaper() && u.local === 0 ? sectionHead(S.sheet.parts[u.part], u.part, over.get(u.part)) : null,
    S.sheet.rating ? rowEl(i) : lineEl(i),
  ]).flat());
  renderSide();
  const cur = $('.line.current');
  if (cur && document.activeElement?.closest?.('#entry')) cur.scrollIntoView({ block: 'nearest' });
}

function keyHint(mk) {
  return { Y: '1 / Y', N: '2 / N', A: '3 / A', '?': '4 / ?' }[mk];
}

function renderSide() {
  const n = S.batch.ballots.length;
  fill($('#batch-title'), tr('count.batch_title', { batch: S.batch.label }));
  fill($('#batch-progress'), tr('count.batch_progress', { n, size: S.batch.size }));
  const left = S.batch.size - n;
  fill($('#batch-remaining'), left > 0 ? tr('count.batch_remaining', { n: left })
    : left === 0 ? tr('count.batch_full') : tr('count.batch_over', { n: -left }));
  fill($('#sections-sent'), isPaper() ? S.sheet.parts.map((part) => h('li', { 'data-round': part.round.id, 'data-sent': String(sent(part.round.id)) },
    raw(part.round.contest), ' ', tr(sent(part.round.id) ? 'count.paper_section_sent' : 'count.paper_section_unsent'))) : null);
  fill($('#entered'), S.batch.ballots.map((b, i) => h('li', { 'data-index': i },
    h('span', {}, `${i + 1}.`), h('span', { class: 'marks-text', raw: true }, marksText(b)))).reverse());
  const warn = $('#warning-slot');
  const over = overvoted(S.cur);
  if (!over.length) fill(warn);
  else if (!isPaper()) fill(warn, h('p', { class: 'overvote', id: 'overvote-warning' }, tr('count.overvote_now', { n: over[0].n, limit: over[0].limit })));
  else {
    fill(warn, h('div', { class: 'overvote', id: 'overvote-warning' }, over.map((x) => h('p', { 'data-section': String(x.p) },
      tr('count.paper_overvote_now', { section: x.part.round.contest, n: x.n, limit: x.limit }))), tr('count.paper_others_count', null, 'p')));
  }
}

function renderKeys() {
  const rest = $('#rest-blank');
  rest.dataset.i18n = blankMark(S.round) === 'Y' ? 'count.rest_blank_for' : 'count.rest_blank';
  rest.textContent = t(rest.dataset.i18n);
  const k = (keys, textKey, args) => h('li', {}, h('span', {}, keys.map((x) => h('kbd', {}, x))), tr(textKey, args));
  const r = S.sheet.rating;
  if (r) {
    fill($('#keys'),
      r.levels.map((level, l) => h('li', {}, h('span', {}, h('kbd', {}, String(l + 1))), raw(level))),
      k([BLANK_ROW], 'count.rating_key_blank'),
      k(['↑', '↓'], 'count.rating_key_move'),
      k(['Del'], 'count.rating_key_clear'),
      k(['Enter'], 'count.key_next'),
      k(['⌫'], 'count.key_undo'),
      k(['V'], 'count.key_void'),
      k(['R'], 'count.key_repeat'),
      k(['Ctrl', 'Enter'], 'count.key_submit'));
    return;
  }
  const allowW = S.sheet.parts.some((part) => part.round.ballot?.write_ins_allowed);
  fill($('#keys'),
    k(['1', 'Y'], markKey(S.round.kind, 'Y')),
    k(['2', 'N'], markKey(S.round.kind, 'N')),
    k(['3', 'A'], markKey(S.round.kind, 'A')),
    k(['4', '?'], 'mark.illegible'),
    allowW ? k(['W'], 'count.key_writein') : null,
    k(['↑', '↓'], isPaper() ? 'count.paper_key_move' : 'count.key_move'),
    k(['Del'], 'count.sheet_key_clear_line'),
    k(['Enter'], 'count.key_next'),
    k(['⌫'], 'count.key_undo'),
    k(['V'], isPaper() ? 'count.paper_key_void' : 'count.key_void'),
    k(['R'], 'count.key_repeat'),
    k(['0'], blankMark(S.round) === 'Y' ? 'count.key_rest_for' : 'count.key_rest_abstain'),
    k(['Ctrl', 'Enter'], 'count.key_submit'));
}

/// Something changed: a retry of a failed submission must not reuse the
/// idempotency key with a different body.
function touched() {
  S.batch.idems = {};
  saveDraft();
}

/// A paper partly submitted: the sections on record cannot change, so
/// neither can the sheet; only the rest can be submitted.
function lockedBySent() {
  if (!S.batch || !anySent()) return false;
  sayKey('count.paper_partly_sent', null, 'warn');
  flashBallot();
  return true;
}

function setMark(line, mark) {
  const b = S.cur;
  if (b.void || lockedBySent()) return;
  b.history.push({ line, mark: b.marks[line], writeIn: b.writeIns[line] ?? null, cursor: b.cursor });
  b.marks[line] = mark;
  if (mark !== 'N') delete b.writeIns[line];
  b.cursor = Math.min(line + 1, b.marks.length - 1);
  if (line === b.marks.length - 1 && b.marks.every((m) => m)) b.cursor = line;
  // Marking the last line ends the ballot: the next mark key is refused
  // until the person moves back (↑ or a click) to correct a line.
  b.pastEnd = line === b.marks.length - 1;
  touched();
  render();
}

/// A rated row takes one level (`rating.ticks_per_row`, the service's
/// rule: a second tick in a row is refused there, naming the row). A row
/// the paper ticks twice is entered blank (0): it counts for no level.
function tick(row, value) {
  const b = S.cur;
  if (b.void || lockedBySent()) return;
  const had = b.marks[row];
  if (had && had !== BLANK_ROW && value !== BLANK_ROW && had !== value) {
    const level = S.sheet.rating.levels[Number(had) - 1];
    sayKey('count.rating_two_ticks', { name: unitName(row), level, n: S.sheet.rating.ticks_per_row }, 'warn');
    b.cursor = row;
    flashBallot();
    render();
    return;
  }
  setMark(row, value);
}

/// Delete: the current line (row) is cleared, to be marked again.
function clearLine() {
  const b = S.cur;
  if (b.void || lockedBySent()) return;
  const line = b.cursor;
  if (!b.marks[line]) return;
  b.history.push({ line, mark: b.marks[line], writeIn: b.writeIns[line] ?? null, cursor: b.cursor });
  b.marks[line] = null;
  delete b.writeIns[line];
  b.pastEnd = false;
  touched();
  render();
}

function flashBallot() {
  const el = $('#ballot');
  el.classList.remove('refused');
  void el.offsetWidth;
  el.classList.add('refused');
}

function move(delta) {
  const b = S.cur;
  b.pastEnd = false;
  b.cursor = Math.max(0, Math.min(b.marks.length - 1, b.cursor + delta));
  render();
}

/// W opens the write-in of the current line if it is an against line, else
/// of the line just marked against (marking moves the cursor on).
function openWriteIn() {
  const b = S.cur;
  let line = b.cursor;
  if (b.marks[line] !== 'N') {
    const last = b.history[b.history.length - 1];
    if (last && b.marks[last.line] === 'N') line = last.line;
  }
  if (!partOf(line).round.ballot?.write_ins_allowed) { sayKey('count.writein_not_allowed', null, 'warn'); return; }
  if (b.marks[line] !== 'N') { sayKey('count.writein_needs_against', null, 'warn'); return; }
  b.cursor = line;
  render();
  $(`.writein-input[data-line="${line}"]`)?.focus();
}

function writeInKeys(e) {
  if (e.key === 'Enter' || e.key === 'Escape' || e.key === 'Tab') {
    e.preventDefault();
    e.stopPropagation();
    if (e.key === 'Escape') {
      const line = Number(e.target.dataset.line);
      delete S.cur.writeIns[line];
      touched();
    }
    const b = S.cur;
    b.cursor = Math.min(b.cursor + 1, b.marks.length - 1);
    render();
    $('#ballot').focus();
  }
}

/// What an unmarked line means under the method of its round (RULES §3.3):
/// 弃权 by default, 赞成 where a blank counts as for.
function blankMark(round) {
  return round.ballot?.mark_convention === 'blank_is_for' ? 'Y' : 'A';
}

/// 0: every line not marked yet takes the blank meaning (the paper
/// convention for the lines a voter left alone). Backspace undoes them
/// one line at a time, like marks typed.
function restBlank() {
  const b = S.cur;
  if (b.void || S.sheet.rating || lockedBySent()) return;
  const lines = b.marks.map((m, i) => (m ? -1 : i)).filter((i) => i >= 0);
  if (!lines.length) { sayKey('count.rest_none', null, 'info'); return; }
  for (const line of lines) {
    b.history.push({ line, mark: null, writeIn: null, cursor: b.cursor });
    b.marks[line] = blankMark(partOf(line).round);
  }
  b.cursor = b.marks.length - 1;
  b.pastEnd = true;
  touched();
  render();
}

/// R: this ballot reads exactly as the one entered before it (a stack of
/// identical papers). Only on an empty ballot; Backspace undoes it.
function repeatBallot() {
  const b = S.cur;
  if (lockedBySent()) return;
  const prev = S.batch.ballots[S.batch.ballots.length - 1];
  if (!prev) { sayKey('count.repeat_none', null, 'warn'); return; }
  if (b.void || b.marks.some((m) => m !== null)) { sayKey('count.repeat_not_empty', null, 'warn'); return; }
  if (prev.void) { sayKey('count.repeat_void', null, 'warn'); return; }
  prev.marks.forEach((mark, line) => {
    b.history.push({ line, mark: null, writeIn: null, cursor: b.cursor });
    b.marks[line] = mark;
  });
  b.writeIns = { ...prev.writeIns };
  b.cursor = b.marks.length - 1;
  b.pastEnd = true;
  touched();
  sayKey('count.repeated', { n: S.batch.ballots.length }, 'info');
  render();
}

function undo() {
  const b = S.cur;
  if (lockedBySent()) return;
  say('');
  if (b.void) { b.void = null; touched(); render(); return; }
  const last = b.history.pop();
  b.pastEnd = false;
  if (last) {
    b.marks[last.line] = last.mark;
    if (last.writeIn === null) delete b.writeIns[last.line]; else b.writeIns[last.line] = last.writeIn;
    b.cursor = last.line;
    touched();
    render();
    return;
  }
  // A reopened ballot is being corrected: Backspace clears its marks, one
  // at a time from the last line, and never takes another ballot back.
  if (b.reopened) {
    const line = b.marks.map((m, i) => (m ? i : -1)).filter((i) => i >= 0).pop();
    if (line === undefined) { sayKey('count.reopened_empty', { n: S.batch.ballots.length + 1 }, 'info'); return; }
    b.marks[line] = null;
    delete b.writeIns[line];
    b.cursor = line;
    b.pastEnd = false;
    touched();
    render();
    return;
  }
  if (!S.batch.ballots.length) return;
  const prev = S.batch.ballots.pop();
  S.cur = { marks: prev.marks, writeIns: prev.writeIns, void: prev.void, cursor: prev.marks.length - 1, history: [], reopened: true, pastEnd: !prev.void };
  touched();
  sayKey('count.reopened', { n: S.batch.ballots.length + 1 }, 'info');
  render();
}

async function nextBallot() {
  const b = S.cur;
  if (S.batch.ballots.length >= S.batch.size && !b.void && b.marks.every((m) => m === null)) {
    return submitBatch();
  }
  if (lockedBySent()) return;
  if (!b.void) {
    const missing = b.marks.findIndex((m) => m === null);
    if (missing >= 0) {
      b.cursor = missing;
      render();
      const u = S.sheet.units[missing];
      if (S.sheet.rating) sayKey('count.rating_row_missing', { n: missing + 1, name: unitName(missing) }, 'warn');
      else if (isPaper()) sayKey('count.paper_line_missing', { section: partOf(missing).round.contest, n: u.local + 1, name: u.name }, 'warn');
      else sayKey('count.line_missing', { n: missing + 1, name: u.name }, 'warn');
      return;
    }
    const over = overvoted(b);
    if (over.length) {
      const ok = await confirmDialog({
        title: t('count.overvote_title'),
        body: isPaper()
          ? h('div', {}, over.map((x) => tr('count.paper_overvote_now', { section: x.part.round.contest, n: x.n, limit: x.limit }, 'p')),
            tr('count.paper_overvote_body', null, 'p'))
          : t('count.overvote_body', { n: over[0].n, limit: over[0].limit }),
        confirmKey: 'count.overvote_confirm', cancelKey: 'count.overvote_cancel', danger: true,
      });
      $('#ballot').focus();
      if (!ok) return;
    }
  }
  if (S.batch.ballots.length >= S.batch.size) {
    const ok = await confirmDialog({
      title: t('count.over_size_title'),
      body: t('count.over_size_body', { size: S.batch.size }),
      confirmKey: 'count.over_size_confirm', danger: true,
    });
    $('#ballot').focus();
    if (!ok) return;
    S.batch.size = S.batch.ballots.length + 1;
  }
  S.batch.ballots.push({ marks: b.marks, writeIns: b.writeIns, void: b.void });
  S.cur = emptyBallot();
  touched();
  say('');
  if (S.batch.ballots.length === S.batch.size) sayKey('count.batch_full_submit', null, 'ok');
  render();
}

async function voidBallot() {
  if (lockedBySent()) return;
  const input = h('input', { type: 'text', id: 'void-reason', maxlength: '100', required: true,
    'aria-label': t('count.void_reason') });
  input.required = true;
  const ok = await confirmDialog({
    title: t('count.void_title'),
    body: t(isPaper() ? 'count.paper_void_body' : 'count.void_body'),
    input, confirmKey: 'count.void_confirm', danger: true,
  });
  if (ok) {
    S.cur.void = input.value.trim();
    touched();
    render();
  }
  $('#ballot').focus();
}

/// Submits the batch: one entry per part, each to its own round (a paper's
/// sections in print order, each with its own idempotency key). The
/// sections already accepted are kept, so a retry sends only the rest.
async function submitBatch() {
  const n = S.batch.ballots.length;
  if (!n) { sayKey('count.nothing_to_submit', null, 'warn'); return; }
  const pending = !S.cur.void && S.cur.marks.some((m) => m !== null);
  const body = h('div', {},
    tr(isPaper() ? 'count.paper_submit_body' : 'count.submit_body', { batch: S.batch.label, n, sections: S.sheet.parts.length }, 'p'),
    n !== S.batch.size ? h('p', { class: 'overvote' }, tr('count.submit_size_mismatch', { n, size: S.batch.size })) : null,
    pending ? h('p', { class: 'overvote' }, tr('count.submit_pending_ballot')) : null);
  const ok = await confirmDialog({ title: t('count.submit_title'), body, confirmKey: 'count.submit_confirm', danger: n !== S.batch.size || pending });
  if (!ok) { $('#ballot').focus(); return; }
  const label = S.batch.label;
  S.batch.sent = S.batch.sent || {};
  S.batch.idems = S.batch.idems || {};
  for (const [p, part] of S.sheet.parts.entries()) {
    const id = part.round.id;
    if (sent(id)) continue;
    if (!S.batch.idems[id]) { S.batch.idems[id] = randomId(); saveDraft(); }
    try {
      const req = { ballots: S.batch.ballots.map((b) => partBallot(b, p)) };
      if (S.batch.orderChecked) req.order_checked = true;
      const res = await api('POST', `/meetings/${S.who.meeting}/rounds/${id}/batches/${encodeURIComponent(label)}/entries`,
        req, { 'Idempotency-Key': S.batch.idems[id] });
      S.batch.sent[id] = res;
      saveDraft();
    } catch (e) {
      if (e.code === 'round_not_open') { roundClosed(null); fail(e); return; }
      if (e.code === 'entry_reversed' && !anySent()) { await reversed(); return; }
      fail(e);
      if (e.code === 'entry_reversed') {
        // The sections before were taken in this order: the rest keeps it.
        S.batch.orderChecked = true;
        delete S.batch.idems[id];
        saveDraft();
      }
      render();
      // A batch that can no longer be submitted (the round closed, or this
      // batch already has its entries) is offered for discarding, while
      // nothing of it is on the record.
      if (!anySent() && ['round_not_open', 'already_entered', 'batch_complete', 'not_assigned'].includes(e.code)) {
        const drop = await confirmDialog({ title: t('count.discard_title'), body: t('count.discard_body', { batch: label }), danger: true, confirmKey: 'count.discard' });
        if (drop) { dropDraft(); S.batch = null; S.cur = null; await batchStart(); return; }
      }
      $('#ballot').focus();
      return;
    }
  }
  const replies = S.sheet.parts.map((part) => ({ part, res: S.batch.sent[part.round.id] }));
  markSubmitted(label);
  dropDraft();
  S.batch = null;
  S.cur = null;
  say('');
  showSubmitted(replies);
}

/// The service says this second entry reads like the first one keyed
/// from the bottom of the stack (nothing was recorded). Either the papers
/// were taken in reverse — submit them turned round — or the counter checks
/// the stack and submits as is, confirming the order.
async function reversed() {
  const flip = await confirmDialog({
    title: t('count.reversed_title'),
    body: h('div', {}, tr('count.reversed_body', { batch: S.batch.label }, 'p'), tr('count.order_note', null, 'p')),
    confirmKey: 'count.reversed_flip', cancelKey: 'count.reversed_check', danger: true,
  });
  // Another body: another idempotency key.
  S.batch.idems = {};
  if (flip) {
    S.batch.ballots.reverse();
    S.batch.orderChecked = true;
    saveDraft();
    render();
    await submitBatch();
    return;
  }
  S.batch.orderChecked = true;
  saveDraft();
  sayKey('count.reversed_checking', null, 'warn');
  render();
  $('#ballot').focus();
}

const LABEL = /^[A-Za-z0-9._-]{1,32}$/;

/// A new label for the batch on screen (not yet submitted: nothing is on
/// the record under the old one).
async function renameBatch() {
  if (lockedBySent()) return;
  const input = h('input', { type: 'text', id: 'new-label', maxlength: '32', value: S.batch.label, 'aria-label': t('count.batch_label') });
  input.required = true;
  const hint = h('p', { class: 'msg error hidden', id: 'rename-bad', i18n: 'count.bad_batch_label' });
  const ok = await confirmDialog({
    title: t('count.rename_title', { batch: S.batch.label }), body: h('div', {}, tr('count.rename_body', null, 'p'), hint), input,
    confirmKey: 'count.rename_confirm',
    valid: () => { const good = LABEL.test(input.value.trim()); hint.classList.toggle('hidden', good); return good; },
  });
  if (ok) {
    S.batch.label = input.value.trim();
    touched();
    sayKey('count.renamed', { batch: S.batch.label }, 'ok');
    render();
  }
  $('#ballot').focus();
}

/// Drops the batch on screen: nothing was submitted, nothing is recorded.
async function cancelBatch() {
  if (lockedBySent()) return;
  const ok = await confirmDialog({
    title: t('count.cancel_title', { batch: S.batch.label }),
    body: t('count.cancel_body', { batch: S.batch.label, n: S.batch.ballots.length }),
    danger: true, confirmKey: 'count.cancel_confirm',
  });
  if (!ok) { $('#ballot').focus(); return; }
  const label = S.batch.label;
  dropDraft();
  S.batch = null;
  S.cur = null;
  await batchStart();
  sayKey('count.cancelled', { batch: label }, 'ok');
}

/// The replies of a submitted batch: per part (a paper's section) the
/// entry, the batch's state, and the digest and salt the counter can
/// check the log with.
function showSubmitted(replies) {
  show('submitted');
  const first = replies[0].res;
  const one = ({ part, res }) => {
    const ids = replies.length === 1;
    return h('div', { class: 'section-reply', 'data-round': part.round.id, 'data-state': res.batch_state },
      ids ? null : h('h3', { raw: true }, part.round.contest),
      tr(res.entry === 'second' ? 'count.submitted_second' : 'count.submitted_first', null, 'p'),
      tr(`count.submitted_${res.batch_state}`, null, 'p'),
      h('p', { class: 'muted' }, tr('count.submitted_receipt'), ' ',
        h('span', { class: 'mono entry-digest', id: ids ? 'entry-digest' : null, raw: true }, (res.digest || '').slice(0, 16))),
      // The salt makes the digest checkable by this counter alone: with the
      // readings and the salt, the logged digest can be recomputed.
      res.salt ? h('p', { class: 'muted' }, tr('count.submitted_salt'), ' ',
        h('span', { class: 'mono entry-salt', id: ids ? 'entry-salt' : null, raw: true }, res.salt)) : null);
  };
  fill($('#submitted-card'),
    h('h2', {}, tr('count.submitted_title', { batch: first.batch, n: first.ballots })),
    replies.map(one),
    first.salt ? tr('count.submitted_salt_note', null, 'p') : null);
  $('#next-batch').focus();
}

// ---- keys ----

function onKey(e) {
  if ($('#entry').classList.contains('hidden')) return;
  if (S.closed) { e.preventDefault(); return; }
  if (document.querySelector('dialog[open]')) return;
  const tgt = e.target;
  if (tgt instanceof HTMLInputElement || tgt instanceof HTMLTextAreaElement || tgt instanceof HTMLSelectElement) return;
  if (e.altKey || e.metaKey) return;
  if (e.ctrlKey && e.key === 'Enter') { e.preventDefault(); submitBatch(); return; }
  if (e.ctrlKey) return;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const b = S.cur;
  const rating = S.sheet.rating;
  // A rated row: its level's digit, or 0 for a row left blank.
  const level = rating && /^[0-9]$/.test(k) && (k === BLANK_ROW || Number(k) <= rating.levels.length) ? k : null;
  const mark = rating ? null : KEY_TO_MARK[k];
  if ((level || mark) && !b.void) {
    e.preventDefault();
    // Every line is marked and the cursor is on the last one: a further key
    // is one too many (Enter goes on), not a correction of the last line.
    if (b.pastEnd) { sayKey('count.past_last_line', { n: b.marks.length }, 'warn'); flashBallot(); return; }
    if (level) tick(b.cursor, level); else setMark(b.cursor, mark);
    return;
  }
  switch (k) {
    case 'Enter': e.preventDefault(); nextBallot(); break;
    case 'Backspace': e.preventDefault(); undo(); break;
    case 'Delete': e.preventDefault(); clearLine(); break;
    case 'ArrowDown': e.preventDefault(); move(1); break;
    case 'ArrowUp': e.preventDefault(); move(-1); break;
    case 'w': if (!rating) { e.preventDefault(); openWriteIn(); } break;
    case 'v': e.preventDefault(); voidBallot(); break;
    case 'r': e.preventDefault(); repeatBallot(); break;
    case '0': if (!rating) { e.preventDefault(); restBlank(); } break;
    default: break;
  }
}

async function main() {
  S.who = await start('count.screen', ['counter']);
  if (!S.who) return;
  document.addEventListener('keydown', onKey);
  window.addEventListener('storage', onStorage);
  $('#totals-form').addEventListener('submit', submitTotals);
  $('#totals-form').addEventListener('input', () => checkTotals());
  $('#batch-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const label = $('#batch-label').value.trim();
    const size = Number($('#batch-size').value);
    if (!LABEL.test(label)) { sayKey('count.bad_batch_label', null, 'error'); $('#batch-label').focus(); return; }
    if (!(size >= 1 && size <= 500)) { sayKey('count.bad_batch_size', null, 'error'); $('#batch-size').focus(); return; }
    const used = isPaper() ? labelUsed(label) : [];
    if (used.length) {
      sayKey('count.paper_label_used', { batch: label, sections: used.map((p) => p.round.contest).join('、') }, 'error');
      $('#batch-label').focus();
      return;
    }
    say('');
    S.batch = { label, size, ballots: [], idems: {}, sent: {} };
    S.cur = emptyBallot();
    saveDraft();
    enterBatch();
  });
  $('#next-ballot').addEventListener('click', () => { nextBallot(); $('#ballot').focus(); });
  $('#undo').addEventListener('click', () => { undo(); $('#ballot').focus(); });
  $('#void-ballot').addEventListener('click', () => voidBallot());
  $('#repeat-ballot').addEventListener('click', () => { repeatBallot(); $('#ballot').focus(); });
  $('#rest-blank').addEventListener('click', () => { restBlank(); $('#ballot').focus(); });
  $('#submit-batch').addEventListener('click', () => submitBatch());
  $('#rename-batch').addEventListener('click', () => renameBatch().catch(fail));
  $('#cancel-batch').addEventListener('click', () => cancelBatch().catch(fail));
  $('#next-batch').addEventListener('click', () => batchStart().catch(fail));
  $('#other-round').addEventListener('click', () => { S.round = null; S.sheet = null; pickRound({ auto: false }).catch(fail); });
  $('#closed-other-round').addEventListener('click', () => {
    S.round = null; S.sheet = null; S.batch = null; S.cur = null; S.closed = false;
    $('#round-closed').classList.add('hidden');
    enableInputs();
    pickRound().catch(fail);
  });
  onLangChange(() => {
    if (S.batch && !$('#entry').classList.contains('hidden')) { renderKeys(); render(); $('#ballot').focus(); }
    else if (S.sheet && !$('#batch-start').classList.contains('hidden')) renderSheetNote();
  });
  await pickRound();
}

main().catch(fail);
