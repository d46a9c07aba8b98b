// The one seeded PRNG used for validation splits, shuffling and gradient noise. Integer-only
// arithmetic (a 32-bit multiply, >>>) so the desktop and the board draw the very same sequence.

/**
 * The low 32 bits of a·b as a signed integer, from 16-bit halves: every partial product stays below
 * 2^32, exact in a double. What Math.imul gives, for runtimes without it (Espruino);
 * test/engine/random.test.ts checks the two agree.
 */
export function imul32(a: number, b: number): number {
  const ah = (a >>> 16) & 0xffff;
  const al = a & 0xffff;
  const bh = (b >>> 16) & 0xffff;
  const bl = b & 0xffff;
  return (al * bl + (((ah * bl + al * bh) << 16) >>> 0)) | 0;
}

/** Math as a runtime may have it: Espruino's has no imul. */
const M: { imul?: (a: number, b: number) => number } = Math;
const imul = M.imul || imul32;

/** mulberry32: 32-bit state, period 2^32; ample for shuffling classroom datasets. */
export class Random {
  private s: number;

  constructor(seed: number) {
    this.s = seed >>> 0;
  }

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal by Box–Muller (one of the pair; simplicity beats the saved draw here). */
  gauss(): number {
    const u = 1 - this.next(); // (0, 1]: log stays finite
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Fisher–Yates shuffle of a[0..n) in place. */
  shuffle(a: Uint32Array, n: number): void {
    for (let i = n - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }
}
