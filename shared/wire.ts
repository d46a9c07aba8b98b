// What crosses from the host to the board. The host never types user text into the REPL: every
// line it sends is one of two calls whose arguments are integers and a base64 string,
//   pt.d(SEQ,"BASE64",CRC)   a chunk of the dataset's value stream (float32 little-endian) with the
//                            CRC-32 of its bytes; the board appends it only if the CRC matches
//   pt.c(SEQ,"BASE64")       a command: ASCII JSON such as {"op":"start"}
// and the board answers each with one `ack` or `error` record carrying SEQ. A chunk re-sent with the
// same SEQ (its ack was lost) is acknowledged again, not appended twice. Both sides use this file.
//
// The value stream is every sample's features (row-major, x[i·F + j]) followed by every y: the very
// layout of the board's Dataset, so that the board stores a chunk with one native Float32Array.set
// instead of a loop over its values (tens of µs per value on the board). Kaluma's native atob turns
// the base64 into bytes outside the JavaScript heap; the board's CRC-32 reads them four at a time.
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
  // push: the worker role (host/distributed/): a push record every `push` trained samples.
  | { op: 'start'; push?: number }
  // The server's answer to a push, between two slices: θ ← v, or θ ← θ − v (sub), v the base64 of
  // float64 values (w…, b), little-endian: bit-exact on every runtime, whatever its number parser.
  | { op: 'params'; bits: string; sub?: boolean }
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

function table(): Uint32Array {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let i = 0; i < 256; i++) {
      let c = i;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[i] = c >>> 0;
    }
  }
  return crcTable;
}

