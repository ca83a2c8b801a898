// Reading the meeting's audit bundle in the page: the zip the service
// exports (stored entries, no compression: every file's exact bytes), and
// from it the scrutineers' keys and cosignatures of a round, checked with
// WebCrypto. The report prints what this finds, so its fingerprints and its
// "signed" marks come from the same files an auditor verifies.

import { api, base64ToBytes } from './app.js';
import { keyId, noteBody } from './keys.js';

const dec = new TextDecoder();
const enc = new TextEncoder();

/// The files of a stored (method 0) zip archive: Map(path → bytes).
export function unzip(buf) {
  const b = new Uint8Array(buf);
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let eocd = -1;
  for (let i = b.length - 22; i >= Math.max(0, b.length - 22 - 65535); i--) {
    if (v.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
  }
  if (eocd < 0) throw new Error('not a zip archive');
  const count = v.getUint16(eocd + 10, true);
  let p = v.getUint32(eocd + 16, true);
  const files = new Map();
  for (let n = 0; n < count; n++) {
    if (v.getUint32(p, true) !== 0x02014b50) throw new Error('bad central directory');
    const method = v.getUint16(p + 10, true);
    const size = v.getUint32(p + 20, true);
    const nameLen = v.getUint16(p + 28, true);
    const extraLen = v.getUint16(p + 30, true);
    const commentLen = v.getUint16(p + 32, true);
    const local = v.getUint32(p + 42, true);
    const name = dec.decode(b.subarray(p + 46, p + 46 + nameLen));
    p += 46 + nameLen + extraLen + commentLen;
    if (method !== 0) continue;
    if (v.getUint32(local, true) !== 0x04034b50) throw new Error('bad local header');
    const start = local + 30 + v.getUint16(local + 26, true) + v.getUint16(local + 28, true);
    files.set(name, b.subarray(start, start + size));
  }
  return files;
}

/// Parses a verifier key `name+hexid+base64(0x04 || key)`.
function parseVkey(vkey) {
  const parts = vkey.trim().split('+');
  if (parts.length < 3) return null;
  const material = base64ToBytes(parts.slice(2).join('+'));
  if (material.length !== 33 || material[0] !== 0x04) return null;
  return { name: parts[0], id: parts[1], publicRaw: material.slice(1), vkey: vkey.trim() };
}

/// The cosigners of a round from the bundle (docs/audit-bundle.md):
/// [{name, vkey, publicRaw, signed, verified}]. They are the scrutineers
/// with a cosigning key registered in the log before the round's tally
/// (`keys.txt`, §7); their lines are on the result checkpoint, the one of
/// size tally + 1 (`checkpoints/NNNNNNNN.note`, §5.4); `verified` means a
/// line checks out against the key.
export async function roundCosigners(meeting, tallyIndex) {
  if (tallyIndex === null || tallyIndex === undefined) return null;
  const blob = await api('GET', `/meetings/${meeting}/bundle`);
  const files = unzip(await blob.arrayBuffer());
  const keysFile = files.get("keys.txt");
  if (!keysFile) return null;
  const keys = dec.decode(keysFile).split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.split('\t'))
    .filter(([entry, role]) => Number(entry) < tallyIndex
      && (role === 'scrutineer' || role === 'chief_scrutineer'))
    .map(([, , , key]) => parseVkey(key || ''))
    .filter(Boolean);
  const note = files.get(`checkpoints/${String(tallyIndex + 1).padStart(8, '0')}.note`);
  const text = note ? dec.decode(note) : '';
  const body = noteBody(text);
  const lines = text.slice(body.length + 1).split('\n').filter((l) => l.startsWith('— '));
  const out = [];
  for (const k of keys) {
    const id = await keyId(k.name, k.publicRaw);
    let signed = false;
    let verified = false;
    for (const line of lines) {
      const [, name, b64] = line.split(' ');
      if (name !== k.name) continue;
      let sig;
      try { sig = base64ToBytes(b64); } catch (e) { continue; }
      if (sig.length !== 4 + 8 + 64 || !sig.subarray(0, 4).every((x, i) => x === id[i])) continue;
      signed = true;
      const time = new DataView(sig.buffer, sig.byteOffset + 4, 8).getBigUint64(0);
      try {
        const pub = await crypto.subtle.importKey('raw', k.publicRaw, { name: 'Ed25519' }, false, ['verify']);
        verified = await crypto.subtle.verify({ name: 'Ed25519' }, pub, sig.subarray(12),
          enc.encode(`cosignature/v1\ntime ${time}\n${body}`));
      } catch (e) { verified = false; }
    }
    out.push({ ...k, signed, verified });
  }
  return out;
}
