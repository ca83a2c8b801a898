// 会务: the organiser sets up the meeting — the meeting itself (with the setup
// token `scrutineer serve` printed), the election method, the check-in
// count, the elections, the people and their log-in links, the rounds.

import {
  api, h, raw, tr, fill, $, $$, t, lang, applyI18n, onLangChange, topbar, takeToken, useToken, me,
  fail, say, sayKey, confirmDialog, label, labelEl, checkpointLine, ApiError, homeOf, roundsOf,
  serverInfo, liveRound,
} from './app.js';
import { encode, toSvg } from './qr.js';
import { roundNumber, roundRef } from './rounds.js';
import { liveBanner, roundChange } from './live.js';
import { keepLink as storeLink, validLinks, linkState, validId } from './links.js';

const S = { who: null, meeting: null, people: [], rounds: {} };

// Log-in links are shown once by the service; the organiser's tab keeps the
// ones it made so they can be handed out (web/links.js says why nothing
// else keeps them), and the list of who has a valid link comes from the
// service, so it is there again after a reload or in a new tab.
function links() { return validLinks(S.who.meeting, S.people); }
function keepLink(person, url, id) { storeLink(S.who.meeting, person, reachable(url), id); }

/// A server listening on every interface (0.0.0.0) makes links nobody can
/// open: use the address this page was reached at instead.
function reachable(url) {
  try {
    const u = new URL(url);
    if (['0.0.0.0', '[::]'].includes(u.hostname)) return `${location.origin}/${u.hash}`;
  } catch (e) { /* not a URL: keep it */ }
  return url;
}

// ---- creating the meeting (setup token) ----

function exclusionRow() {
  const row = h('div', { class: 'row exclusion' },
    h('div', { class: 'field' }, h('label', { i18n: 'setup.exclusion_reason' }), h('input', { class: 'x-reason', required: true, maxlength: '100' })),
    h('div', { class: 'field' }, h('label', { i18n: 'setup.exclusion_count' }), h('input', { class: 'x-count', type: 'number', min: '1', required: true, size: '4' })),
    h('div', { class: 'field' }, h('label', { i18n: 'setup.exclusion_approved_by' }), h('input', { class: 'x-approved', required: true, maxlength: '100' })),
    h('button', { type: 'button', class: 'btn small', i18n: 'action.remove', onclick: () => row.remove() }));
  return row;
}

function showCreate() {
  $('#create').classList.remove('hidden');
  $('#add-exclusion').addEventListener('click', () => $('#exclusions').append(exclusionRow()));
  $('#create-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const body = {
      name: $('#m-name').value.trim(),
      body: $('#m-body').value,
      voting_members: Number($('#m-voting').value),
      exclusions: $$('.exclusion').map((r) => ({
        reason: $('.x-reason', r).value.trim(),
        count: Number($('.x-count', r).value),
        approved_by: $('.x-approved', r).value.trim(),
      })),
      organiser: $('#m-organiser').value.trim(),
    };
    try {
      const res = await api('POST', '/meetings', body);
      useToken(res.organiser.token.token);
      storeLink(res.meeting.id, res.organiser.person, reachable(res.organiser.token.login_url), res.organiser.token.id);
      location.replace('/setup.html');
    } catch (err) { fail(err); }
  });
  $('#m-name').focus();
}

// ---- the meeting ----

async function refresh() {
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  S.people = await api('GET', `/meetings/${S.who.meeting}/people`);
  S.witnesses = await api('GET', `/meetings/${S.who.meeting}/witnesses`);
  S.rounds = {};
  await Promise.all(roundsOf(S.meeting).map(async (r) => {
    S.rounds[r.id] = await api('GET', `/meetings/${S.who.meeting}/rounds/${r.id}`);
  }));
  render();
  followRounds();
}

// ---- following the meeting: rounds closed, decided, opened elsewhere ----

const FOLLOW = { id: null, stop: null, pending: null };

