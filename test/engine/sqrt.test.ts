// The correctly rounded square root (shared/sqrt.ts) against V8's Math.sqrt, Object.is-equal, for
// every kind of double: random bit patterns over the whole exponent range, fast-check's doubles,
// the doubles nearest the squares of midpoints, inputs constructed a few u² from a midpoint's
// square (and exactly u²/4 below it, which only the exact path decides), powers of two and their
// neighbours, subnormals, perfect squares and the special values; each from Espruino's
// approximation exp(log(x)·0.5), from it perturbed by 1..8 ulps either way, from one that is NaN
// for subnormals, and from garbage. Then the lemma the fast path rests on, checked against exact
// integer arithmetic; the exact path's expansion sign; and the module as the Espruino build makes
// it: esbuild's output passes the Espruino checks, and the built bundle, run with its number
// literals read as Espruino reads them, still gives IEEE's roots.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import { transform } from 'esbuild';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ESPRUINO_ESBUILD_SUPPORTED, buildEspruino } from '../../host/build/espruino.ts';
import { espruinoParseNumber } from '../../host/build/espruino-number.ts';
import { espruinoProblems } from '../../host/build/espruino-syntax.ts';
import { correctlyRoundedSqrt, exactSumSign, sqrtExactDecisions } from '../../shared/sqrt.ts';
import { Random } from '../../shared/random.ts';
import { tempDir } from '../helpers/temp.ts';

const SOURCE = resolve(import.meta.dirname, '../../shared/sqrt.ts');

// ---- Doubles as bits ----

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);
const u32 = new Uint32Array(f64.buffer);

const bitsOf = (x: number): bigint => {
  f64[0] = x;
  return u64[0]!;
};
const fromBits = (b: bigint): number => {
  u64[0] = BigInt.asUintN(64, b);
  return f64[0]!;
};
/** 2ᵏ for k in [−1074, 1023], from its bits. */
const pow2 = (k: number): number => (k >= -1022 ? fromBits(BigInt(k + 1023) << 52n) : fromBits(1n << BigInt(k + 1074)));
/** x moved k doubles up (k < 0: down), for x ≥ 0 and staying ≥ 0. */
const stepUlps = (x: number, k: number): number => fromBits(bitsOf(x) + BigInt(k));
/** A non-negative finite double as M·2^E (M a BigInt). */
function toRational(x: number): { m: bigint; e: number } {
  const b = bitsOf(x);
  const be = Number((b >> 52n) & 0x7ffn);
  const frac = b & ((1n << 52n) - 1n);
  return be === 0 ? { m: frac, e: -1074 } : { m: frac | (1n << 52n), e: be - 1075 };
}
/** Sign of a·2^ea − b·2^eb. */
function compare(a: bigint, ea: number, b: bigint, eb: number): number {
  const e = Math.min(ea, eb);
  const d = (a << BigInt(ea - e)) - (b << BigInt(eb - e));
  return d > 0n ? 1 : d < 0n ? -1 : 0;
}

// ---- Approximations, as the board might give them ----

type Approx = (x: number) => number;
/** Espruino's Math.sqrt (src/jswrap_math.c). */
const espruinoApprox: Approx = (x) => Math.exp(Math.log(x) * 0.5);
/** Espruino's, moved by ±1..8 ulps, the amount and side a hash of x. */
const perturbedApprox: Approx = (x) => {
  const y = espruinoApprox(x);
  f64[0] = x;
  const hsh = Math.imul(u32[0]! ^ Math.imul(u32[1]!, 0x9e3779b1), 0x85ebca6b) >>> 0;
  const k = 1 + (hsh & 7);
  return stepUlps(y, hsh & 8 ? k : -k);
};
/** Garbage below the normal range. */
const nanForSubnormals: Approx = (x) => (x < pow2(-1022) ? NaN : espruinoApprox(x));

