// 计票: a counter enters paper ballots, one at a time, from the keyboard.
//
// One key per line (1/Y for, 2/N against, 3/A abstain, 4/? illegible), W
// for a write-in on an against line, Enter for the next ballot, Backspace to
// undo. The ballots of one paper batch are kept on this device until the
// batch is submitted; a second counter enters the same batch on their own
// screen and never sees this one's reading (the service compares them).

import {
  start, api, h, raw, tr, fill, $, t, onLangChange, fail, say, sayKey, confirmDialog,
  roundsOf, markKey, randomId, labelEl, ApiError,
} from './app.js';
import { roundName, roundRef } from './rounds.js';
import { liveBanner, clearLiveBanner } from './live.js';

const MARKS = ['Y', 'N', 'A', '?'];
const KEY_TO_MARK = { 1: 'Y', y: 'Y', 2: 'N', n: 'N', 3: 'A', a: 'A', 4: '?', '?': '?' };
const MARK_CLASS = { Y: 'Y', N: 'N', A: 'A', '?': 'Q' };

const S = {
  who: null,
  meeting: null,
  method: null,
  round: null, // GET rounds/{r}
  batch: null, // { label, size, ballots: [], idem }
  cur: null, // the ballot being entered
  closed: false, // the round closed while this screen was on it
  watch: null, // the timer that follows the round
  watchNew: null, // the timer that looks for a round opened
};

/// How often the screen asks whether its round is still open (counters get
/// no event stream: it would show them the count of others).
const WATCH_MS = 2000;

/// Follows the round on screen: once it is no longer open, entry stops
/// with a banner, before anything more is typed into it.
function watchRound() {
  clearInterval(S.watch);
  S.watch = setInterval(async () => {
    if (!S.round || S.closed) return;
    try {
      const r = await api('GET', `/meetings/${S.who.meeting}/rounds/${S.round.id}`);
      if (r.state !== 'open') roundClosed(r);
      else if (r.counting === 'totals' && !$('#totals').classList.contains('hidden') && r.totals?.state !== S.round.totals?.state) {
        // Sent back for re-entry, or reconciled: the form follows.
        S.round = r;
        renderTotalsState();
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
  for (const b of document.querySelectorAll('#entry button, #batch-form button, #batch-form input, #totals-form button, #totals-form input')) b.disabled = true;
  if (S.batch) dropDraft();
  $('#closed-other-round').focus();
  watchForOpen(r?.id ?? S.round?.id);
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
          S.round = null; S.batch = null; S.cur = null; S.closed = false;
          $('#round-closed').classList.add('hidden');
          for (const b of document.querySelectorAll('#entry button, #batch-form button, #batch-form input, #totals-form button, #totals-form input')) b.disabled = false;
          (open.length === 1 ? openRound(r.id) : pickRound()).catch(fail);
        },
      });
    } catch (e) { /* offline for a moment: the next poll retries */ }
  }, WATCH_MS);
}

function emptyBallot() {
  return { marks: S.round.candidates.map(() => null), writeIns: {}, void: null, cursor: 0, history: [] };
}

// ---- drafts: a batch survives a reload or a closed tab on this device ----

function draftKey() {
  return `scrutineer.draft.${S.who.meeting}.${S.who.person}.${S.round.id}`;
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
  return d;
}
function dropDraft() { localStorage.removeItem(draftKey()); }

