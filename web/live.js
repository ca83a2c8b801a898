// Screens that follow the meeting: a banner for what the meeting did
// while this screen was open — a round closed, certified or announced, a
// decision of the presidium, a new round made or opened — with a button
// that goes there. The banner sits in the page's flow (under the status
// line), never over a button, and stays until dismissed or replaced.

import { h, tr, fill, $ } from './app.js';
import { roundRef } from './rounds.js';

function box() {
  let el = $('#live-banner');
  if (!el) {
    el = h('div', { id: 'live-banner', 'aria-live': 'polite' });
    const status = $('#status');
    if (status) status.after(el); else document.body.prepend(el);
  }
  return el;
}

/// Shows one banner: `key` with `args`, and optionally a button
/// `{ key, onclick }`.
export function liveBanner(key, args, action = null) {
  const el = box();
  fill(el, h('div', { class: 'live-banner', 'data-live': key, role: 'status' },
    tr(key, args),
    action ? h('button', { type: 'button', class: 'btn small primary', id: 'live-go', i18n: action.key,
      onclick: () => { fill(el); action.onclick(); } }) : null,
    h('button', { type: 'button', class: 'btn small', id: 'live-dismiss', i18n: 'live.dismiss', onclick: () => fill(el) })));
}

export function clearLiveBanner() {
  const el = $('#live-banner');
  if (el) fill(el);
}

/// What changed between two views of one round (GET …/rounds/{r}), as the
/// banner to show, or null. `meeting` names rounds by number.
export function roundChange(meeting, before, after) {
  if (!before || !after || before.id !== after.id) return null;
  const name = roundRef(meeting, after.id, after.kind);
  const decided = (after.decisions || []).length > (before.decisions || []).length;
  if (after.next_round && after.next_round !== before.next_round) {
    return { key: 'live.next_round', args: { round: name, next: roundRef(meeting, after.next_round) }, next: after.next_round };
  }
  if (before.state !== 'closed' && after.state === 'closed') return { key: 'live.closed', args: { round: name } };
  if (before.state === 'draft' && after.state === 'open') return { key: 'live.opened', args: { round: name } };
  if (!before.announced && after.announced) return { key: 'live.announced', args: { round: name } };
  if (before.status !== 'certified' && after.status === 'certified') return { key: 'live.certified', args: { round: name } };
  if (decided) return { key: 'live.decision', args: { round: name } };
  return null;
}