/// Follows the open round (else the latest one held) over the live
/// stream; a close or a presidium decision there updates the rounds.
function followRounds() {
  const held = roundsOf(S.meeting).filter((r) => r.state !== 'draft');
  const target = held.find((r) => r.state === 'open') || held[held.length - 1];
  if (!target || FOLLOW.id === target.id) return;
  if (FOLLOW.stop) FOLLOW.stop();
  FOLLOW.id = target.id;
  FOLLOW.stop = liveRound(S.who.meeting, target.id, (type) => {
    if (type !== 'state') return;
    clearTimeout(FOLLOW.pending);
    FOLLOW.pending = setTimeout(() => liveRefresh().catch(() => {}), 300);
  });
}

function roundsSignature() {
  return roundsOf(S.meeting).map((r) => `${r.id}:${r.state}:${r.status}:${r.announced}`).join('|');
}

/// Re-reads the rounds; redraws only the rounds section (never the forms
/// being filled in) and says what changed.
async function liveRefresh() {
  const before = S.rounds;
  const sig = roundsSignature();
  S.meeting = await api('GET', `/meetings/${S.who.meeting}`);
  const rounds = {};
  await Promise.all(roundsOf(S.meeting).map(async (r) => {
    rounds[r.id] = await api('GET', `/meetings/${S.who.meeting}/rounds/${r.id}`);
  }));
  S.rounds = rounds;
  if (roundsSignature() !== sig) renderRounds();
  for (const r of roundsOf(S.meeting)) {
    const change = roundChange(S.meeting, before[r.id], rounds[r.id]);
    if (!change) continue;
    liveBanner(change.key, change.args, change.next ? {
      key: 'live.go', onclick: () => $(`form.open-round[data-round="${change.next}"] input`)?.focus(),
    } : null);
  }
  followRounds();
}

function render() {
  const m = S.meeting;
  fill($('#meeting-name'), raw(m.name));
  const excluded = (m.exclusions || []).reduce((a, x) => a + x.count, 0);
  fill($('#meeting-facts'), labelEl('body', m.body), ' · ',
    tr('setup.facts', { voting: m.voting_members, excluded, entitled: m.entitled }));
  fill($('#meeting-checkpoint'), m.log ? checkpointLine(m.log) : '');
  renderWitnesses();
  renderMethod();
  renderAttendance();
  renderElections();
  renderPeople();
  renderRounds();
}

/// One line per witness of the log: what it last cosigned; a refusal
/// (a rollback or a fork) loudly, never hidden.
function renderWitnesses() {
  const ws = (S.witnesses && S.witnesses.witnesses) || [];
  fill($('#meeting-witnesses'), ...ws.map((w) => {
    if (w.refusal) {
      return h('p', { class: 'msg warn' },
        tr('setup.witness_refused', { name: w.name, status: w.refusal.status, message: w.refusal.message }));
    }
    const line = tr('setup.witness_line', { name: w.name, size: w.cosigned_size, behind: w.behind ?? 0 });
    return w.last_error
      ? h('p', {}, line, ' ', h('span', { class: 'badge warn' }, tr('setup.witness_error', { message: w.last_error.message })))
      : h('p', {}, line);
  }));
}

function anyRoundOpened() {
  return roundsOf(S.meeting).some((r) => r.state !== 'draft');
}

function renderMethod() {
  const m = S.meeting.method;
  $('#method-card').classList.toggle('done', !!m);
  if (m) {
    const ov = Object.keys(m.overrides || {});
    fill($('#method-state'), h('span', { class: 'badge ok', i18n: 'setup.method_adopted' }), ' ',
      labelEl('preset', m.preset), ov.length ? tr('setup.with_overrides', { n: ov.length }) : '');
    $('#preset').value = m.preset;
    $('#ov-quorum').value = m.overrides?.quorum?.comparison ?? '';
    $('#ov-base').value = m.overrides?.threshold_base ?? '';
    $('#ov-box').value = m.overrides?.box_check ?? '';
    $('#ov-illegible').value = m.overrides?.illegible ?? '';
    loadMethodText();
  } else {
    fill($('#method-state'), h('span', { class: 'badge warn', i18n: 'setup.method_missing' }));
  }
  const locked = anyRoundOpened();
  for (const el of $$('#method-form select, #method-form button')) el.disabled = locked;
  if (locked) $('#method-state').append(' ', tr('setup.method_locked'));
}