// Two tabs on one batch: the labels submitted from this device, per round,
// so a tab still holding a submitted batch drops it instead of writing the
// stale draft back (issue 12, item 11).
function doneKey() {
  return `scrutineer.done.${S.who.meeting}.${S.who.person}.${S.round.id}`;
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

function toApi(b) {
  if (b.void) return { void: b.void };
  const marks = b.marks.join('');
  const w = Object.entries(b.writeIns).filter(([, v]) => v && v.trim());
  if (!w.length) return marks;
  return { marks, write_ins: Object.fromEntries(w.map(([k, v]) => [k, v.trim()])) };
}

/// Selections on a ballot: for-marks plus write-ins on against lines.
function selections(b) {
  let n = b.marks.filter((m) => m === 'Y').length;
  for (const [line, name] of Object.entries(b.writeIns)) {
    if (name && name.trim() && b.marks[Number(line)] === 'N') n++;
  }
  return n;
}

function marksText(b) {
  if (b.void) return t('count.void_short');
  let s = b.marks.map((m) => m ?? '·').join('');
  const w = Object.values(b.writeIns).filter((v) => v && v.trim());
  if (w.length) s += ` + ${w.join('、')}`;
  return s;
}

// ---- screens ----

function show(id) {
  for (const s of ['pick', 'batch-start', 'entry', 'submitted', 'totals']) $(`#${s}`).classList.toggle('hidden', s !== id);
}

async function pickRound() {
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  S.method = S.meeting.method?.effective ?? null;
  const open = roundsOf(S.meeting).filter((r) => r.state === 'open');
  if (open.length === 1) return openRound(open[0].id);
  show('pick');
  if (!open.length) {
    watchForOpen(null);
    fill($('#rounds'), h('p', { class: 'msg info', i18n: 'count.no_open_round' }),
      h('button', { type: 'button', class: 'btn', i18n: 'action.refresh', onclick: () => pickRound().catch(fail) }));
    return;
  }
  fill($('#rounds'), open.map((r) => h('button', {
    type: 'button', class: 'btn big', 'data-round': r.id, onclick: () => openRound(r.id).catch(fail),
  }, roundName(S.meeting, r))));
  $('#rounds button')?.focus();
}

async function openRound(id) {
  clearInterval(S.watchNew);
  clearLiveBanner();
  S.round = await api('GET', `/meetings/${S.who.meeting}/rounds/${id}`);
  S.closed = false;
  $('#round-closed').classList.add('hidden');
  for (const b of document.querySelectorAll('#entry button, #batch-form button, #batch-form input, #totals-form button, #totals-form input')) b.disabled = false;
  watchRound();
  if (!S.method) {
    S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
    S.method = S.meeting.method?.effective ?? null;
  }
  if (S.round.counting === 'totals') return showTotals();
  const draft = loadDraft();
  if (draft?.batch) {
    S.batch = draft.batch;
    S.cur = draft.cur || emptyBallot();
    sayKey('count.draft_restored', { batch: S.batch.label, n: S.batch.ballots.length }, 'info');
    return enterBatch();
  }
  return batchStart();
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

async function batchStart() {
  show('batch-start');
  fill($('#round-heading'), roundName(S.meeting, S.round));
  $('#batch-form').reset();
  $('#batch-label').focus();
  await refreshMyBatches();
}

async function refreshMyBatches() {
  let batches = [];
  try {
    batches = await api('GET', `/meetings/${S.who.meeting}/rounds/${S.round.id}/batches`);
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
  }
  let total = 0;
  const rows = batches.map((b) => {
    const own = b.own_entry || {};
    const n = typeof own.ballots === 'number' ? own.ballots
      : Array.isArray(own.ballots) ? own.ballots.length : (b.ballots ?? 0);
    total += n;
    return h('tr', { 'data-batch': b.id },
      h('td', { raw: true }, b.id), h('td', { class: 'num' }, n),
      h('td', {}, own.entry ? labelEl('entry', own.entry) : ''),
      h('td', {}, labelEl('batch_state', b.state)));
  });
  fill($('#my-batches tbody'), rows);
  const issued = S.round.facts?.issued;
  fill($('#round-progress'), tr(issued != null ? 'count.round_progress' : 'count.round_progress_no_issued', { n: total, issued }));
}

function enterBatch() {
  show('entry');
  if (!S.cur) S.cur = emptyBallot();
  renderKeys();
  render();
  $('#ballot').focus();
}

// ---- the ballot ----

function render() {
  const r = S.round;
  const b = S.cur;
  const no = S.batch.ballots.length + 1;
  fill($('#ballot-no'), tr('count.ballot_no', { n: no, size: S.batch.size }));
  const limit = (r.ballot?.selection_limit ?? null);
  fill($('#ballot-rule'), limit == null ? '' : tr('count.limit', { n: limit }));
  fill($('#convention'), tr(S.round.ballot?.mark_convention === 'blank_is_for' ? 'count.convention_blank_for' : 'count.convention_default'));
  $('#ballot').classList.toggle('void', !!b.void);
  const voidNote = $('#void-note');
  voidNote.classList.toggle('hidden', !b.void);
  if (b.void) fill(voidNote, tr('count.void_note'), ' ', raw(b.void));
  const allowW = !!r.ballot?.write_ins_allowed;
  fill($('#lines'), r.candidates.map((name, i) => {
    const m = b.marks[i];
    const line = h('div', { class: `line${i === b.cursor && !b.void ? ' current' : ''}`, role: 'listitem', 'data-line': i, 'data-mark': m ?? '' },
      h('span', { class: 'no' }, `${i + 1}`),
      h('span', { class: 'name', raw: true }, name),
      h('span', { class: 'marks' }, MARKS.map((mk) => h('button', {
        type: 'button', tabindex: '-1', class: `btn mark ${MARK_CLASS[mk]}`, 'aria-pressed': String(m === mk), 'data-mark': mk,
        onclick: () => { b.pastEnd = false; setMark(i, mk); $('#ballot').focus(); },
      }, h('span', { class: 'key', raw: true }, keyHint(mk)), h('span', { i18n: markKey(r.kind, mk) })))));
    if (allowW && m === 'N') {
      const input = h('input', {
        type: 'text', class: 'writein-input', 'data-line': i, maxlength: '40', value: b.writeIns[i] ?? '',
        'data-i18n-placeholder': 'count.writein_placeholder', placeholder: t('count.writein_placeholder'),
        'aria-label': t('count.writein_label', { name }), 'data-raw-label': '',
      });
      input.addEventListener('input', () => { b.writeIns[i] = input.value; touched(); renderSide(); });
      input.addEventListener('keydown', writeInKeys);
      line.append(h('span', { class: 'writein' }, h('span', { i18n: 'count.writein' }), input));
    }
    return line;
  }));
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
  fill($('#entered'), S.batch.ballots.map((b, i) => h('li', { 'data-index': i },
    h('span', {}, `${i + 1}.`), h('span', { class: 'marks-text', raw: true }, marksText(b)))).reverse());
  const warn = $('#warning-slot');
  const limit = (S.round.ballot?.selection_limit ?? null);
  if (!S.cur.void && limit != null && selections(S.cur) > limit) {
    fill(warn, h('p', { class: 'overvote', id: 'overvote-warning' }, tr('count.overvote_now', { n: selections(S.cur), limit })));
  } else fill(warn);
}

function renderKeys() {
  const allowW = !!S.round.ballot?.write_ins_allowed;
  const rest = $('#rest-blank');
  rest.dataset.i18n = blankMark() === 'Y' ? 'count.rest_blank_for' : 'count.rest_blank';
  rest.textContent = t(rest.dataset.i18n);
  const k = (keys, textKey, args) => h('li', {}, h('span', {}, keys.map((x) => h('kbd', {}, x))), tr(textKey, args));
  fill($('#keys'),
    k(['1', 'Y'], markKey(S.round.kind, 'Y')),
    k(['2', 'N'], markKey(S.round.kind, 'N')),
    k(['3', 'A'], markKey(S.round.kind, 'A')),
    k(['4', '?'], 'mark.illegible'),
    allowW ? k(['W'], 'count.key_writein') : null,
    k(['↑', '↓'], 'count.key_move'),
    k(['Enter'], 'count.key_next'),
    k(['⌫'], 'count.key_undo'),
    k(['V'], 'count.key_void'),
    k(['R'], 'count.key_repeat'),
    k(['0'], blankMark() === 'Y' ? 'count.key_rest_for' : 'count.key_rest_abstain'),
    k(['Ctrl', 'Enter'], 'count.key_submit'));
}

/// Something changed: a retry of a failed submission must not reuse the
/// idempotency key with a different body.
function touched() {
  S.batch.idem = null;
  saveDraft();
}

function setMark(line, mark) {
  const b = S.cur;
  if (b.void) return;
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
  if (!S.round.ballot?.write_ins_allowed) { sayKey('count.writein_not_allowed', null, 'warn'); return; }
  let line = b.cursor;
  if (b.marks[line] !== 'N') {
    const last = b.history[b.history.length - 1];
    if (last && b.marks[last.line] === 'N') line = last.line;
  }
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

/// What an unmarked line means under the method (RULES §3.3): 弃权 by
/// default, 赞成 where a blank counts as for.
function blankMark() {
  return S.round.ballot?.mark_convention === 'blank_is_for' ? 'Y' : 'A';
}

/// 0: every line not marked yet takes the blank meaning (the paper
/// convention for the lines a voter left alone). Backspace undoes them
/// one line at a time, like marks typed.
function restBlank() {
  const b = S.cur;
  if (b.void) return;
  const mark = blankMark();
  const lines = b.marks.map((m, i) => (m ? -1 : i)).filter((i) => i >= 0);
  if (!lines.length) { sayKey('count.rest_none', null, 'info'); return; }
  for (const line of lines) {
    b.history.push({ line, mark: null, writeIn: null, cursor: b.cursor });
    b.marks[line] = mark;
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
  if (!b.void) {
    const missing = b.marks.findIndex((m) => m === null);
    if (missing >= 0) {
      b.cursor = missing;
      render();
      sayKey('count.line_missing', { n: missing + 1, name: S.round.candidates[missing] }, 'warn');
      return;
    }
    const limit = (S.round.ballot?.selection_limit ?? null);
    const n = selections(b);
    if (limit != null && n > limit) {
      const ok = await confirmDialog({
        title: t('count.overvote_title'),
        body: t('count.overvote_body', { n, limit }),
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
  const input = h('input', { type: 'text', id: 'void-reason', maxlength: '100', required: true,
    'aria-label': t('count.void_reason') });
  input.required = true;
  const ok = await confirmDialog({
    title: t('count.void_title'),
    body: t('count.void_body'),
    input, confirmKey: 'count.void_confirm', danger: true,
  });
  if (ok) {
    S.cur.void = input.value.trim();
    touched();
    render();
  }
  $('#ballot').focus();
}

async function submitBatch() {
  const n = S.batch.ballots.length;
  if (!n) { sayKey('count.nothing_to_submit', null, 'warn'); return; }
  const pending = !S.cur.void && S.cur.marks.some((m) => m !== null);
  const body = h('div', {},
    tr('count.submit_body', { batch: S.batch.label, n }, 'p'),
    n !== S.batch.size ? h('p', { class: 'overvote' }, tr('count.submit_size_mismatch', { n, size: S.batch.size })) : null,
    pending ? h('p', { class: 'overvote' }, tr('count.submit_pending_ballot')) : null);
  const ok = await confirmDialog({ title: t('count.submit_title'), body, confirmKey: 'count.submit_confirm', danger: n !== S.batch.size || pending });
  if (!ok) { $('#ballot').focus(); return; }
  if (!S.batch.idem) { S.batch.idem = randomId(); saveDraft(); }
  const label = S.batch.label;
  try {
    const body = { ballots: S.batch.ballots.map(toApi) };
    if (S.batch.orderChecked) body.order_checked = true;
    const res = await api('POST', `/meetings/${S.who.meeting}/rounds/${S.round.id}/batches/${encodeURIComponent(label)}/entries`,
      body, { 'Idempotency-Key': S.batch.idem });
    markSubmitted(label);
    dropDraft();
    S.batch = null;
    S.cur = null;
    say('');
    showSubmitted(res);
  } catch (e) {
    if (e.code === 'round_not_open') { roundClosed(null); fail(e); return; }
    if (e.code === 'entry_reversed') { await reversed(); return; }
    fail(e);
    // A batch that can no longer be submitted (the round closed, or this
    // batch already has its entries) is offered for discarding.
    if (['round_not_open', 'already_entered', 'batch_complete', 'not_assigned'].includes(e.code)) {
      const drop = await confirmDialog({ title: t('count.discard_title'), body: t('count.discard_body', { batch: label }), danger: true, confirmKey: 'count.discard' });
      if (drop) { dropDraft(); S.batch = null; S.cur = null; await batchStart(); return; }
    }
    $('#ballot').focus();
  }
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
  S.batch.idem = null;
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

function showSubmitted(res) {
  show('submitted');
  const stateKey = `count.submitted_${res.batch_state}`;
  fill($('#submitted-card'),
    h('h2', {}, tr('count.submitted_title', { batch: res.batch, n: res.ballots })),
    tr(res.entry === 'second' ? 'count.submitted_second' : 'count.submitted_first', null, 'p'),
    tr(stateKey, null, 'p'),
    h('p', { class: 'muted' }, tr('count.submitted_receipt'), ' ',
      h('span', { class: 'mono', id: 'entry-digest', raw: true }, (res.digest || '').slice(0, 16))),
    // The salt makes the digest checkable by this counter alone: with the
    // readings and the salt, the logged digest can be recomputed.
    res.salt ? h('p', { class: 'muted' }, tr('count.submitted_salt'), ' ',
      h('span', { class: 'mono', id: 'entry-salt', raw: true }, res.salt)) : null,
    res.salt ? tr('count.submitted_salt_note', null, 'p') : null);
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
  if (KEY_TO_MARK[k] && !S.cur.void) {
    e.preventDefault();
    // Every line is marked and the cursor is on the last one: a further key
    // is one too many (Enter goes on), not a correction of the last line.
    const b = S.cur;
    if (b.pastEnd) { sayKey('count.past_last_line', { n: b.marks.length }, 'warn'); flashBallot(); return; }
    setMark(b.cursor, KEY_TO_MARK[k]);
    return;
  }
  switch (k) {
    case 'Enter': e.preventDefault(); nextBallot(); break;
    case 'Backspace': e.preventDefault(); undo(); break;
    case 'ArrowDown': e.preventDefault(); move(1); break;
    case 'ArrowUp': e.preventDefault(); move(-1); break;
    case 'w': e.preventDefault(); openWriteIn(); break;
    case 'v': e.preventDefault(); voidBallot(); break;
    case 'r': e.preventDefault(); repeatBallot(); break;
    case '0': e.preventDefault(); restBlank(); break;
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
    say('');
    S.batch = { label, size, ballots: [], idem: null };
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
  $('#other-round').addEventListener('click', () => { S.round = null; pickRound().catch(fail); });
  $('#closed-other-round').addEventListener('click', () => {
    S.round = null; S.batch = null; S.cur = null; S.closed = false;
    $('#round-closed').classList.add('hidden');
    for (const b of document.querySelectorAll('#entry button, #batch-form button, #batch-form input, #totals-form button, #totals-form input')) b.disabled = false;
    pickRound().catch(fail);
  });
  onLangChange(() => {
    if (S.batch && !$('#entry').classList.contains('hidden')) { renderKeys(); render(); $('#ballot').focus(); }
  });
  await pickRound();
}

main().catch(fail);
