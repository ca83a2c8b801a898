// 监票: the scrutineer reconciles the two counters' readings of each batch
// (side by side, line by line), resolves or voids each differing ballot,
// closes the round with the number of ballots returned, and signs the
// result with a personal key kept in this browser.

import {
  start, api, h, raw, tr, fill, $, t, lang, onLangChange, fail, sayKey, say, confirmDialog, liveRound,
  roundsOf, labelEl, checkpointLine, markKey, rootGroups, serverInfo,
} from './app.js';
import { secureContext, supported, loadKey, createKey, saveKey, verifierKey, fingerprint, cosign, importDemoSeed } from './keys.js';
import { tallyTable, outcome, ballotsLine, thresholdLine, statusBadge } from './results.js';
import { roundName, roundRef, roundNumber } from './rounds.js';
import { liveBanner, roundChange } from './live.js';

const S = { who: null, meeting: null, checkpoint: null, roundId: null, round: null, batches: [], batch: null, key: null, stop: null, statement: null };
const MARK_CLASS = { Y: 'Y', N: 'N', A: 'A', '?': 'Q' };

// ---- the personal key ----

async function renderKey() {
  const box = $('#key-state');
  if (!secureContext()) { fill(box, h('p', { class: 'msg error', id: 'key-insecure', i18n: 'key.insecure' })); return; }
  if (!(await supported())) { fill(box, h('p', { class: 'msg error', i18n: 'key.unsupported' })); return; }
  S.key = await loadKey(S.who.meeting, S.who.person);
  if (!S.key) {
    fill(box, tr('key.none', null, 'p'),
      h('button', { type: 'button', class: 'btn primary big', id: 'make-key', i18n: 'key.make', onclick: makeKey }));
    return;
  }
  const fp = await fingerprint(S.key.publicRaw);
  fill(box,
    tr('key.have', { name: S.key.name }, 'p'),
    h('p', {}, h('span', { i18n: 'key.fingerprint' }), ' ', h('span', { class: 'fingerprint', id: 'my-fingerprint', raw: true }, fp)),
    tr('key.compare', null, 'p'),
    S.key.demo ? h('p', { class: 'msg info', id: 'key-demo', i18n: 'key.demo_key' })
      : h('p', { class: 'muted' }, tr(S.key.privateKey.extractable ? 'key.extractable' : 'key.not_extractable')),
    S.key.registered ? h('p', { class: 'badge ok', i18n: 'key.registered' })
      : h('button', { type: 'button', class: 'btn primary', id: 'register-key', i18n: 'key.register', onclick: registerKey }));
  document.getElementById('key-card').classList.toggle('done', !!S.key.registered);
}

async function makeKey() {
  const ok = await confirmDialog({ title: t('key.make_title'), body: t('key.make_body') });
  if (!ok) return;
  try {
    S.key = await createKey(S.who.meeting, S.who.person, S.who.name);
    await registerKey();
  } catch (e) { fail(e); }
}

async function registerKey() {
  try {
    const vkey = await verifierKey(S.key.name, S.key.publicRaw);
    await api('PUT', `/meetings/${S.who.meeting}/people/${S.who.person}/key`, { key: vkey });
    await markRegistered();
    sayKey('key.registered_ok', null, 'ok');
  } catch (e) {
    if (e.code === 'key_already_registered') {
      // Registered earlier from this browser (the request succeeded but the
      // page did not hear back), or another key is on record: the service
      // will refuse signatures by a key it does not know, and the
      // fingerprint on the report shows which one it has.
      await markRegistered();
      sayKey('key.already_registered', null, 'warn');
    } else fail(e);
  }
  await renderKey();
}

async function markRegistered() {
  const rec = await loadKey(S.who.meeting, S.who.person);
  rec.registered = true;
  await saveKey(S.who.meeting, S.who.person, rec);
  S.key = rec;
}

// ---- rounds ----

async function loadRounds() {
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  const rounds = roundsOf(S.meeting).filter((r) => r.state !== 'draft');
  const nav = $('#rounds');
  fill(nav, rounds.map((r) => h('button', {
    type: 'button', class: `btn${r.id === S.roundId ? ' primary' : ''}`, 'data-round': r.id,
    'aria-pressed': String(r.id === S.roundId), onclick: () => selectRound(r.id),
  }, roundName(S.meeting, r), ' ', labelEl('state', r.state))));
  if (!rounds.length) fill(nav, h('p', { class: 'msg info', i18n: 'scrutiny.no_rounds' }));
  if (!S.roundId && rounds.length) {
    const open = rounds.find((r) => r.state === 'open');
    await selectRound((open || rounds[rounds.length - 1]).id);
  }
}