async function loadMethodText() {
  try {
    const text = await api('GET', `/meetings/${S.who.meeting}/method/text?lang=${lang() === 'en' ? 'en' : 'zh'}`);
    fill($('#method-text'), typeof text === 'string' ? text : '');
    $('#method-text-box').classList.remove('hidden');
  } catch (e) { /* not adopted yet */ }
}

function renderAttendance() {
  const a = S.meeting.attendance;
  $('#attendance-card').classList.toggle('done', !!a);
  if (!a) { fill($('#attendance-state'), h('span', { class: 'badge warn', i18n: 'setup.attendance_missing' })); return; }
  $('#present').value = a.present;
  fill($('#attendance-state'),
    h('span', { class: `badge ${a.quorum_met ? 'ok' : 'error'}`, i18n: a.quorum_met ? 'quorum.met' : 'quorum.not_met' }), ' ',
    tr('setup.attendance_state', { present: a.present, entitled: S.meeting.entitled, required: a.quorum_required }));
}

function staffOf(electionId) {
  return S.people.filter((p) => (p.elections || []).includes(electionId));
}

function renderElections() {
  const els = S.meeting.elections || [];
  $('#elections-card').classList.toggle('done', els.length > 0);
  fill($('#elections'), els.length ? h('table', {},
    h('thead', {}, h('tr', {}, h('th', { i18n: 'setup.contest' }), h('th', { i18n: 'setup.office' }), h('th', { class: 'num', i18n: 'setup.seats' }), h('th', { i18n: 'setup.staff' }))),
    h('tbody', {}, els.map((e) => h('tr', { 'data-election': e.id },
      h('td', { raw: true }, e.contest), h('td', {}, labelEl('office', e.office)), h('td', { class: 'num' }, e.seats),
      h('td', {}, staffOf(e.id).map((p) => h('span', { class: 'staff' }, raw(p.name), '（', labelEl('role', p.role), '） '))))))) : null);
  fill($('#p-elections'), els.map((e) => h('label', { class: 'check' },
    h('input', { type: 'checkbox', class: 'p-election', value: e.id }), ' ', raw(e.contest))));
}

function renderPeople() {
  const known = links();
  fill($('#people'), S.people.map((p) => {
    const url = known[p.id];
    const state = linkState(S.who.meeting, p);
    const input = url ? h('input', { type: 'text', readonly: true, class: 'login-link', value: url, 'aria-label': t('setup.link_of', { name: p.name }), 'data-raw-label': '' })
      : h('span', { class: 'muted link-state', 'data-link-state': state, i18n: `links.state_${state}` });
    const copy = url ? h('button', { type: 'button', class: 'btn small', i18n: 'action.copy', onclick: async () => {
      input.select();
      try { await navigator.clipboard.writeText(url); sayKey('setup.copied', { name: p.name }, 'ok'); } catch (e) { document.execCommand('copy'); }
    } }) : null;
    const reissue = h('button', { type: 'button', class: 'btn small', i18n: ['here', 'elsewhere'].includes(state) ? 'setup.new_link' : 'setup.make_link', onclick: () => newLink(p) });
    const qr = url ? h('button', { type: 'button', class: 'btn small', i18n: 'setup.qr', onclick: () => showQr(p, url) }) : null;
    const revoke = validId(p) && p.id !== S.who.person ? h('button', { type: 'button', class: 'btn small', i18n: 'links.revoke', onclick: () => revokeLink(p).catch(fail) }) : null;
    return h('div', { class: 'link-row', 'data-person': p.id, 'data-role': p.role, 'data-name': p.name, 'data-link-state': state },
      raw(p.name), labelEl('role', p.role), input, h('span', {}, copy, ' ', qr, ' ', reissue, ' ', revoke), assignControl(p));
  }));
  $('#people-card').classList.toggle('done', S.people.some((p) => p.role === 'counter') && S.people.some((p) => p.role === 'scrutineer'));
}

