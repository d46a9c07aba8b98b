// Espruino's side of the firmware (2v29: the Espruino Pico, WiFi, Original, MDBT42Q, the RP2040 port):
// the same names as kaluma.ts, in Espruino's words. runtime-facts.md, "Espruino", says why each
// differs: atob/btoa work on strings, memory is counted in 13-byte variables, there is no
// Math.fround, Math.pow is inexact, and decimals are neither printed nor read exactly.
import type { TrainConfig } from '../shared/config.ts';
import { MAX_FEATURES } from '../shared/dataset.ts';
import { correctlyRoundedSqrt, installSqrt } from '../shared/sqrt.ts';
import { fromExactNumbers, toExactNumbers } from '../shared/wire.ts';

interface EspruinoMemory {
  free: number;
  usage: number;
  total: number;
  blocksize?: number;
}
declare const E: { toUint8Array(s: string): Uint8Array; toString(b: Uint8Array): string; CRC32(data: Uint8Array): number };
declare function getTime(): number;
declare const process: { memory(): EspruinoMemory; env: { VERSION?: string; BOARD?: string } };

// Espruino computes Math.sqrt as exp(log(x)·0.5) (src/jswrap_math.c), often an ulp or more off; the
// engine's square root (Adam, RMSprop, Adagrad, Adadelta, standardization) is made correctly
// rounded from it, so that records stay equal to the desktop's.
installSqrt(correctlyRoundedSqrt(Math.sqrt));

/** Bytes a variable takes on 32-bit boards (process.memory().blocksize where it says). */
const BLOCK = 13;
/**
 * Variables kept free for running: a command's line and its decoded JSON, the generated kernels'
 * text (Espruino keeps a function's source, not byte code), a run's objects and its records while
 * they are formatted. The virtual Espruino measures at most 2,290 above the idle board's use, for
 * RMSprop (centered, momentum) on 8 features with standardization, a validation split and
 * mini-batches; 2,500 leaves a tenth to spare (README, "Espruino").
 */
const RESERVE = 2500;
/** Bytes a sample costs: its x row and y (float32) in the dataset, and three Uint32 indexes in a run. */
const SAMPLE_BYTES = 4 * (MAX_FEATURES + 1) + 12;

/** Samples the dataset can hold, from the variables free now (called once, before it is allocated). */
export function boardCapacity(): number {
  const m = process.memory();
  const blocks = m.free - RESERVE;
  const n = Math.floor((blocks * (m.blocksize || BLOCK)) / SAMPLE_BYTES);
  return n < 1 ? 1 : n > 1024 ? 1024 : n;
}

/** Espruino's atob returns a binary string; E.toUint8Array copies it natively. */
export function atobBytes(b64: string): Uint8Array | undefined {
  return E.toUint8Array(atob(b64));
}

export function btoaBytes(bytes: Uint8Array): string {
  return btoa(E.toString(bytes));
}

/**
 * A chunk's CRC-32 by Espruino's native E.CRC32 (the standard CRC-32 of zlib, as shared/wire.ts's):
 * the engine's table-driven one would keep 4 KB of tables, 315 of an Espruino Pico's variables.
 */
export function chunkCrc(words: Uint32Array, n: number): number {
  return E.CRC32(new Uint8Array(words.buffer, 0, 4 * n)) >>> 0;
}

/** The dataset's chained checksum (shared/wire.ts, chainCrc): the chunk CRC's four bytes, bit by bit (32 steps a chunk, no table). */
export function chainCrc(chain: number, crc: number): number {
  let c = ~chain;
  for (let i = 0; i < 32; i += 8) {
    c ^= (crc >>> i) & 255;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

/** Milliseconds since boot (getTime() counts seconds). */
export function now(): number {
  return getTime() * 1000;
}

export function heap(): { total: number; used: number } {
  const m = process.memory();
  const b = m.blocksize || BLOCK;
  return { total: m.total * b, used: m.usage * b };
}

export function runtimeName(): string {
  const env = process.env;
  return 'espruino ' + (env.VERSION || '') + (env.BOARD ? ' ' + env.BOARD : '');
}

export function bytesText(bytes: Uint8Array): string {
  return E.toString(bytes);
}

/**
 * A command's settings with every number the host sent as bits turned back into that number: a
 * decimal Espruino would read inexactly (its parser sums digit·0.1ᵏ, so 0.3 and 1e-8 come out a bit
 * off) crosses as its float64 bits (shared/wire.ts, EXACT_PREFIX).
 */
export const exactNumbers = fromExactNumbers;

/** JSON whose numbers read back exactly: Espruino prints at most 11 digits after the point, truncated. */
export function stringify(v: unknown): string {
  return JSON.stringify(toExactNumbers(v));
}

/**
 * Settings whose records Espruino cannot make equal to the desktop's: the cosine schedule and
 * gradient noise need Math.cos, Math.log and a fractional Math.pow, which the Espruino Pico computes
 * approximately (SAVE_ON_FLASH_MATH) or inexactly.
 */
export function unsupported(c: TrainConfig): string {
  if (c.schedule === 'cosine') return 'the cosine schedule needs Math.cos, which Espruino approximates: use step, exponential or inverse, or train on Kaluma or the desktop';
  if (c.noiseEta > 0) return 'gradient noise needs Math.log, Math.cos and Math.pow, which Espruino computes inexactly: train without --noise, or on Kaluma or the desktop';
  return '';
}
