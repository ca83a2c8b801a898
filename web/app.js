// Shared by every screen: the log-in token, the API client, the top bar,
// dialogs, the live-update stream and the checkpoint line.
//
// Nothing here is fetched from outside this server: the page's
// Content-Security-Policy allows 'self' only.

import { t, lang, setLang, applyI18n, onLangChange } from './i18n.js';
import { signatureHeaders, registerDeviceKey, loadKey, importDemoSeed, secureContext } from './keys.js';

export { t, lang, applyI18n, onLangChange };

const TOKEN_KEY = 'scrutineer.token';

/// Takes `#token=…` from the address (then removes it from the address bar
/// and the history) into sessionStorage, and returns the token in use.
export function takeToken() {
  const m = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(location.hash);
  if (m) {
    sessionStorage.setItem(TOKEN_KEY, m[1]);
    history.replaceState(null, '', location.pathname + location.search);
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/// Replaces the token in use (after creating a meeting with the setup token).
export function useToken(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  meCache = null;
}

export function forgetToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

/// An API refusal, as the service's problem+json.
export class ApiError extends Error {
  constructor(status, problem) {
    super(problem.message_en || problem.title || String(status));
    this.status = status;
    this.code = problem.code || 'unknown';
    this.field = problem.field ?? null;
    this.problem = problem;
  }
  /// The message in the current language.
  text() {
    const p = this.problem;
    if (this.code === 'network') return t('error.network');
    return (lang() === 'en' ? p.message_en : p.message_zh) || p.title || t('error.unknown');
  }
}

/// Calls the API. Returns the parsed JSON body (or text for text/plain),
/// throws ApiError on a refusal or a network failure. A change the service
/// logs in this person's name is signed on this device: the service answers
/// 428 `signature_required` with the entries, this signs them with the
/// person's key and sends the request again (409 `key_required`: the key is
/// made and registered first).
export async function api(method, path, body, extraHeaders = {}) {
  let signing = {};
  for (let attempt = 0; ; attempt++) {
    try {
      return await apiOnce(method, path, body, { ...extraHeaders, ...signing });
    } catch (e) {
      if (!(e instanceof ApiError) || attempt >= 3) throw e;
      try {
        if (e.code === 'signature_required') {
          signing = await signatureHeaders(e.problem, await me());
          continue;
        }
        if (e.code === 'key_required') {
          await registerDeviceKey(await me(), (p, b) => api('PUT', p, b));
          signing = {};
          continue;
        }
      } catch (k) {
        if (k instanceof ApiError) throw k;
        throw new ApiError(0, k.problem || { code: 'signing_failed', message_zh: String(k.message), message_en: String(k.message) });
      }
      throw e;
    }
  }
}

async function apiOnce(method, path, body, extraHeaders) {
  const headers = { ...extraHeaders };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const init = { method, headers };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(`/api${path}`, init);
  } catch (e) {
    throw new ApiError(0, { code: 'network' });
  }
  const type = res.headers.get('Content-Type') || '';
  if (!res.ok) {
    let problem = { code: 'unknown', title: res.statusText };
    if (type.includes('json')) {
      try { problem = await res.json(); } catch (e) { /* keep the status text */ }
    }
    throw new ApiError(res.status, problem);
  }
  if (type.includes('json')) return res.json();
  if (type.startsWith('text/')) return res.text();
  return res.blob();
}

let meCache = null;
/// Who the token is: {meeting, person, role, name, token}.
/// How to check this server (`GET /api/server`, no token): whether it
/// speaks HTTPS, its certificate fingerprint, the demonstration meeting.
let serverInfoCache = null;
export async function serverInfo() {
  if (!serverInfoCache) {
    serverInfoCache = fetch('/api/server').then((r) => (r.ok ? r.json() : {})).catch(() => ({}));
  }
  return serverInfoCache;
}

export async function me() {
  if (!meCache) meCache = await api('GET', '/me');
  return meCache;
}

/// Makes an element: h('button', {class: 'big', onclick: f}, 'text', child…).
/// Attribute `i18n` sets the text from the string table (kept on language
/// change); `raw` marks data (names typed by people) that is not translated.
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'i18n') { el.dataset.i18n = v; el.textContent = t(v); }
    else if (k === 'i18nArgs') el.dataset.i18nArgs = JSON.stringify(v);
    else if (k === 'raw') { if (v) el.dataset.raw = ''; }
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, v);
  }
  if (attrs && attrs.i18nArgs && attrs.i18n) el.textContent = t(attrs.i18n, attrs.i18nArgs);
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/// Text typed by a person (a name, a contest): shown as is in every language.
export function raw(text, tag = 'span') {
  return h(tag, { raw: true }, text ?? '');
}