async function selectRound(id) {
  if (S.stop) S.stop();
  S.roundId = id;
  S.checkpoint = null;
  S.batch = null;
  S.statement = null;
  $('#round').classList.remove('hidden');
  await refresh();
  await loadRounds();
  // Another selection (a click while this one loaded) has the screen now,
  // or starts its own stream: one stream per screen, never a stray one.
  if (S.roundId !== id) return;
  if (S.stop) S.stop();
  let pending = null;
  S.stop = liveRound(S.who.meeting, id, (type, data) => {
    if (data?.checkpoint) S.checkpoint = data.checkpoint;
    if (type !== 'state') return;
    clearTimeout(pending);
    pending = setTimeout(() => refresh().catch(fail), 200);
  });
}

async function refresh() {
  const m = S.who.meeting;
  const before = S.round;
  S.round = await api('GET', `/meetings/${m}/rounds/${S.roundId}`);
  followMeeting(before, S.round).catch(() => {});
  S.batches = S.round.state === 'draft' ? [] : await api('GET', `/meetings/${m}/rounds/${S.roundId}/batches`);
  if (S.batch) {
    S.batch = await api('GET', `/meetings/${m}/rounds/${S.roundId}/batches/${encodeURIComponent(S.batch.id)}`);
  }
  if (S.round.state === 'closed') {
    try { S.statement = await api('GET', `/meetings/${m}/rounds/${S.roundId}/statement`); } catch (e) { S.statement = null; }
  }
  render();
}

/// The meeting moves on while this screen is open: a banner says what
/// happened to the round on screen, and a round the presidium made is
/// followed until it opens, with a button to go there.
async function followMeeting(before, after) {
  if (after.next_round && roundNumber(S.meeting, after.next_round) == null) await loadRounds();
  const change = roundChange(S.meeting, before, after);
  if (change) {
    liveBanner(change.key, change.args, change.next ? { key: 'live.go', onclick: () => selectRound(change.next).catch(fail) } : null);
  }
  const next = after.next_round;
  if (!next || next === S.roundId || S.nextWatched === next) return;
  if (S.stopNext) S.stopNext();
  S.nextWatched = next;
  let opened = false;
  S.stopNext = liveRound(S.who.meeting, next, (type, data) => {
    if (type !== 'state' || opened || data.state !== 'open' || S.roundId === next) return;
    opened = true;
    loadRounds().then(() => liveBanner('live.new_open', { round: roundRef(S.meeting, next) },
      { key: 'live.go', onclick: () => selectRound(next).catch(fail) })).catch(fail);
  });
}

function render() {
  const r = S.round;
  fill($('#round-title'), roundName(S.meeting, r), ' ', statusBadge(r.status));
  const f = r.facts || {};
  fill($('#round-facts'), tr('scrutiny.facts', {
    entitled: f.entitled ?? '—', present: f.present ?? '—', issued: f.issued ?? '—', returned: f.returned ?? '—',
  }));
  fill($('#round-checkpoint'), checkpointLine(S.checkpoint || r.checkpoint || S.meeting?.log));
  renderBox();
  renderTotals();
  renderBatches();
  renderRecon();
  renderClose();
  renderResult();
}

function renderBatches() {
  const b = S.round.batches || {};
  fill($('#batches-summary'), tr('scrutiny.batches_summary', {
    reconciled: b.reconciled ?? 0, awaiting: b.awaiting_second ?? 0, differences: b.differences ?? 0, counted: b.ballots_counted ?? 0,
  }));
  fill($('#batches tbody'), S.batches.map((x) => h('tr', { 'data-batch': x.id, 'data-state': x.state },
    h('td', { raw: true }, x.id),
    h('td', {}, labelEl('batch_state', x.state)),
    h('td', {}, (x.entries || []).map((e) => h('div', {}, raw(e.counter), tr('scrutiny.entry_ballots', { n: e.ballots })))),
    h('td', { class: 'num' }, x.differences ? `${x.unresolved ?? 0} / ${x.differences}` : '0'),
    h('td', {}, x.differences ? h('button', {
      type: 'button', class: `btn small${x.unresolved ? ' primary' : ''}`, 'data-open-batch': x.id,
      i18n: x.unresolved ? 'scrutiny.reconcile' : 'scrutiny.view', onclick: () => openBatch(x.id),
    }) : '', ' ', x.state !== 'reconciled' && S.round.state === 'open' ? h('button', {
      type: 'button', class: 'btn small danger', 'data-discard-batch': x.id, i18n: 'scrutiny.discard_batch', onclick: () => discardBatch(x),
    }) : ''))));
}

