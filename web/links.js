// The log-in links this organiser's tab issued, and which of them are
// still valid. The service stores only a hash of each token (a copy of
// the database opens nothing), so a link is shown once, when it is
// issued; this tab keeps it (sessionStorage: it survives a reload, and is
// gone with the tab, so no bearer token outlives the meeting on a shared
// laptop). The list of links itself — who has one, its id, whether it
// was revoked — comes from the service (`GET …/people`), so it is there
// again in any tab; a link this tab does not hold is issued anew from the
// list, which revokes the old one (logged). A link revoked since, here or
// in another tab, is never shown again.

function key(meeting) { return `scrutineer.links.${meeting}`; }

/// person → { url, id } as this tab holds them (older entries: a URL).
export function storedLinks(meeting) {
  let all = {};
  try { all = JSON.parse(sessionStorage.getItem(key(meeting)) || '{}'); } catch (e) { all = {}; }
  const out = {};
  for (const [p, v] of Object.entries(all)) out[p] = typeof v === 'string' ? { url: v, id: null } : v;
  return out;
}

export function keepLink(meeting, person, url, id) {
  const all = storedLinks(meeting);
  all[person] = { url, id: id ?? null };
  sessionStorage.setItem(key(meeting), JSON.stringify(all));
}

/// The person's link that is valid now, per the service: its id.
export function validId(p) {
  return (p.tokens || []).find((x) => !x.revoked)?.id ?? null;
}

/// The links of `people` this tab holds and the service still honours:
/// person → url. A stored link whose id is revoked is dropped here.
export function validLinks(meeting, people) {
  const stored = storedLinks(meeting);
  const out = {};
  for (const p of people) {
    const s = stored[p.id];
    const id = validId(p);
    if (s && id && (s.id == null || s.id === id)) out[p.id] = s.url;
  }
  return out;
}

/// Where a person's link stands: 'here' (valid, held by this tab),
/// 'elsewhere' (valid, issued from another tab or before it was closed),
/// 'revoked' (every link revoked) or 'none' (never issued).
export function linkState(meeting, p) {
  const id = validId(p);
  if (id) return validLinks(meeting, [p])[p.id] ? 'here' : 'elsewhere';
  return (p.tokens || []).length ? 'revoked' : 'none';
}
