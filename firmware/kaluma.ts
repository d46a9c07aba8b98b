// Kaluma 1.2.1's side of the firmware: what main.ts needs from the runtime, in Kaluma's words. The
// Espruino build swaps espruino.ts in for this module (see runtime.ts); both export the same names,
// which test/build/runtimes.test.ts checks.
import type { TrainConfig } from '../shared/config.ts';
import { chainCrcWord, crc32Words } from '../shared/wire.ts';

/** Samples the board holds: 1,024 × 8 features of float32 is 36 KB of the 180 KB heap. */
export function boardCapacity(): number {
  return 1024;
}

/** Kaluma's atob and btoa are not the web's: bytes in a Uint8Array, decoded and encoded natively (runtime-facts.md). */
export const atobBytes = atob as unknown as (b64: string) => Uint8Array | undefined;
export const btoaBytes = btoa as unknown as (bytes: Uint8Array) => string;

/** A chunk's CRC-32 (its n little-endian words), and the dataset's chained checksum (shared/wire.ts): table-driven, four bytes a step. */
export const chunkCrc: (words: Uint32Array, n: number) => number = crc32Words;
export const chainCrc: (chain: number, crc: number) => number = chainCrcWord;

/** Milliseconds since boot. */
export const now: () => number = millis;

export function heap(): { total: number; used: number } {
  const m = process.memoryUsage();
  return { total: m.heapTotal, used: m.heapUsed };
}

export function runtimeName(): string {
  const v = typeof process !== 'undefined' && process.version ? String(process.version) : '';
  return 'kaluma' + (v ? ' ' + (v.charAt(0) === 'v' ? v.slice(1) : v) : '');
}

/** A command's bytes as text (ASCII JSON). */
export function bytesText(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** JerryScript prints numbers so that they read back exactly. */
export const stringify: (v: unknown) => string = JSON.stringify;

/** JerryScript reads decimals exactly: a command's numbers need no help. */
export function exactNumbers<T>(v: T): T {
  return v;
}

/** Every setting trains on Kaluma exactly as on the desktop. */
export function unsupported(_c: TrainConfig): string {
  return '';
}
