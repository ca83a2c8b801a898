// 会场大屏: the hall display. Full screen, large type, nothing technical
// (no ids, no hashes, no checkpoints): the contest and, once the presidium
// announced it, the list of those elected in the order the chair reads it,
// with the announcement's words. Before that it says the count is under
// way. It follows the meeting live: the election's latest round over the
// event stream, and the meeting every 15 s for a newly announced election
// when none is named in the address (?election=e1).

import { start, api, h, raw, tr, fill, $, lang, onLangChange, fail, liveRound } from './app.js';
import { electionResult, electedList } from './rounds.js';

const S = { who: null, named: null, election: null, result: null, meetingName: '', stop: null, watching: null };

/// The election to show: the one named, else the last one with an
/// announced round, else the first.
async function choose() {
  const m = await api('GET', `/meetings/${S.who.meeting}`);
  S.meetingName = m.name;
  const els = m.elections || [];
  if (S.named) return S.named;
  const announced = els.filter((e) => (e.rounds || []).some((r) => r.announced));
  return (announced[announced.length - 1] || els[0])?.id ?? null;
}

async function refresh() {
  const id = await choose();
  if (!id) { S.result = null; render(); return; }
  S.election = id;
  S.result = await electionResult(S.who.meeting, id);
  render();
  follow();
}

function follow() {
  const rounds = S.result?.rounds || [];
  const last = rounds[rounds.length - 1];
  if (!last || S.watching === last.id) return;
  if (S.stop) S.stop();
  S.watching = last.id;
  let pending = null;
  S.stop = liveRound(S.who.meeting, last.id, (type) => {
    if (type !== 'state') return;
    clearTimeout(pending);
    pending = setTimeout(() => refresh().catch(fail), 300);
  });
}

/// What the hall may be shown: a viewer who sees more (the presidium
/// opening the display) still gets only what was announced.
function announcedPart(r) {
  const rounds = new Set((r.rounds || []).filter((x) => x.announced).map((x) => x.number));
  return (r.elected || []).filter((e) => rounds.has(e.number));
}

function render() {
  const r = S.result;
  fill($('#hall-meeting'), raw(S.meetingName));
  if (!r) {
    fill($('#hall-contest'));
    fill($('#hall-body'), h('p', { class: 'hall-wait', i18n: 'hall.no_election' }));
    return;
  }
  fill($('#hall-contest'), raw(r.contest));
  const shown = announcedPart(r);
  if (r.announced && r.announcement) {
    fill($('#hall-body'),
      h('p', { class: 'hall-heading' }, tr(r.order === 'votes' ? 'hall.elected_votes' : (shown.length > 1 ? 'hall.elected_strokes' : 'hall.elected'))),
      electedList({ elected: shown }, { id: 'hall-elected', big: true }),
      h('p', { class: 'hall-words', id: 'hall-words' }, raw(lang() === 'en' ? r.announcement.en : r.announcement.zh)));
    return;
  }
  fill($('#hall-body'), h('p', { class: 'hall-wait', id: 'hall-wait', i18n: 'hall.waiting' }),
    shown.length ? h('div', { class: 'hall-partial' }, h('p', { class: 'hall-heading', i18n: 'hall.so_far' }),
      electedList({ elected: shown }, { id: 'hall-elected', big: true })) : null);
}

function fullscreen() {
  const el = document.documentElement;
  if (document.fullscreenElement) document.exitFullscreen?.();
  else el.requestFullscreen?.().catch(() => {});
}

async function main() {
  S.named = new URLSearchParams(location.search).get('election');
  S.who = await start('hall.screen', ['display', 'presidium']);
  if (!S.who) return;
  $('#hall-full').addEventListener('click', fullscreen);
  document.addEventListener('keydown', (e) => { if (e.key === 'f' || e.key === 'F') fullscreen(); });
  document.addEventListener('fullscreenchange', () => $('#hall-full').classList.toggle('hidden', !!document.fullscreenElement));
  onLangChange(() => render());
  await refresh();
  // A newly announced election: only when none is named.
  if (!S.named) setInterval(() => refresh().catch(() => {}), 15000);
}

main().catch(fail);