const APPROXIMATIONS: [string, Approx][] = [
  ["Espruino's exp(log(x)·0.5)", espruinoApprox],
  ['perturbed by ±1..8 ulps', perturbedApprox],
  ['NaN for subnormals', nanForSubnormals],
];

/** Each approximation wrapped to check it is only ever asked about x in [2⁻⁹⁰⁰, 2⁹⁰⁰] (sqrt.ts's scaling). */
const ROOTS = APPROXIMATIONS.map(([name, approx]) => {
  const wrapped: Approx = (x) => {
    if (!(x >= pow2(-900) && x <= pow2(900))) throw new Error(`approx called with ${x}`);
    return approx(x);
  };
  return [name, correctlyRoundedSqrt(wrapped)] as const;
});

/** The inputs s gets wrong (first few), as text: empty when all agree with Math.sqrt. */
function mismatches(s: (x: number) => number, xs: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i]!;
    const got = s(x);
    if (!Object.is(got, Math.sqrt(x)) && bad.push(`sqrt(${x}) = ${got}, not ${Math.sqrt(x)}`) >= 5) break;
  }
  return bad;
}

// ---- Inputs ----

/** n random bit patterns (any sign, exponent and fraction: NaNs, infinities and subnormals too). */
function randomBitPatterns(n: number, seed: number, positive: boolean): Float64Array {
  const r = new Random(seed);
  const out = new Float64Array(n);
  const view = new Uint32Array(out.buffer);
  for (let i = 0; i < 2 * n; i++) view[i] = Math.floor(r.next() * 4294967296);
  if (positive) for (let i = 1; i < 2 * n; i += 2) view[i] = view[i]! & 0x7fffffff;
  return out;
}

/** A random positive double with its exponent uniform in [lo, hi). */
function randomDouble(r: Random, lo: number, hi: number): number {
  const k = lo + r.int(hi - lo);
  const frac = (BigInt(Math.floor(r.next() * 1048576)) << 32n) | BigInt(Math.floor(r.next() * 4294967296));
  return fromBits((BigInt(k + 1023) << 52n) | frac);
}

/** The doubles on either side of M·2^E (two each side), for a positive target in the finite range. */
function doublesAround(m: bigint, e: number, guess: number): number[] {
  let x = guess > 0 && guess < Infinity ? guess : guess === 0 ? Number.MIN_VALUE : Number.MAX_VALUE;
  const cmp = (v: number): number => {
    const q = toRational(v);
    return compare(q.m, q.e, m, e);
  };
  while (x > Number.MIN_VALUE && cmp(x) > 0) x = stepUlps(x, -1);
  while (x < Number.MAX_VALUE && cmp(x) < 0) x = stepUlps(x, 1);
  // x is now the first double ≥ the target (or the largest double).
  const out: number[] = [];
  for (let k = -2; k <= 2; k++) {
    const b = bitsOf(x) + BigInt(k);
    if (b > 0n && b < 0x7ff0000000000000n) out.push(fromBits(b));
  }
  return out;
}

/**
 * For random y: the doubles nearest y², (y + u/2)² and (y − d/2)², u and d the gaps above and below
 * y; the latter two are the squares of the rounding boundaries.
 */
function nearMidpointSquares(n: number, seed: number): number[] {
  const r = new Random(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    // y from 2⁻⁵³⁷ (√ of the least subnormal) to 2⁵¹² (the largest finite square).
    const y = i % 50 === 0 ? pow2(-537 + r.int(1049)) : randomDouble(r, -537, 512);
    const { m: Y, e: E } = toRational(y);
    const powerOfTwo = Y === 1n << 52n;
    const sq = y * y;
    out.push(...doublesAround(Y * Y, 2 * E, sq));
    out.push(...doublesAround((2n * Y + 1n) ** 2n, 2 * E - 2, sq + y * pow2(E)));
    if (powerOfTwo) out.push(...doublesAround((4n * Y - 1n) ** 2n, 2 * E - 4, sq - y * pow2(E - 1)));
    else out.push(...doublesAround((2n * Y - 1n) ** 2n, 2 * E - 2, sq - y * pow2(E)));
  }
  return out;
}