/// For a counter or scrutineer: assign them to an election they are not
/// assigned to yet (a person added without ticking one, or a new election).
function assignControl(p) {
  if (!['counter', 'scrutineer'].includes(p.role)) return null;
  const open = (S.meeting.elections || []).filter((e) => !(p.elections || []).includes(e.id));
  if (!open.length) return null;
  const sel = h('select', { class: 'assign-election', 'aria-label': t('setup.assign_one', { name: p.name }), 'data-raw-label': '' },
    open.map((e) => h('option', { value: e.id, raw: true }, e.contest)));
  const btn = h('button', { type: 'button', class: 'btn small assign-btn', i18n: 'setup.assign', onclick: async () => {
    try {
      await api('POST', `/meetings/${S.who.meeting}/elections/${sel.value}/assignments`, { person: p.id });
      sayKey('setup.assigned', { name: p.name }, 'ok');
      await refresh();
    } catch (e) { fail(e); }
  } });
  return h('span', { class: 'assign' }, sel, ' ', btn);
}

/// The link as a QR code, for a tablet's camera: the log-in slip, with
/// the server certificate's fingerprint to compare with the browser's.
async function showQr(p, url) {
  const svg = toSvg(encode(url, { ecl: 'M' }), { title: t('setup.link_of', { name: p.name }) });
  svg.classList.add('link-qr');
  const server = await serverInfo();
  const fp = server.fingerprint
    ? h('p', { class: 'slip-fingerprint' }, h('span', { i18n: 'setup.cert_fingerprint' }), ' ',
      h('span', { class: 'fingerprint', raw: true }, server.fingerprint))
    : null;
  confirmDialog({
    title: t('setup.qr_title', { name: p.name }),
    body: h('div', {}, svg, tr('setup.qr_hint', null, 'p'), fp, fp ? tr('setup.cert_compare', null, 'p') : null),
    confirmKey: 'action.close', cancelKey: null,
  });
}

async function newLink(p) {
  const ok = await confirmDialog({ title: t('setup.new_link_title', { name: p.name }), body: t('setup.new_link_body') });
  if (!ok) return;
  try {
    // The service revokes the old links with it (logged): a lost link
    // must not stay usable.
    const tok = await api('POST', `/meetings/${S.who.meeting}/people/${p.id}/tokens`, {});
    keepLink(p.id, tok.login_url, tok.id);
    if (p.id === S.who.person) useToken(tok.token);
    await refresh();
  } catch (e) { fail(e); }
}

/// Revokes a person's link at once (logged); it is never shown again.
async function revokeLink(p) {
  const ok = await confirmDialog({ title: t('links.revoke_title', { name: p.name }), body: t('links.revoke_body'), danger: true });
  if (!ok) return;
  await api('DELETE', `/meetings/${S.who.meeting}/tokens/${validId(p)}`);
  sayKey('links.revoked', { name: p.name }, 'ok');
  await refresh();
}

// ---- rounds ----

const ROUND_KINDS = ['formal', 'preliminary', 'nomination', 'evaluation', 'cadre', 'resolution'];

