// A scrutineer's personal Ed25519 signing key, made and kept in this
// browser: WebCrypto, non-extractable (the private key cannot be read out,
// not even by this page), stored as a CryptoKey in IndexedDB. Only the
// public key leaves the device, registered with the meeting as a C2SP
// verifier key of type 0x04 (tlog-cosignature).
//
// Cosignature (src/log/cosignature.rs, C2SP tlog-cosignature v1):
//   key ID   = SHA-256(name || 0x0A || 0x04 || public key)[0..4]
//   message  = "cosignature/v1\ntime <secs>\n" || checkpoint body
//   line     = "— <name> " || base64(key ID || u64 BE time || signature)

import { hex, groups4, bytesToBase64, t } from './app.js';

const DB_NAME = 'scrutineer-keys';
const STORE = 'keys';
const enc = new TextEncoder();

function openDb() {
  return new Promise((resolve, reject) => {
    const req = indexedDB.open(DB_NAME, 1);
    req.onupgradeneeded = () => req.result.createObjectStore(STORE);
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

async function tx(mode, f) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const t = db.transaction(STORE, mode);
    const req = f(t.objectStore(STORE));
    t.oncomplete = () => { db.close(); resolve(req?.result); };
    t.onerror = () => { db.close(); reject(t.error); };
  });
}

/// Whether this browser can make Ed25519 keys.
/// Whether this page may use WebCrypto at all: only in a secure context
/// (HTTPS, or loopback). Over plain HTTP from another machine
/// `crypto.subtle` is undefined.
export function secureContext() {
  return !!(globalThis.isSecureContext && globalThis.crypto && globalThis.crypto.subtle);
}

export async function supported() {
  if (!secureContext()) return false;
  try {
    const k = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
    return !!k.privateKey;
  } catch (e) { return false; }
}

/// A C2SP key name: no spaces, no '+'.
export function keyName(personName) {
  return personName.trim().replace(/[\s+]+/g, '_') || 'scrutineer';
}

/// The stored key of one person in one meeting, or null.
export async function loadKey(meeting, person) {
  return (await tx('readonly', (s) => s.get(`${meeting}/${person}`))) ?? null;
}

/// Makes and stores a new key. The private key is non-extractable.
export async function createKey(meeting, person, name) {
  const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const publicRaw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
  const record = { name: keyName(name), privateKey: pair.privateKey, publicKey: pair.publicKey, publicRaw, created: Date.now() };
  await tx('readwrite', (s) => s.put(record, `${meeting}/${person}`));
  return record;
}