/// Discards a batch that was never reconciled (a stray entry under a wrong
/// label, or one to enter again): logged with the reason.
async function discardBatch(x) {
  const input = h('input', { type: 'text', id: 'discard-reason', maxlength: '200', 'aria-label': t('scrutiny.discard_reason') });
  input.required = true;
  const ok = await confirmDialog({
    title: t('scrutiny.discard_title', { batch: x.id }),
    body: t('scrutiny.discard_body', { batch: x.id }), input, danger: true, confirmKey: 'scrutiny.discard_batch',
  });
  if (!ok) return;
  try {
    await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/batches/${encodeURIComponent(x.id)}/discard`, { reason: input.value.trim() });
    if (S.batch?.id === x.id) S.batch = null;
    sayKey('scrutiny.discarded', { batch: x.id }, 'ok');
    await refresh();
  } catch (e) { fail(e); }
}

async function openBatch(id) {
  try {
    S.batch = await api('GET', `/meetings/${S.who.meeting}/rounds/${S.roundId}/batches/${encodeURIComponent(id)}`);
    renderRecon();
    $('#recon-card').scrollIntoView({ block: 'start' });
    $('#recon-card button.resolve')?.focus();
  } catch (e) { fail(e); }
}

/// A side of a difference as {marks, write_ins, void}, or null.
function side(x) {
  if (x === null || x === undefined) return null;
  if (typeof x === 'string') return { marks: x, write_ins: {} };
  return { marks: x.marks ?? null, write_ins: x.write_ins ?? {}, void: x.void ?? null };
}

function cell(s, line) {
  if (!s) return h('td', { class: 'mk', i18n: 'scrutiny.not_entered' });
  if (s.void) return h('td', { class: 'mk' }, h('span', { i18n: 'scrutiny.void' }));
  const mk = s.marks?.[line];
  const w = s.write_ins?.[line] ?? s.write_ins?.[String(line)];
  return h('td', { class: `mk mk-${MARK_CLASS[mk] || ''}`, 'data-mark': mk ?? '' },
    mk ? h('span', { i18n: markKey(S.round.kind, mk) }) : '—',
    w ? h('span', {}, ' · ', h('span', { i18n: 'count.writein' }), ' ', raw(w)) : '');
}

function renderRecon() {
  const card = $('#recon-card');
  const b = S.batch;
  if (!b) { card.classList.add('hidden'); return; }
  card.classList.remove('hidden');
  const entries = b.entries || [];
  const nameOf = (which) => entries.find((e) => e.entry === which)?.counter ?? '';
  fill($('#recon-title'), tr('scrutiny.recon_title', { batch: b.id }), ' ', labelEl('batch_state', b.state));
  const diffs = b.differences || [];
  fill($('#differences'), diffs.map((d) => {
    const first = side(d.first);
    const second = side(d.second);
    const differing = new Set((d.lines || []).map((l) => l.line));
    const rows = S.round.candidates.map((name, i) => h('tr', { class: differing.has(i) ? 'diff' : '', 'data-line': i },
      h('td', { class: 'num' }, i + 1), h('td', { raw: true }, name), cell(first, i), cell(second, i)));
    const voidRow = (first?.void || second?.void) ? h('tr', { class: 'diff' }, h('td'), h('td', { i18n: 'scrutiny.void_reason' }),
      h('td', { raw: true }, first?.void ?? ''), h('td', { raw: true }, second?.void ?? '')) : null;
    const res = d.resolution;
    return h('div', { class: 'card difference', 'data-position': d.position },
      h('h3', {}, tr('scrutiny.paper_no', { n: d.position + 1 })),
      h('table', { class: 'recon' },
        h('thead', {}, h('tr', {}, h('th', { class: 'num', i18n: 'scrutiny.line' }), h('th', { i18n: 'result.candidate' }),
          h('th', {}, tr('scrutiny.first_entry'), ' ', raw(nameOf('first'))),
          h('th', {}, tr('scrutiny.second_entry'), ' ', raw(nameOf('second'))))),
        h('tbody', {}, rows, voidRow)),
      res ? h('p', { class: 'msg ok resolution' }, tr(`scrutiny.resolved_${res.resolution ?? res}`), res.reason ? h('span', {}, ' ', raw(res.reason)) : '')
        : h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'btn primary resolve', 'data-resolve': 'first', disabled: !first, i18n: 'scrutiny.take_first', onclick: () => resolve(d, 'first') }),
          h('button', { type: 'button', class: 'btn primary resolve', 'data-resolve': 'second', disabled: !second, i18n: 'scrutiny.take_second', onclick: () => resolve(d, 'second') }),
          h('button', { type: 'button', class: 'btn danger resolve', 'data-resolve': 'void', i18n: 'scrutiny.declare_void', onclick: () => resolve(d, 'void') })));
  }));
}

async function resolve(d, resolution) {
  let reason = null;
  if (resolution === 'void') {
    const input = h('input', { type: 'text', id: 'void-reason', maxlength: '200', 'aria-label': t('scrutiny.void_reason') });
    input.required = true;
    const ok = await confirmDialog({ title: t('scrutiny.void_title', { n: d.position + 1 }), body: t('scrutiny.void_body'), input, danger: true, confirmKey: 'scrutiny.declare_void' });
    if (!ok) return;
    reason = input.value.trim();
  } else {
    const ok = await confirmDialog({
      title: t('scrutiny.resolve_title', { n: d.position + 1 }),
      body: t(resolution === 'first' ? 'scrutiny.resolve_first_body' : 'scrutiny.resolve_second_body'),
    });
    if (!ok) return;
  }
  try {
    S.batch = await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/batches/${encodeURIComponent(S.batch.id)}/resolutions`,
      { position: d.position, resolution, reason });
    sayKey('scrutiny.resolved', { n: d.position + 1 }, 'ok');
    await refresh();
  } catch (e) { fail(e); }
}