function renderRounds() {
  const els = S.meeting.elections || [];
  fill($('#rounds'), els.map((e) => {
    const rounds = (e.rounds || []).map((r) => S.rounds[r.id] || r);
    return h('div', { class: 'election-rounds', 'data-election': e.id },
      h('h3', {}, raw(e.contest)),
      rounds.length ? h('table', {},
        h('thead', {}, h('tr', {}, h('th', { i18n: 'setup.round' }), h('th', { i18n: 'setup.kind' }), h('th', { i18n: 'setup.candidates' }),
          h('th', { class: 'num', i18n: 'setup.seats' }), h('th', { i18n: 'setup.state' }), h('th', {}))),
        h('tbody', {}, rounds.map((r) => h('tr', { 'data-round': r.id, 'data-state': r.state },
          h('td', {}, tr('round.number', { n: roundNumber(S.meeting, r.id) })), h('td', {}, labelEl('kind', r.kind)), h('td', { raw: true }, (r.candidates || []).join('、')),
          h('td', { class: 'num' }, r.seats ?? ''),
          h('td', {}, labelEl('state', r.state), r.status ? h('span', {}, ' · ', labelEl('status', r.status)) : ''),
          h('td', {}, r.state === 'draft' ? openForm(r) : ''))))) : null,
      addRoundForm(e));
  }));
}

function openForm(r) {
  const present = S.meeting.attendance?.present;
  const input = h('input', { type: 'number', min: '0', class: 'issued', required: true, size: '5', value: present ?? '',
    'aria-label': t('setup.issued') });
  // How the round is counted, chosen when it opens: ballot by ballot, or
  // by hand (唱票: the counters enter each candidate's totals).
  const counting = h('select', { class: 'counting', 'aria-label': t('setup.counting') },
    h('option', { value: 'ballots', i18n: 'counting.ballots' }), h('option', { value: 'totals', i18n: 'counting.totals' }));
  return h('form', { class: 'row open-round', 'data-round': r.id, onsubmit: async (e) => {
    e.preventDefault();
    const issued = Number(input.value);
    const body = h('div', {}, tr('setup.open_body', { issued, round: roundRef(S.meeting, r.id, r.kind) }, 'p'),
      counting.value === 'totals' ? tr('setup.open_totals', null, 'p') : null);
    const ok = await confirmDialog({ title: t('setup.open_title'), body });
    if (!ok) return;
    try {
      await api('POST', `/meetings/${S.who.meeting}/rounds/${r.id}/open`, { issued, counting: counting.value });
      sayKey('setup.opened', { round: roundRef(S.meeting, r.id, r.kind) }, 'ok');
      await refresh();
    } catch (err) { fail(err); }
  } }, h('label', { class: 'inline' }, h('span', { i18n: 'setup.issued' }), ' ', input),
  h('label', { class: 'inline' }, h('span', { i18n: 'setup.counting' }), ' ', counting),
  h('button', { type: 'submit', class: 'btn primary small', i18n: 'setup.open' }));
}

function addRoundForm(e) {
  const kind = h('select', { class: 'r-kind' }, ROUND_KINDS.map((k) => h('option', { value: k, i18n: `kind.${k}` })));
  const cands = h('textarea', { class: 'r-candidates', rows: '5', required: true, 'aria-label': t('setup.candidates_hint') });
  const seats = h('input', { type: 'number', min: '1', class: 'r-seats', value: e.seats, size: '4' });
  const next = h('input', { type: 'number', min: '1', class: 'r-next', size: '4' });
  const nextField = h('div', { class: 'field hidden' }, h('label', { i18n: 'setup.next_size' }), next);
  kind.addEventListener('change', () => nextField.classList.toggle('hidden', !['nomination', 'evaluation', 'preliminary'].includes(kind.value)));
  return h('details', { class: 'add-round' }, h('summary', { i18n: 'setup.add_round' }),
    h('form', { 'data-election': e.id, onsubmit: async (ev) => {
      ev.preventDefault();
      const body = {
        kind: kind.value,
        candidates: cands.value.split(/[\n,，、]+/).map((s) => s.trim()).filter(Boolean),
        seats: Number(seats.value),
      };
      if (!nextField.classList.contains('hidden') && next.value) body.next_size = Number(next.value);
      try {
        await api('POST', `/meetings/${S.who.meeting}/elections/${e.id}/rounds`, body);
        sayKey('setup.round_added', null, 'ok');
        await refresh();
      } catch (err) { fail(err); }
    } },
    h('div', { class: 'row' },
      h('div', { class: 'field' }, h('label', { i18n: 'setup.kind' }), kind),
      h('div', { class: 'field' }, h('label', { i18n: 'setup.seats' }), seats),
      nextField),
    h('div', { class: 'field' }, h('label', { i18n: 'setup.candidates' }), h('p', { class: 'hint muted', i18n: 'setup.candidates_hint' }), cands),
    h('button', { type: 'submit', class: 'btn primary', i18n: 'setup.add_round_submit' })));
}