/// Takes a demo meeting's key (`serve --demo` puts the 32-byte seed in the
/// scrutineer's link as `cosign_key=`, base64url): imports it, keeps it
/// non-extractable like a key made here, and marks it registered (the
/// demo registered its public half). Real meetings never do this.
export async function importDemoSeed(meeting, person, name, seedB64url) {
  const seed = Uint8Array.from(atob(seedB64url.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  if (seed.length !== 32) throw new Error('bad demo key');
  // PKCS#8 wrapping of an Ed25519 seed (RFC 8410).
  const der = concat(Uint8Array.of(0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20), seed);
  const open = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, true, ['sign']);
  const jwk = await crypto.subtle.exportKey('jwk', open);
  const publicRaw = Uint8Array.from(atob(jwk.x.replace(/-/g, '+').replace(/_/g, '/')), (c) => c.charCodeAt(0));
  const privateKey = await crypto.subtle.importKey('pkcs8', der, { name: 'Ed25519' }, false, ['sign']);
  const publicKey = await crypto.subtle.importKey('raw', publicRaw, { name: 'Ed25519' }, true, ['verify']);
  const record = { name: keyName(name), privateKey, publicKey, publicRaw, created: Date.now(), registered: true, demo: true };
  await tx('readwrite', (s) => s.put(record, `${meeting}/${person}`));
  return record;
}

/// Stores a changed key record (e.g. marked as registered).
export async function saveKey(meeting, person, record) {
  await tx('readwrite', (s) => s.put(record, `${meeting}/${person}`));
}

async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

function concat(...parts) {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = new Uint8Array(n);
  let i = 0;
  for (const p of parts) { out.set(p, i); i += p.length; }
  return out;
}

/// The 4-byte key ID of a tlog-cosignature key.
export async function keyId(name, publicRaw) {
  return (await sha256(concat(enc.encode(name), Uint8Array.of(0x0a, 0x04), publicRaw))).slice(0, 4);
}

/// The verifier key text `name+hexid+base64(0x04 || key)` to register.
export async function verifierKey(name, publicRaw) {
  return `${name}+${hex(await keyId(name, publicRaw))}+${bytesToBase64(concat(Uint8Array.of(0x04), publicRaw))}`;
}

/// The fingerprint people compare aloud: SHA-256 of the raw public key, in
/// groups of four hex digits.
export async function fingerprint(publicRaw) {
  return groups4(hex(await sha256(publicRaw)));
}

/// The fingerprint of a registered verifier key text, or null.
export async function fingerprintOfVkey(vkey) {
  if (!vkey) return null;
  const parts = vkey.split('+');
  if (parts.length < 3) return null;
  try {
    const material = Uint8Array.from(atob(parts.slice(2).join('+')), (c) => c.charCodeAt(0));
    if (material.length !== 33 || material[0] !== 0x04) return null;
    return fingerprint(material.slice(1));
  } catch (e) { return null; }
}

/// The checkpoint body of a signed note: the text up to the blank line.
export function noteBody(note) {
  const i = note.indexOf('\n\n');
  return i < 0 ? note : note.slice(0, i + 1);
}

/// Cosigns a checkpoint note at `time` (seconds): returns the signature line
/// without its trailing newline.
export async function cosign(record, checkpointNote, time = Math.floor(Date.now() / 1000)) {
  const body = noteBody(checkpointNote);
  const msg = enc.encode(`cosignature/v1\ntime ${time}\n${body}`);
  const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, record.privateKey, msg));
  const ts = new Uint8Array(8);
  new DataView(ts.buffer).setBigUint64(0, BigInt(time));
  const id = await keyId(record.name, record.publicRaw);
  return `— ${record.name} ${bytesToBase64(concat(id, ts, sig))}`;
}

// ---- signed requests (bundle version 2: each person signs their own
// log entries; docs/api.md "Signed requests") ----

const ENTRY_TAG = enc.encode('scrutineer/entry/v2\n');

function problemError(key, code) {
  const text = t(key);
  const e = new Error(text);
  e.problem = { code, message_zh: text, message_en: text };
  return e;
}

/// This person's key on this device, made on first use.
export async function deviceKey(who) {
  if (!secureContext()) {
    throw problemError('key.insecure', 'insecure_context');
  }
  return (await loadKey(who.meeting, who.person)) ?? createKey(who.meeting, who.person, who.name);
}

/// The headers that sign the entries a 428 `signature_required` lists,
/// with this person's key. Refuses to sign an entry made out to another
/// key or another time than now (± 5 minutes).
export async function signatureHeaders(problem, who) {
  const sign = problem.sign || {};
  const rec = await deviceKey(who);
  const sigs = [];
  for (const e of sign.entries || []) {
    const bytes = Uint8Array.from(atob(e.entry), (c) => c.charCodeAt(0));
    const author = bytes.slice(16, 48);
    if (author.length !== 32 || author.some((b, i) => b !== rec.publicRaw[i])) {
      throw problemError('key.wrong_key', 'wrong_key');
    }
    const ts = Number(new DataView(bytes.buffer, bytes.byteOffset + 7, 8).getBigUint64(0));
    if (Math.abs(ts - Date.now()) > 5 * 60 * 1000) {
      throw problemError('key.clock_skew', 'clock_skew');
    }
    const digest = await sha256(bytes);
    const sig = new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, rec.privateKey, concat(ENTRY_TAG, digest)));
    sigs.push(bytesToBase64(sig));
  }
  return { 'Scrutineer-Timestamp': String(sign.timestamp), 'Scrutineer-Signature': sigs.join(',') };
}

/// Registers this device's key for the person (`put` is the API call:
/// it signs the registration with the new key itself).
export async function registerDeviceKey(who, put) {
  const rec = await deviceKey(who);
  const vkey = await verifierKey(rec.name, rec.publicRaw);
  try {
    await put(`/meetings/${who.meeting}/people/${who.person}/key`, { key: vkey });
  } catch (e) {
    if (e.code !== 'key_already_registered') throw e;
  }
  rec.registered = true;
  await saveKey(who.meeting, who.person, rec);
  return rec;
}