/// The box opening: each scrutineer's count, a mismatch until they agree,
/// then the ruling with its numbers, announced before counting.
function renderBox() {
  const r = S.round;
  const b = r.box;
  const open = r.state === 'open';
  $('#box-card').classList.toggle('hidden', !b || (!open && b.state === 'not_counted'));
  if (!b) return;
  const settled = b.state === 'settled';
  $('#box-form').classList.toggle('hidden', !open || settled);
  let state;
  if (b.state === 'not_counted') state = tr('box.not_counted', null, 'p');
  else if (b.state === 'awaiting_second') {
    const last = b.counts[b.counts.length - 1];
    state = h('p', { class: 'msg info', id: 'box-awaiting' }, tr('box.awaiting', { name: last.name, n: last.returned }));
  } else if (b.state === 'differs') {
    const list = b.differs.map((c) => t('box.count_item', { name: c.name, n: c.returned })).join(lang() === 'en' ? ', ' : '；');
    state = h('p', { class: 'msg error', id: 'box-differs' }, tr('box.differs', { list }));
  } else {
    const g = b.ruling || {};
    const base = g.base === 'voters' ? 'voters' : 'issued';
    state = h('div', { id: 'box-ruling', 'data-valid': String(!!g.valid) },
      h('p', {}, tr('box.settled', { n: b.returned, names: b.by.join('、') })),
      h('p', {}, tr('box.ruling_numbers', { issued: g.issued, present: g.present, voted: g.voted, returned: g.returned })),
      h('p', { class: g.valid ? 'msg ok' : 'msg error' }, h('strong', {}, tr(`box.ruling_${g.valid ? 'valid' : 'void'}_${base}`))));
  }
  fill($('#box-state'), state);
}

