// What crosses from the host to the board. The host never types user text into the REPL: every
// line it sends is one of two calls whose arguments are integers and a base64 string,
//   pt.d(SEQ,"BASE64",CRC)   a chunk of the dataset: float32 little-endian, whole rows [x1..xF, y],
//                            with the CRC-32 of its bytes; the board appends it only if the CRC matches
//   pt.c(SEQ,"BASE64")       a command: ASCII JSON such as {"op":"start"}
// and the board answers each with one `ack` or `error` record carrying SEQ. A chunk re-sent with the
// same SEQ (its ack was lost) is acknowledged again, not appended twice. Both sides use this file.

/** Kaluma's REPL takes at most 1023 characters per line; stay well under it. */
export const MAX_LINE = 1000;
/** Largest base64 payload per line: leaves room for `pt.d(4294967295,"`, `",4294967295)`. */
export const MAX_B64 = 960;
/** Floats per data chunk (720 bytes, 960 base64 characters). */
export const CHUNK_FLOATS = 180;

/** Commands the firmware accepts inside pt.c. */
export type Command =
  | { op: 'begin'; samples: number; features: number }
  | { op: 'end'; crc: number }
  | { op: 'config'; config: Record<string, unknown> }
  | { op: 'start' }
  | { op: 'walk'; walk: Record<string, unknown> }
  | { op: 'pause' }
  | { op: 'resume' }
  | { op: 'stop' }
  | { op: 'status' };

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
let decodeTable: Int16Array | null = null;

export function base64Encode(bytes: Uint8Array): string {
  let s = '';
  const n = bytes.length;
  for (let i = 0; i < n; i += 3) {
    const a = bytes[i];
    const b = i + 1 < n ? bytes[i + 1] : 0;
    const c = i + 2 < n ? bytes[i + 2] : 0;
    s += ALPHABET.charAt(a >> 2) + ALPHABET.charAt(((a & 3) << 4) | (b >> 4));
    s += i + 1 < n ? ALPHABET.charAt(((b & 15) << 2) | (c >> 6)) : '=';
    s += i + 2 < n ? ALPHABET.charAt(c & 63) : '=';
  }
  return s;
}

/** Decodes strict base64 (padded, no whitespace) into `out`; returns the byte count, or -1 if malformed. */
export function base64Decode(s: string, out: Uint8Array): number {
  if (decodeTable === null) {
    decodeTable = new Int16Array(128).fill(-1);
    for (let i = 0; i < 64; i++) decodeTable[ALPHABET.charCodeAt(i)] = i;
  }
  const t = decodeTable;
  const len = s.length;
  if (len % 4 !== 0) return -1;
  let pad = 0;
  if (len > 0 && s.charAt(len - 1) === '=') pad = s.charAt(len - 2) === '=' ? 2 : 1;
  const bytes = (len / 4) * 3 - pad;
  if (bytes > out.length) return -1;
  let o = 0;
  for (let i = 0; i < len; i += 4) {
    const last = i + 4 === len;
    const c0 = s.charCodeAt(i);
    const c1 = s.charCodeAt(i + 1);
    const c2 = s.charCodeAt(i + 2);
    const c3 = s.charCodeAt(i + 3);
    const a = c0 < 128 ? t[c0] : -1;
    const b = c1 < 128 ? t[c1] : -1;
    const c = last && pad === 2 ? 0 : c2 < 128 ? t[c2] : -1;
    const d = last && pad >= 1 ? 0 : c3 < 128 ? t[c3] : -1;
    if ((a | b | c | d) < 0) return -1;
    out[o++] = (a << 2) | (b >> 4);
    if (o < bytes) out[o++] = ((b & 15) << 4) | (c >> 2);
    if (o < bytes) out[o++] = ((c & 3) << 6) | d;
  }
  return bytes;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 (IEEE, as zlib), continued from `crc` (0 to start). */
export function crc32(bytes: Uint8Array, n: number, crc = 0): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < n; i++) c = crcTable[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function isUint32(v: number): boolean {
  return v >= 0 && v <= 4294967295 && Math.floor(v) === v;
}

function callLine(fn: 'd' | 'c', seq: number, b64: string, crc: number): string {
  // The guard that keeps user text out of the REPL: only integers and base64 ever reach it.
  if (!isUint32(seq)) throw new Error(`bad sequence number ${seq}`);
  if (!B64.test(b64) || b64.length > MAX_B64) throw new Error('payload is not short base64');
  return 'pt.' + fn + '(' + seq + ',"' + b64 + '"' + (crc >= 0 ? ',' + crc : '') + ')';
}

/** Float32 values (already rounded) as the little-endian bytes that cross the wire. */
export function floatBytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** REPL line carrying whole rows of float32 values and their CRC-32. */
export function dataLine(seq: number, values: Float32Array): string {
  const bytes = floatBytes(values);
  return callLine('d', seq, base64Encode(bytes), crc32(bytes, bytes.length));
}

/** Values per data chunk for rows of `features + 1`: whole rows only, at most CHUNK_FLOATS. */
export function chunkValues(features: number): number {
  return Math.floor(CHUNK_FLOATS / (features + 1)) * (features + 1);
}

/** REPL line carrying a command. Non-ASCII is escaped so the board can decode byte by byte. */
export function commandLine(seq: number, cmd: Command): string {
  const json = JSON.stringify(cmd).replace(/[\u0080-\uffff]/g, (ch) => '\\u' + ('000' + ch.charCodeAt(0).toString(16)).slice(-4));
  const bytes = new Uint8Array(json.length);
  for (let i = 0; i < json.length; i++) bytes[i] = json.charCodeAt(i);
  return callLine('c', seq, base64Encode(bytes), -1);
}