/// Translated text with arguments, kept up to date on language change.
export function tr(key, args, tag = 'span') {
  return h(tag, { i18n: key, i18nArgs: args });
}

/// Replaces the children of `el`.
export function fill(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

export function $(sel, root = document) { return root.querySelector(sel); }
export function $$(sel, root = document) { return [...root.querySelectorAll(sel)]; }

/// Bytes → lower-case hex.
export function hex(bytes) {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/// Hex in groups of four, as people read them aloud: "3fa2 9c1d …".
export function groups4(hexText) {
  return hexText.match(/.{1,4}/g)?.join(' ') ?? '';
}

export function base64ToBytes(b64) {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export function bytesToBase64(bytes) {
  let s = '';
  for (const b of new Uint8Array(bytes)) s += String.fromCharCode(b);
  return btoa(s);
}

/// A checkpoint root (base64) in 4-hex groups.
export function rootGroups(rootB64) {
  try { return groups4(hex(base64ToBytes(rootB64))); } catch (e) { return rootB64; }
}

/// "数据截至日志检查点 #57 · 3fa2 9c1d …": which state of the log a view shows.
export function checkpointLine(cp) {
  if (!cp) return tr('checkpoint.none', null, 'p');
  const p = tr('checkpoint.line', { size: cp.size, root: rootGroups(cp.root) }, 'p');
  p.className = 'checkpoint';
  p.dataset.size = cp.size;
  return p;
}

/// Labels of the service's enumerations (role, kind, state, status…).
export function label(kind, value) {
  if (value === null || value === undefined) return '';
  return t(`${kind}.${value}`);
}
export function labelEl(kind, value, tag = 'span') {
  if (value === null || value === undefined) return h(tag);
  return h(tag, { i18n: `${kind}.${value}` });
}

/// The top bar: product, screen name, who is logged in, language toggle.
export function topbar(screenKey, who) {
  const bar = $('#topbar');
  if (!bar) return;
  fill(bar,
    h('span', { class: 'brand', i18n: 'app.name' }),
    h('span', { class: 'screen', i18n: screenKey }),
    who ? h('span', { class: 'who' }, raw(who.name), ' · ', labelEl('role', who.role)) : null,
    h('button', { type: 'button', class: 'lang-toggle', id: 'lang-toggle', lang: lang() === 'en' ? 'zh-CN' : 'en',
      i18n: 'lang.toggle', onclick: () => setLang(lang() === 'en' ? 'zh-CN' : 'en') }));
}

onLangChange(() => {
  const b = $('#lang-toggle');
  if (b) b.setAttribute('lang', lang() === 'en' ? 'zh-CN' : 'en');
});

/// A message in the page's status area (read out by screen readers): a
/// table string, kept in the current language when it changes.
export function sayKey(key, args, kind = 'info') {
  lastError = null;
  const box = $('#status');
  if (!box) return;
  fill(box, h('p', { class: `msg ${kind}`, role: kind === 'error' ? 'alert' : null, i18n: key, i18nArgs: args }));
}

/// Clears the status area, or shows a refusal of the service in the
/// current language (the service sends both).
export function say(message, kind = 'info') {
  const box = $('#status');
  if (!box) return;
  if (!message) { lastError = null; fill(box); return; }
  if (message instanceof ApiError) {
    lastError = message;
    fill(box, h('p', { class: `msg ${kind}`, role: 'alert', raw: true }, message.text()));
    return;
  }
  console.error(message);
  sayKey('error.unknown', null, 'error');
}

let lastError = null;
onLangChange(() => { if (lastError) say(lastError, 'error'); });

/// Shows the error of a failed action where the person looks.
export function fail(e) {
  say(e instanceof ApiError ? e : new Error(String(e?.stack ?? e)), 'error');
}

/// A modal question. `body` is a node or text; resolves true on confirm.
/// Enter confirms, Escape cancels; focus starts on the cancel button when
/// `danger`, so a stray Enter does not take a decision.
/// `valid()`, if given, must hold for the confirmation to count (e.g. a
/// number typed a second time must match).
export function confirmDialog({ title, body, confirmKey = 'action.confirm', cancelKey = 'action.cancel', danger = false, input = null, valid = null }) {
  return new Promise((resolve) => {
    const dlg = h('dialog', { class: `confirm${danger ? ' danger' : ''}`, 'aria-labelledby': 'dlg-title' });
    const ok = h('button', { type: 'button', class: 'btn primary big', i18n: confirmKey, 'data-action': 'confirm' });
    // cancelKey null: a notice with one button.
    const cancel = cancelKey ? h('button', { type: 'button', class: 'btn big', i18n: cancelKey, 'data-action': 'cancel' }) : null;
    dlg.append(...[
      h('h2', { id: 'dlg-title' }, title instanceof Node ? title : String(title)),
      h('div', { class: 'dlg-body' }, body instanceof Node ? body : h('p', {}, String(body ?? ''))),
      input ? h('div', { class: 'dlg-input' }, input) : null,
      h('div', { class: 'dlg-buttons' }, ok, cancel),
      cancel ? h('p', { class: 'muted dlg-keys', i18n: 'dialog.keys' }) : null,
    ].filter(Boolean));
    const done = (v) => {
      if (input && v && input.required && !input.value.trim()) { input.focus(); return; }
      if (v && valid && !valid()) { input?.focus(); input?.select?.(); return; }
      dlg.close(); dlg.remove(); resolve(v);
    };
    ok.addEventListener('click', () => done(true));
    cancel?.addEventListener('click', () => done(false));
    dlg.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    dlg.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && e.target !== cancel) { e.preventDefault(); e.stopPropagation(); done(true); }
    });
    document.body.append(dlg);
    dlg.showModal();
    (input || (danger && cancel ? cancel : ok)).focus();
  });
}