/// A round counted by hand: where the two readings stand, and where they
/// differ, per candidate, with the scrutineer's choices.
function renderTotals() {
  const r = S.round;
  const hand = r.counting === 'totals';
  $('#totals-card').classList.toggle('hidden', !hand);
  $('#batches-card').classList.toggle('hidden', hand);
  if (!hand) return;
  const st = r.totals || {};
  const readings = st.readings || [];
  const line = (l) => (l ? tr('totals.line', { for: l.for, against: l.against, abstain: l.abstain }) : '—');
  const diffs = st.differences || [];
  const open = r.state === 'open';
  fill($('#totals-view'),
    tr(`totals.state_${st.state}`, { names: (st.entered_by || []).join('、') }, 'p'),
    st.state === 'differences' ? [
      h('table', { id: 'totals-differences' },
        h('thead', {}, h('tr', {}, h('th', { i18n: 'totals.col_item' }),
          h('th', {}, tr('totals.first', { name: readings[0]?.name ?? '' })), h('th', {}, tr('totals.second', { name: readings[1]?.name ?? '' })))),
        h('tbody', {}, diffs.map((d) => h('tr', { 'data-line': d.line ?? d.field },
          d.field ? h('td', { i18n: `totals.${d.field}` }) : h('td', { raw: true }, d.candidate),
          h('td', {}, d.field ? String(d.first) : line(d.first)), h('td', {}, d.field ? String(d.second) : line(d.second)))))),
      open ? h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', id: 'totals-first', i18n: 'totals.take_first', onclick: () => resolveTotals('first').catch(fail) }),
        h('button', { type: 'button', class: 'btn', id: 'totals-second', i18n: 'totals.take_second', onclick: () => resolveTotals('second').catch(fail) }),
        h('button', { type: 'button', class: 'btn danger', id: 'totals-send-back', i18n: 'totals.send_back', onclick: () => resolveTotals('send_back').catch(fail) })) : null,
    ] : null,
    st.state === 'awaiting_second' && open ? h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', id: 'totals-send-back', i18n: 'totals.send_back', onclick: () => resolveTotals('send_back').catch(fail) })) : null);
}

async function resolveTotals(resolution) {
  const ok = await confirmDialog({ title: t(resolution === 'send_back' ? 'totals.send_back' : `totals.take_${resolution}`), body: t('totals.hint'), danger: resolution === 'send_back' });
  if (!ok) return;
  await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/totals/resolve`, { resolution });
  sayKey('totals.resolved', null, 'ok');
  await refresh();
}

async function countBox(e) {
  e.preventDefault();
  const returned = Number($('#box-returned').value);
  try {
    await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/box`, { returned });
    $('#box-returned').value = '';
    sayKey('box.counted_ok', null, 'ok');
    await refresh();
  } catch (err) { fail(err); }
}

function renderClose() {
  const open = S.round.state === 'open';
  $('#close-card').classList.toggle('hidden', !open);
  const staff = S.round.scrutineers || [];
  const keyless = staff.filter((x) => !x.key && !x.excused).map((x) => x.name);
  const excused = staff.filter((x) => x.excused).map((x) => x.name);
  fill($('#close-keys'),
    keyless.length ? h('p', { class: 'msg warn', id: 'keyless' }, tr('scrutiny.keyless', { names: keyless.join('、') })) : null,
    excused.length ? h('p', { class: 'msg info', id: 'excused' }, tr('scrutiny.excused', { names: excused.join('、') })) : null);
  const boxed = S.round.box?.returned;
  $('#returned').readOnly = boxed != null;
  if (boxed != null) {
    $('#returned').value = String(boxed);
    const counted = S.round.batches?.ballots_counted ?? 0;
    $('#close-keys').append(h('p', { class: 'muted', id: 'box-fixed' }, tr('box.close_fixed', { n: boxed })),
      counted !== boxed ? h('p', { class: 'msg warn', id: 'box-close-differs' },
        tr('box.close_differs', { returned: boxed, counted, diff: Math.abs(boxed - counted) })) : '');
  } else if (open && !$('#returned').value) {
    const counted = S.round.batches?.ballots_counted;
    if (counted != null) $('#returned').placeholder = String(counted);
  }
}

/// The box check's limit: ballots issued, or the number present (voters),
/// as the method says.
function boxLimit() {
  const f = S.round.facts || {};
  return S.meeting?.method?.effective?.box_check === 'voters' ? f.present : f.issued;
}