// ---- forms ----

function rosterNames() {
  return $('#roster').value.split(/\n+/).map((x) => x.trim()).filter(Boolean);
}

function wireForms() {
  $('#method-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const overrides = {};
    if ($('#ov-quorum').value) overrides.quorum = { comparison: $('#ov-quorum').value };
    if ($('#ov-base').value) overrides.threshold_base = $('#ov-base').value;
    if ($('#ov-box').value) overrides.box_check = $('#ov-box').value;
    if ($('#ov-illegible').value) overrides.illegible = $('#ov-illegible').value;
    try {
      await api('PUT', `/meetings/${S.who.meeting}/method`, { preset: $('#preset').value, overrides });
      sayKey('setup.method_saved', null, 'ok');
      await refresh();
    } catch (err) { fail(err); }
  });
  $('#attendance-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      const roster = rosterNames();
      const body = { present: Number($('#present').value) };
      if (roster.length) body.roster = roster;
      await api('PUT', `/meetings/${S.who.meeting}/attendance`, body);
      sayKey('setup.attendance_saved', null, 'ok');
      await refresh();
    } catch (err) { fail(err); }
  });
  $('#election-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await api('POST', `/meetings/${S.who.meeting}/elections`, {
        contest: $('#e-contest').value.trim(), office: $('#e-office').value, seats: Number($('#e-seats').value),
      });
      $('#election-form').reset();
      await refresh();
    } catch (err) { fail(err); }
  });
  // Names signed in, one per line: the count fills the number present.
  $('#roster').addEventListener('input', () => { const n = rosterNames().length; if (n) $('#present').value = n; });
  const roleSel = $('#p-role');
  const toggleAssign = () => $('#p-elections-field').classList.toggle('hidden', !['counter', 'scrutineer'].includes(roleSel.value));
  roleSel.addEventListener('change', toggleAssign);
  toggleAssign();
  $('#person-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const role = roleSel.value;
    const name = $('#p-name').value.trim();
    try {
      const p = await api('POST', `/meetings/${S.who.meeting}/people`, { role, name });
      keepLink(p.id, p.token.login_url, p.token.id);
      if (['counter', 'scrutineer'].includes(role)) {
        for (const box of $$('.p-election:checked')) {
          await api('POST', `/meetings/${S.who.meeting}/elections/${box.value}/assignments`, { person: p.id });
        }
      }
      $('#p-name').value = '';
      sayKey('setup.person_added', { name }, 'ok');
      await refresh();
      $('#p-name').focus();
    } catch (err) { fail(err); await refresh().catch(() => {}); }
  });
}

async function main() {
  document.documentElement.lang = lang();
  applyI18n(document);
  topbar('setup.screen', null);
  const token = takeToken();
  if (!token) { sayKey('login.needed', null, 'error'); return; }
  try {
    S.who = await me();
  } catch (e) {
    if (e instanceof ApiError && e.status === 401 && e.code !== 'token_revoked') { showCreate(); return; }
    fail(e);
    return;
  }
  if (S.who.role === 'setup') { showCreate(); return; }
  topbar('setup.screen', S.who);
  if (S.who.role !== 'organiser') { location.replace(homeOf(S.who.role)); return; }
  $('#setup').classList.remove('hidden');
  wireForms();
  onLangChange(() => { if (S.meeting) { render(); } });
  await refresh();
}

main().catch(fail);