/** z with z² ≡ a (mod 2ⁿ), for a ≡ 1 (mod 8), by Hensel lifting one bit at a time. */
function sqrtMod2(a: bigint, n: number): bigint {
  const mod = 1n << BigInt(n);
  a = ((a % mod) + mod) % mod;
  let z = 1n;
  for (let k = 3; k < n; k++) if ((((z * z - a) >> BigInt(k)) & 1n) !== 0n) z += 1n << BigInt(k - 1);
  expect((z * z - a) % mod).toBe(0n);
  return z;
}

/**
 * The closest a double comes to a midpoint's square: x = (Y² + Y + j)·4ᴱ with Y in [2⁵², 2⁵³) and a
 * small even j, so that x − (y + u/2)² = (j − 1/4)·u² for y = Y·2ᴱ, while the terms of the test are
 * ~2⁵³u². j = 0 is x = y² + y·u, the one case the fast path leaves to the exact path (its rounded
 * bracket is 0). Y² + Y + j ≡ 0 (mod 2⁵³) makes x a double: (2Y + 1)² ≡ 1 − 4j (mod 2⁵⁵), solvable
 * as 1 − 4j ≡ 1 (mod 8) (and j odd never comes closer: x − y² − y·u is always even in u²).
 */
function hardCases(): number[] {
  const out: number[] = [];
  for (let j = -64; j <= 64; j += 2) {
    const z = sqrtMod2(1n - 4n * BigInt(j), 55);
    const y1 = ((z - 1n) / 2n) % (1n << 53n);
    for (const Y of [y1, (1n << 53n) - 1n - y1]) {
      if (Y < 1n << 52n) continue;
      const k = (Y * Y + Y + BigInt(j)) >> 53n;
      expect((k << 53n) - (Y * Y + Y + BigInt(j))).toBe(0n);
      expect(k < 1n << 53n).toBe(true);
      // x = k·2^(53 + 2E), for exponents across the range (below 2⁻⁹⁰⁰ and above 2⁹⁰⁰ too).
      for (const E of [-560, -500, -100, -26, 0, 1, 30, 400, 450]) out.push(Number(k) * pow2(53 + 2 * E));
    }
  }
  return out;
}

/** 2ᵏ for every k, and the four doubles either side of each. */
function powersOfTwo(): number[] {
  const out: number[] = [0];
  for (let k = -1074; k <= 1023; k++) {
    const p = pow2(k);
    for (let j = -4; j <= 4; j++) {
      const b = bitsOf(p) + BigInt(j);
      if (b > 0n && b < 0x7ff0000000000000n) out.push(fromBits(b));
    }
  }
  return out;
}

function subnormals(seed: number): number[] {
  const r = new Random(seed);
  const out: number[] = [];
  for (let i = 1; i <= 2000; i++) out.push(i * Number.MIN_VALUE, pow2(-1022) - i * Number.MIN_VALUE);
  for (let i = 0; i < 100_000; i++) {
    const frac = (BigInt(Math.floor(r.next() * 1048576)) << 32n) | BigInt(Math.floor(r.next() * 4294967296));
    if (frac !== 0n) out.push(fromBits(frac));
  }
  return out;
}

const SPECIALS = [0, -0, NaN, Infinity, -Infinity, -1, -Number.MIN_VALUE, -Number.MAX_VALUE, -pow2(-1022), Number.MIN_VALUE, Number.MAX_VALUE, pow2(-1022), 1, 2, 4, 0.25, 1e-300, 1e300, -NaN];