async function closeRound(e) {
  e.preventDefault();
  const returned = Number($('#returned').value);
  const counted = S.round.batches?.ballots_counted ?? 0;
  const limit = boxLimit();
  if (S.round.box?.returned != null) {
    // Two scrutineers counted the box: no retyping, the ruling is known.
    const ok = await confirmDialog({
      title: t('scrutiny.close_confirm_title'),
      body: h('div', {}, tr('box.close_confirm_body', { returned, counted }, 'p'),
        returned !== counted ? h('p', { class: 'overvote' }, tr('box.close_differs', { returned, counted, diff: Math.abs(returned - counted) })) : null),
      danger: true, confirmKey: 'scrutiny.close',
    });
    if (!ok) return;
    try {
      await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/close`, { returned });
      sayKey('scrutiny.closed', null, 'ok');
      await refresh();
      await loadRounds();
    } catch (err) { fail(err); }
    return;
  }
  if (limit != null && returned > limit) {
    // Not a mismatch to note: this number voids the election at once.
    const again = h('input', { type: 'number', min: '0', id: 'returned-again', 'aria-label': t('scrutiny.void_retype') });
    again.required = true;
    const hint = h('p', { class: 'msg error hidden', id: 'retype-mismatch', i18n: 'scrutiny.void_retype_mismatch' });
    const box = S.meeting?.method?.effective?.box_check === 'voters' ? 'voters' : 'issued';
    const sure = await confirmDialog({
      title: t('scrutiny.void_title_close'),
      body: h('div', { id: 'void-warning' },
        tr(`scrutiny.void_warning_${box}`, { returned, limit }, 'p'),
        tr('scrutiny.void_retype', null, 'p'), hint),
      input: again, danger: true, confirmKey: 'scrutiny.void_confirm',
      valid: () => { const same = Number(again.value) === returned && again.value.trim() !== ''; hint.classList.toggle('hidden', same); return same; },
    });
    if (!sure) return;
    try {
      await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/close`, { returned, confirm_void: returned });
      sayKey('scrutiny.closed', null, 'ok');
      await refresh();
      await loadRounds();
    } catch (err) { fail(err); }
    return;
  }
  const ok = await confirmDialog({
    title: t('scrutiny.close_confirm_title'),
    body: h('div', {}, tr('scrutiny.close_confirm_body', { returned, issued: S.round.facts?.issued ?? '—', counted }, 'p'),
      returned !== counted ? h('p', { class: 'overvote' }, tr('scrutiny.close_mismatch', { returned, counted })) : null),
    danger: true, confirmKey: 'scrutiny.close',
  });
  if (!ok) return;
  try {
    await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/close`, { returned });
    sayKey('scrutiny.closed', null, 'ok');
    await refresh();
    await loadRounds();
  } catch (err) { fail(err); }
}

function renderResult() {
  const closed = S.round.state === 'closed';
  $('#result-card').classList.toggle('hidden', !closed);
  if (!closed) return;
  const res = S.round.result?.result ?? S.round.result ?? S.statement?.result;
  fill($('#result'), res ? [outcome(res), ballotsLine(res), thresholdLine(res), tallyTable(res, { id: 'tally' })] : '');
  const st = S.statement;
  const cos = st?.cosignatures;
  const mine = cos?.by?.includes(S.who.name);
  fill($('#statement'), st ? [
    h('p', {}, tr('scrutiny.statement', { size: checkpointSize(st.checkpoint), root: rootGroups(checkpointRoot(st.checkpoint)) })),
    cos ? h('p', { id: 'cosign-state' }, tr('scrutiny.cosigned', { n: cos.by.length, k: cos.required, of: cos.of }), ' ', raw(cos.by.join('、'))) : null,
  ] : tr('scrutiny.no_statement', null, 'p'));
  const btn = $('#sign');
  btn.disabled = !st || !S.key || !S.key.registered || mine;
  btn.dataset.i18n = mine ? 'scrutiny.signed' : 'scrutiny.sign';
  btn.textContent = t(btn.dataset.i18n);
  $('#report-link').href = `/report.html?round=${encodeURIComponent(S.roundId)}`;
}

function checkpointSize(note) { return (note || '').split('\n')[1] ?? ''; }
function checkpointRoot(note) { return (note || '').split('\n')[2] ?? ''; }

async function sign() {
  const st = S.statement;
  if (!st || !S.key) return;
  const body = h('div', {},
    tr('scrutiny.sign_body', null, 'p'),
    h('p', { class: 'mono' }, tr('checkpoint.line', { size: checkpointSize(st.checkpoint), root: rootGroups(checkpointRoot(st.checkpoint)) })));
  const ok = await confirmDialog({ title: t('scrutiny.sign_title'), body, confirmKey: 'scrutiny.sign' });
  if (!ok) return;
  try {
    const signature = await cosign(S.key, st.checkpoint);
    await api('POST', `/meetings/${S.who.meeting}/rounds/${S.roundId}/cosignatures`, { signature });
    sayKey('scrutiny.signed_ok', null, 'ok');
    await refresh();
  } catch (e) { fail(e); }
}

async function main() {
  S.who = await start('scrutiny.screen', ['scrutineer']);
  if (!S.who) return;
  $('#close-form').addEventListener('submit', closeRound);
  $('#box-form').addEventListener('submit', countBox);
  $('#sign').addEventListener('click', sign);
  onLangChange(() => { renderKey(); if (S.round) render(); loadRounds().catch(fail); });
  await renderKey();
  await loadRounds();
}

main().catch(fail);