/** CRC-32 (IEEE, as zlib) of bytes[0..n), continued from `crc` (0 to start). The host's form. */
export function crc32(bytes: Uint8Array, n: number, crc = 0): number {
  const t = table();
  let c = (crc ^ 0xffffffff) >>> 0;
  for (let i = 0; i < n; i++) c = t[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// Slicing by 4: tables T1..T3 advance the CRC over the 2nd, 3rd and 4th byte of a word at once, so
// one 32-bit word costs four table reads and no per-byte loop turn. 3 KB more than the byte table,
// made on the first upload (not at start-up: the heap after hello stays as small as it was).
let slices: Uint32Array[] | null = null;

function sliceTables(): Uint32Array[] {
  if (slices === null) {
    const t0 = table();
    slices = [t0, new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
    for (let k = 1; k < 4; k++) {
      const prev = slices[k - 1];
      const cur = slices[k];
      for (let i = 0; i < 256; i++) cur[i] = (prev[i] >>> 8) ^ t0[prev[i] & 255];
    }
  }
  return slices;
}

/**
 * The same CRC-32 over n little-endian 32-bit words (4n bytes): the board's form, with the bytes
 * viewed as a Uint32Array (the RP2040 is little-endian). Equal to crc32 over the same bytes.
 */
export function crc32Words(words: Uint32Array, n: number, crc?: number): number {
  const s = sliceTables();
  const t0 = s[0];
  const t1 = s[1];
  const t2 = s[2];
  const t3 = s[3];
  // An absent crc starts a new checksum (undefined reads as 0 in `^`; Espruino has no default parameters).
  let c = ((crc as number) ^ 0xffffffff) >>> 0;
  for (let i = 0; i < n; i++) {
    c ^= words[i];
    c = t3[c & 255] ^ t2[(c >>> 8) & 255] ^ t1[(c >>> 16) & 255] ^ t0[c >>> 24];
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * The dataset's checksum, which `end` compares: the CRC-32 of the chunks' CRC-32s (each as four
 * little-endian bytes), in order. Every chunk's bytes are already checked on arrival; this catches a
 * chunk lost, doubled or reordered, at four bytes per chunk instead of a second pass over the data.
 */
export function chainCrc(chain: number, chunkCrc: number): number {
  const b = new Uint8Array([chunkCrc & 255, (chunkCrc >>> 8) & 255, (chunkCrc >>> 16) & 255, chunkCrc >>> 24]);
  return crc32(b, 4, chain);
}

const oneWord = /* @__PURE__ */ new Uint32Array(1);

/** chainCrc on the board: one word through crc32Words (little-endian, like the wire). */
export function chainCrcWord(chain: number, chunkCrc: number): number {
  oneWord[0] = chunkCrc;
  return crc32Words(oneWord, 1, chain);
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

/** REPL line carrying a chunk of float32 values and their CRC-32. */
export function dataLine(seq: number, values: Float32Array): string {
  const bytes = floatBytes(values);
  return callLine('d', seq, base64Encode(bytes), crc32(bytes, bytes.length));
}

/** The value stream of packed rows [x1..xF, y]: all features (row-major), then all y. */
export function wireValues(packed: Float32Array, features: number): Float32Array {
  const width = features + 1;
  const n = packed.length / width;
  const out = new Float32Array(packed.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < features; j++) out[i * features + j] = packed[i * width + j];
    out[n * features + i] = packed[i * width + features];
  }
  return out;
}

/** One request of an upload, in order: a command, or a chunk with the answer it must earn. */
export type UploadStep =
  | { kind: 'command'; cmd: Command }
  /** `count`: values the board holds after this chunk; `crc`: the chunk's CRC-32; `samplesDone`: count in samples' worth, for progress bars. */
  | { kind: 'chunk'; values: Float32Array; count: number; crc: number; samplesDone: number };

/**
 * Every request that uploads a dataset of packed rows: begin, the chunks of the value stream, and
 * end with the chained checksum. BoardLink sends them with acknowledgements and resends; the bench's
 * interpreter proxy feeds them straight to the firmware.
 */
export function uploadPlan(packed: Float32Array, features: number): UploadStep[] {
  const width = features + 1;
  if (!(features >= 1 && Math.floor(features) === features)) throw new Error('bad feature count ' + features);
  if (packed.length % width !== 0) throw new Error('packed dataset length ' + packed.length + ' is not a multiple of ' + width);
  const samples = packed.length / width;
  const stream = wireValues(packed, features);
  const steps: UploadStep[] = [{ kind: 'command', cmd: { op: 'begin', samples, features } }];
  let chain = 0;
  for (let at = 0; at < stream.length; at += CHUNK_FLOATS) {
    const values = stream.subarray(at, Math.min(stream.length, at + CHUNK_FLOATS));
    const crc = crc32(floatBytes(values), values.byteLength);
    chain = chainCrc(chain, crc);
    const count = at + values.length;
    // Progress in samples' worth of values (a sample is only whole once its y, in the last part, arrives).
    const samplesDone = Math.floor(count / width);
    steps.push({ kind: 'chunk', values, count, crc, samplesDone });
  }
  steps.push({ kind: 'command', cmd: { op: 'end', crc: chain } });
  return steps;
}

/** The checksum `end` carries for a dataset of packed rows (what `host send` reports). */
export function datasetCrc(packed: Float32Array, features: number): number {
  const last = uploadPlan(packed, features).pop();
  return last && last.kind === 'command' && last.cmd.op === 'end' ? last.cmd.crc : 0;
}

/**
 * Prefix of a number that crosses as its float64 bits, 16 hex digits after it (high word first).
 * Espruino reads decimals inexactly (it sums digit·0.1ᵏ: "0.3" and "1e-8" come out a bit off), so
 * for an Espruino board every number that is not a safe integer crosses this way
 * (firmware/espruino.ts turns it back); Kaluma reads decimals exactly and gets plain JSON.
 */
export const EXACT_PREFIX = '0x';

function hex8(w: number): string {
  return ('0000000' + w.toString(16)).slice(-8);
}

// Both directions run on Espruino too (firmware/espruino.ts), so they use what it has: no
// Number.isSafeInteger, no Object.entries, no default parameters.

/**
 * A copy of `v` with every number that is not a safe integer written as EXACT_PREFIX and its bits;
 * with `misread`, only those it says the reader would misread (the host knows Espruino's parser and
 * keeps the others as decimals, so that a command stays under the line limit).
 */
export function toExactNumbers(v: unknown, misread?: (x: number) => boolean): unknown {
  if (typeof v === 'number') {
    // Whole numbers read exactly; what JSON cannot carry (NaN, ±Infinity: null) stays as JSON has it.
    if ((Math.floor(v) === v && v <= 9007199254740991 && v >= -9007199254740991) || v !== v || v === Infinity || v === -Infinity) return v;
    if (misread && !misread(v)) return v;
    const words = new Uint32Array(new Float64Array([v]).buffer);
    return EXACT_PREFIX + hex8(words[1]) + hex8(words[0]);
  }
  if (v === null || typeof v !== 'object') return v;
  const a = v as Record<string, unknown>;
  const out: Record<string, unknown> = Array.isArray(v) ? ([] as unknown as Record<string, unknown>) : {};
  for (const k in a) out[k] = toExactNumbers(a[k], misread);
  return out;
}

/** `v` with every EXACT_PREFIX string turned back into its number, in place (the inverse of toExactNumbers). */
export function fromExactNumbers<T>(v: T): T {
  if (typeof v === 'string') {
    const s = v as string;
    if (s.length !== EXACT_PREFIX.length + 16 || s.indexOf(EXACT_PREFIX) !== 0) return v;
    const words = new Uint32Array(2);
    const at = EXACT_PREFIX.length;
    words[1] = parseInt(s.substr(at, 8), 16);
    words[0] = parseInt(s.substr(at + 8, 8), 16);
    return new Float64Array(words.buffer)[0] as unknown as T;
  }
  if (v !== null && typeof v === 'object') {
    const o = v as unknown as Record<string, unknown>;
    for (const k in o) o[k] = fromExactNumbers(o[k]);
  }
  return v;
}

/**
 * REPL line carrying a command. Non-ASCII is escaped so the board can decode byte by byte;
 * `misread` (for Espruino, see EXACT_PREFIX) picks the numbers that cross as their bits.
 */
export function commandLine(seq: number, cmd: Command, misread?: (x: number) => boolean): string {
  const json = JSON.stringify(misread ? toExactNumbers(cmd, misread) : cmd).replace(/[\u0080-\uffff]/g, (ch) => '\\u' + ('000' + ch.charCodeAt(0).toString(16)).slice(-4));
  const bytes = new Uint8Array(json.length);
  for (let i = 0; i < json.length; i++) bytes[i] = json.charCodeAt(i);
  return callLine('c', seq, base64Encode(bytes), -1);
}