describe('correctlyRoundedSqrt: Object.is-equal to IEEE', () => {
  for (const [name, s] of ROOTS) {
    describe(`from ${name}`, () => {
      it('10⁶ random bit patterns over the whole exponent range', () => {
        const before = sqrtExactDecisions();
        expect(mismatches(s, randomBitPatterns(1_000_000, 1234, false))).toEqual([]);
        // The exact path is for x − y² ∓ y·g = 0 exactly: random inputs never need it.
        expect(sqrtExactDecisions() - before).toBe(0);
      });

      it("fast-check's doubles", () => {
        fc.assert(
          fc.property(fc.double(), (x) => Object.is(s(x), Math.sqrt(x))),
          { numRuns: 100_000, seed: 42 },
        );
        fc.assert(
          fc.property(fc.double({ min: 0, max: pow2(-1022), noNaN: true }), (x) => Object.is(s(x), Math.sqrt(x))),
          { numRuns: 20_000, seed: 43 },
        );
      });

      it('the doubles nearest the squares of random doubles and of their rounding boundaries', () => {
        expect(mismatches(s, nearMidpointSquares(20_000, 99))).toEqual([]);
      });

      it('inputs within a few u² of a midpoint square (j = 0: exactly u²/4 below it, decided by the exact path)', () => {
        const before = sqrtExactDecisions();
        const xs = hardCases();
        expect(xs.length).toBeGreaterThan(500);
        expect(mismatches(s, xs)).toEqual([]);
        // At least the nine x = y² + y·u (j = 0, Y = 2⁵³ − 1).
        expect(sqrtExactDecisions() - before).toBeGreaterThanOrEqual(9);
      });

      it('powers of two and their neighbours (4ᵏ(1 ± 2⁻⁵²) need the exact path), subnormals, perfect squares', () => {
        expect(mismatches(s, powersOfTwo())).toEqual([]);
        expect(mismatches(s, subnormals(5))).toEqual([]);
        const r = new Random(11);
        const squares: number[] = [];
        // y with at most 26 significant bits: y² is exact, and its root is y.
        for (let i = 0; i < 20_000; i++) squares.push(((r.int(1 << 26) + 1) * pow2(-560 + r.int(1070))) ** 2);
        expect(mismatches(s, squares.filter((x) => x > 0 && x < Infinity))).toEqual([]);
      });

      it('0, −0, NaN, ±Infinity, negatives', () => {
        expect(mismatches(s, SPECIALS)).toEqual([]);
        expect(Object.is(s(-0), -0)).toBe(true);
        expect(Object.is(s(0), 0)).toBe(true);
        expect(s(-1)).toBeNaN();
        expect(s(Infinity)).toBe(Infinity);
      });
    });
  }

  it('starts over when the approximation is garbage: NaN, 0, ±∞, negative, x itself, a constant, off by 2⁻²⁰', () => {
    const garbage: [string, Approx][] = [
      ['NaN', () => NaN],
      ['0', () => 0],
      ['-0', () => -0],
      ['Infinity', () => Infinity],
      ['-Infinity', () => -Infinity],
      ['negative', (x) => -Math.sqrt(x)],
      ['x', (x) => x],
      ['1', () => 1],
      ['1e300', () => 1e300],
      ['MIN_VALUE', () => Number.MIN_VALUE],
      ['undefined', () => undefined as unknown as number],
      ['off by 2⁻²⁰', (x) => Math.sqrt(x) * (1 + pow2(-20))],
      ['off by −2⁻²⁹', (x) => Math.sqrt(x) * (1 - pow2(-29))],
      ['off by 2⁻³¹', (x) => Math.sqrt(x) * (1 + pow2(-31))],
    ];
    const xs = [...randomBitPatterns(20_000, 77, true), ...nearMidpointSquares(500, 78), ...hardCases(), ...SPECIALS];
    for (const [name, approx] of garbage) expect(mismatches(correctlyRoundedSqrt(approx), xs), name).toEqual([]);
  });
});