/// Live updates of a round over Server-Sent Events. EventSource cannot send
/// the Authorization header, so this reads the stream with fetch. Calls
/// `onEvent(type, data)`; reconnects after a drop (the first message after a
/// reconnect is always the current state). Returns a function that stops it.
export function liveRound(meeting, round, onEvent, onDown = () => {}) {
  let ctl = new AbortController();
  let stopped = false;
  let delay = 500;
  // A page left for another is kept by the browser (back-forward cache)
  // with its connections unless it drops them; a browser opens at most six
  // to one server over HTTP/1.1, and every other request of every screen
  // would wait behind held streams. Dropped on leaving; the loop's retry
  // reconnects if the page is shown again (timers wait while it is away).
  const leave = () => ctl.abort();
  addEventListener('pagehide', leave);
  const run = async () => {
    while (!stopped) {
      ctl = new AbortController();
      try {
        const res = await fetch(`/api/meetings/${meeting}/rounds/${round}/events`, {
          headers: { Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}`, Accept: 'text/event-stream' },
          signal: ctl.signal,
        });
        if (!res.ok || !res.body) throw new Error(`events ${res.status}`);
        delay = 500;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let cut;
          while ((cut = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, cut);
            buf = buf.slice(cut + 2);
            let type = 'message';
            const data = [];
            for (const line of block.split('\n')) {
              if (line.startsWith(':')) continue;
              const i = line.indexOf(':');
              const field = i < 0 ? line : line.slice(0, i);
              const val = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
              if (field === 'event') type = val;
              else if (field === 'data') data.push(val);
            }
            if (data.length) {
              try { onEvent(type, JSON.parse(data.join('\n'))); } catch (e) { console.error(e); }
            }
          }
        }
      } catch (e) {
        if (stopped) return;
      }
      if (stopped) return;
      onDown();
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 10000);
    }
  };
  run();
  return () => { stopped = true; removeEventListener('pagehide', leave); ctl.abort(); };
}

/// Starts a screen: takes the token, applies the language, fetches who is
/// logged in. Returns `me` or null (and shows how to log in).
export async function start(screenKey, roles) {
  document.documentElement.lang = lang();
  applyI18n(document);
  const demoSeed = /[#&]cosign_key=([A-Za-z0-9_-]+)/.exec(location.hash)?.[1];
  const token = takeToken();
  if (demoSeed) history.replaceState(null, '', location.pathname + location.search);
  topbar(screenKey, null);
  if (!token) {
    sayKey('login.needed', null, 'error');
    return null;
  }
  let who;
  try {
    who = await me();
  } catch (e) {
    fail(e);
    return null;
  }
  topbar(screenKey, who);
  if (demoSeed && secureContext() && !(await loadKey(who.meeting, who.person))) {
    // A key in a link is a demonstration's only: anywhere else it would be
    // a key someone planted, not one this person made.
    const server = await serverInfo();
    if (server.demo_meeting && server.demo_meeting === who.meeting) {
      try { await importDemoSeed(who.meeting, who.person, who.name, demoSeed); } catch (e) { fail(e); }
    } else {
      sayKey('key.demo_refused', null, 'error');
    }
  }
  if (roles && !roles.includes(who.role)) {
    sayKey('login.wrong_role', { role: label('role', who.role) }, 'error');
    const a = h('a', { class: 'btn', href: homeOf(who.role), i18n: 'login.go_home' });
    $('#status')?.append(a);
    return null;
  }
  return who;
}

/// The screen made for a role.
export function homeOf(role) {
  return {
    setup: '/setup.html',
    organiser: '/setup.html',
    counter: '/count.html',
    scrutineer: '/scrutiny.html',
    presidium: '/presidium.html',
    display: '/presidium.html',
    auditor: '/audit.html',
  }[role] || '/';
}

/// A fresh random id for Idempotency-Key headers.
export function randomId() {
  return hex(crypto.getRandomValues(new Uint8Array(16)));
}

/// Rounds of a meeting, flattened with their election.
export function roundsOf(meeting) {
  const out = [];
  for (const e of meeting.elections || []) {
    for (const r of e.rounds || []) out.push({ ...r, election: e.id, contest: e.contest, office: e.office, seats: e.seats });
  }
  return out;
}

/// "支部委员会委员 · 正式选举 (r2)" for a round in a list.
export function roundTitle(r) {
  return h('span', { class: 'round-title' }, raw(r.contest), ' · ', labelEl('kind', r.kind), raw(` (${r.id})`));
}

/// Mark labels depend on the kind of vote: 同意/不同意/缓议 for a cadre vote.
export function markKey(kind, mark) {
  const cadre = kind === 'cadre';
  return {
    Y: cadre ? 'mark.cadre_for' : 'mark.for',
    N: cadre ? 'mark.cadre_against' : 'mark.against',
    A: cadre ? 'mark.cadre_defer' : 'mark.abstain',
    '?': 'mark.illegible',
  }[mark];
}