describe('the fast path (sqrt.ts, step 5): a nonzero rounded s has the sign of x − y² ∓ y·g, and s = 0 only when it is 0', () => {
  /** Sign of x − y² + k·y·g (k = ±1), exactly. */
  function exactS(x: number, y: number, g: number, k: bigint): number {
    const X = toRational(x);
    const Y = toRational(y);
    const G = toRational(g);
    const e = Math.min(X.e, 2 * Y.e, Y.e + G.e);
    const v = (X.m << BigInt(X.e - e)) - ((Y.m * Y.m) << BigInt(2 * Y.e - e)) + k * ((Y.m * G.m) << BigInt(Y.e + G.e - e));
    return v > 0n ? 1 : v < 0n ? -1 : 0;
  }
  /** The fast path's arithmetic for y, as sqrt.ts does it: [s of the upper test, s of the lower one, u, d]. */
  function fastS(x: number, y: number): [number, number, number, number] {
    const c = 134217729 * y;
    const hi = c - (c - y);
    const lo = y - hi;
    const p = y * y;
    const e = hi * hi - p + 2 * hi * lo + lo * lo;
    const t = x - p;
    const h = y * (pow2(-53) + pow2(-105));
    const u = y + h - y;
    const d = y - (y - h);
    return [t - y * u - e, t + y * d - e, u, d];
  }

  it('for y up to 3 ulps either side of the root, at hard and random inputs across the range', () => {
    const r = new Random(17);
    const xs = [...hardCases(), ...nearMidpointSquares(3000, 18), ...powersOfTwo().filter((x, i) => x > 0 && i % 7 === 0)];
    for (let i = 0; i < 20_000; i++) xs.push(randomDouble(r, -900, 900));
    let zeros = 0;
    const bad: string[] = [];
    for (const x0 of xs) {
      // As sqrt.ts scales it.
      const x = x0 < pow2(-900) ? x0 * pow2(600) : x0 > pow2(900) ? x0 * pow2(-600) : x0;
      for (let k = -3; k <= 3; k++) {
        const y = stepUlps(Math.sqrt(x), k);
        const [sUp, sLo, u, d] = fastS(x, y);
        const want = [exactS(x, y, u, -1n), exactS(x, y, d, 1n)];
        const got = [Math.sign(sUp), Math.sign(sLo)];
        if (got[0] !== want[0] || got[1] !== want[1]) bad.push(`x=${x} y=${y}: ${got} vs ${want}`);
        if (sUp === 0 || sLo === 0) zeros++;
      }
    }
    expect(bad.slice(0, 5)).toEqual([]);
    expect(zeros).toBeGreaterThan(0);
  });
});

describe('exactSumSign', () => {
  /** A finite double as an integer number of 2⁻¹⁰⁷⁴. */
  const scaled = (x: number): bigint => {
    const q = toRational(x < 0 ? -x : x);
    const v = q.m << BigInt(q.e + 1074);
    return x < 0 ? -v : v;
  };
  const exactSign = (a: number, b: number, c: number, d: number): number => {
    const s = scaled(a) + scaled(b) + scaled(c) + scaled(d);
    return s > 0n ? 1 : s < 0n ? -1 : 0;
  };
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -pow2(1000), max: pow2(1000) });

  it('is the sign of the exact sum, for any four doubles', () => {
    fc.assert(
      fc.property(finite, finite, finite, finite, (a, b, c, d) => exactSumSign(a, b, c, d) === exactSign(a, b, c, d)),
      { numRuns: 50_000, seed: 3 },
    );
  });

  it('when the sum cancels to nothing or to the last bit', () => {
    fc.assert(
      fc.property(finite, finite, fc.integer({ min: -3, max: 3 }), fc.integer({ min: -1100, max: 0 }), (a, c, k, e) => {
        // a + (−a) + c + (−c ± a few ulps of something tiny)
        const tiny = k * pow2(Math.max(e, -1074));
        const d = -c + tiny;
        return exactSumSign(a, -a, c, d) === exactSign(a, -a, c, d) && exactSumSign(c, a, -c, -a) === 0;
      }),
      { numRuns: 50_000, seed: 4 },
    );
    // Sums whose sign only the smallest component of the expansion holds.
    const lowest: [number, number, number, number][] = [
      [-211106232532992, 1.1858461261560205e-20, 211107306274816, -1073741824],
      [-10995116277760, -1.4901161193847656e-8, 11063835754496, -68719476736],
      [-2.0328790734103208e-20, -0.0078125, -1024, 1024.0078125],
      [11534336, -6.071532165918825e-18, 258254417031922200000, -258254417031933720000],
    ];
    for (const [a, b, c, d] of lowest) {
      expect(exactSign(a, b, c, d)).not.toBe(0);
      expect(exactSumSign(a, b, c, d)).toBe(exactSign(a, b, c, d));
    }
    // Few-bit values over a narrow exponent range, half of them cancelling pairwise: all the
    // ways the components can vanish.
    const r = new Random(8);
    const few = (): number => (r.next() < 0.5 ? -1 : 1) * (1 + r.int(15)) * pow2(r.int(141) - 70);
    const bad: string[] = [];
    for (let i = 0; i < 300_000; i++) {
      const a = few();
      const b = few();
      const cancel = r.next() < 0.5;
      const c = cancel ? -a + (r.next() < 0.5 ? 0 : few()) : few();
      const d = cancel ? -b + (r.next() < 0.5 ? 0 : few()) : few();
      if (exactSumSign(a, b, c, d) !== exactSign(a, b, c, d) && bad.push(`${a} ${b} ${c} ${d}`) >= 5) break;
    }
    expect(bad).toEqual([]);
    // The midpoint test's shape: 1 + 2⁻⁵² − 1 − 2⁻⁵² − 2⁻¹⁰⁶ < 0.
    expect(exactSumSign(1 + pow2(-52), -1, -pow2(-52), -pow2(-106))).toBe(-1);
    expect(exactSumSign(pow2(-1074), 0, 0, 0)).toBe(1);
    expect(exactSumSign(0, -0, 0, -0)).toBe(0);
  });
});

describe('Espruino', () => {
  it("esbuild's output for shared/sqrt.ts has nothing Espruino lacks, not even a decimal it would misread", async () => {
    const { code } = await transform(readFileSync(SOURCE, 'utf8'), { loader: 'ts', format: 'esm', target: 'es2019', supported: { ...ESPRUINO_ESBUILD_SUPPORTED } });
    const script = code.replace(/^export /gm, '');
    expect(script).not.toMatch(/\bexport\b/);
    // With inexactDecimals (the build's check): every literal is one Espruino reads exactly.
    expect(espruinoProblems(script)).toEqual([]);
  });

  it('the Espruino build of it, its literals read as Espruino reads them, gives the roots IEEE gives', async () => {
    const dir = tempDir('pt-sqrt-');
    const entry = join(dir, 'entry.ts');
    // As firmware/espruino-main.ts: the entry assigns the global `pt` the build declares.
    writeFileSync(entry, [`import { correctlyRoundedSqrt, sqrtExactDecisions } from ${JSON.stringify(SOURCE)};`, 'declare let pt: unknown;', 'pt = { correctlyRoundedSqrt: correctlyRoundedSqrt, sqrtExactDecisions: sqrtExactDecisions };', ''].join('\n'));
    const built = await buildEspruino({ entry, outfile: join(dir, 'sqrt.js'), write: false, minify: true });
    // Every number literal replaced by the double Espruino's parser makes of it.
    const asEspruino = built.code.replace(/(?<![\w$.])(?:\d[\d_]*\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/g, (raw) => `(${espruinoParseNumber(raw)})`);
    const pt = vm.runInNewContext(asEspruino + '\n;pt', {}) as { correctlyRoundedSqrt: typeof correctlyRoundedSqrt; sqrtExactDecisions: () => number };
    const s = pt.correctlyRoundedSqrt(espruinoApprox);
    const xs = [...randomBitPatterns(100_000, 31, false), ...nearMidpointSquares(2000, 32), ...hardCases(), ...powersOfTwo(), ...SPECIALS];
    expect(mismatches(s, xs)).toEqual([]);
    expect(pt.sqrtExactDecisions()).toBeGreaterThan(0);
  });
});
