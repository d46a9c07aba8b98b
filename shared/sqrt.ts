// A correctly rounded square root built from an approximate one. IEEE 754 (so V8, QuickJS and
// torch) rounds √x to the nearest double; Espruino computes Math.sqrt as exp(log(x)·0.5)
// (src/jswrap_math.c), which is often an ulp or more off, and far more for large exponents: log(x)
// near 709 carries an absolute error up to 2⁻⁴⁵, and so does the root, relatively: up to 256 ulps
// (measured with V8's exp and log on random doubles; a board's libm can only add to it).
// Records must be bit-equal to the desktop's, so the Espruino firmware replaces Math.sqrt at boot
// with correctlyRoundedSqrt(its own Math.sqrt). Besides the approximation, only +, −, × and ÷ on
// doubles are used, which Espruino rounds as IEEE does.
//
// The rule: s(x) is Object.is-equal to IEEE's square root for every double x: −0 → −0, +0 → +0,
// negative or NaN → NaN, +∞ → +∞, and for positive finite x the double nearest √x (never a tie: a
// midpoint between doubles, m = M·2ʲ with M odd and 2⁵³ ≤ M < 2⁵⁴, has m² = M²·2²ʲ with an odd
// significand of at least 107 bits, so m² is not a double and √x is never a midpoint).
//
// How, for positive finite x (r = √x; u the gap above a double y, d the gap below, d = u/2 when y
// is a power of two, else d = u; g either of them):
// 1. Scaling. x below 2⁻⁹⁰⁰ (subnormals included) is multiplied by 2⁶⁰⁰ and x above 2⁹⁰⁰ by
//    2⁻⁶⁰⁰, and the root by 2⁻³⁰⁰ resp. 2³⁰⁰ at the end: all exact (powers of two; the scaled x
//    is in [2⁻⁴⁷⁴, 2⁴²⁴) and every root is normal, ≥ 2⁻⁵³⁷). So the approximation sees only normal
//    x in [2⁻⁹⁰⁰, 2⁹⁰⁰] (it may be garbage for subnormals), and y ≈ r stays in [2⁻⁴⁵⁰, 2⁴⁵⁰]: the
//    split y·(2²⁷+1) cannot overflow, and every exact term below is a multiple of g² ≥ 2⁻¹⁰⁰⁶, far
//    above the subnormals, so no product rounds for lack of exponent. The factors are products of
//    the integer literal 2⁶⁰ (Espruino reads integer literals below 2⁶³ exactly; Math.pow is inexact).
// 2. One Newton step from the approximation y₀ = r(1 + e): y = (y₀ + x/y₀)/2. In exact arithmetic
//    y = r(1 + e²/(2(1 + e))); the rounding of x/y₀ adds at most r·2⁻⁵⁴ after the halving, and the
//    final rounding half an ulp, so for |e| ≤ 2⁻²⁸ y is within 1.1 ulps of r. That covers Espruino's
//    2⁻⁴⁵ and anything within millions of ulps. A guard proves it: the step moves y by
//    y₀·|(1 + e)⁻² − 1|/2 (up to a rounding of relative size 2⁻⁵²), which grows with |e| on either
//    side of 0 and exceeds y₀·2⁻²⁹ once |e| ≥ 2⁻²⁸; so |y − y₀| ≤ y₀·2⁻³⁰ means |e| < 2⁻²⁸. NaN, 0,
//    ±∞, negatives and wild values all fail it (the comparison is false for NaN and for ∞ − ∞, and
//    nothing is ≤ a negative bound), and coarseRoot then starts over from powers of four and six
//    Newton steps, reaching the same 1.1 ulps. The Newton result is the right double about 3 times
//    in 4 (when x/y₀ lands an ulp from y₀, y₀ + x/y₀ is a tie and goes to even).
// 3. Deciding. y is the correctly rounded root iff (y − d/2)² < x < (y + u/2)², i.e. iff
//    A = x − y² − y·u − u²/4 < 0 (else y is too small) and B = x − y² + y·d − d²/4 > 0 (else too
//    big). A wrong y moves by one gap and is tested again. As y starts within 1.1 ulps of r and
//    the right double is within half an ulp of it, two moves suffice (the loop allows 8), and
//    every y tested is within 1.1 ulps of r.
// 4. Exact terms. y² = p + e exactly by Dekker's product with Veltkamp's split (no FMA): the
//    split constant 2²⁷ + 1 = 134217729 cuts y into two halves of at most 26 bits, whose products
//    are exact, and e = ((hi·hi − p) + 2·hi·lo) + lo·lo is exact (two_sqr in Hida, Li and Bailey's
//    QD library). t = x − p is exact by Sterbenz's lemma (p/2 ≤ x ≤ 2p, as y is within 1.1 ulps
//    of r). w = y·g is exact (g a power of two), and so is g²/4. Then A = (t − e − y·u) − u²/4 and
//    B = (t − e + y·d) − d²/4: with S the bracket, A and B are S − g²/4.
// 5. The fast path: the sign of s = fl(fl(t ∓ w) − e), the bracket in rounded arithmetic. Measure
//    in units of g², with y in [2ᵏ, 2ᵏ⁺¹), u = 2ᵏ⁻⁵², y = Y·u for an integer Y in [2⁵², 2⁵³):
//    - every term is an integer: x ≥ 2²ᵏ⁻¹ (x ≈ y²), so x is a multiple of its ulp ≥ 2⁵¹u²; y² =
//      Y²u², p a multiple of ulp(y²) ≥ 2⁵²u², so e and t are integers too; y·u = Y·u².
//    - S is even when g = u: S = X − Y² ∓ Y with X = x/u² even, and Y² ∓ Y = Y(Y ∓ 1) is even.
//      When g = d = u/2 (y = 2ᵏ, the test of B): e = 0 and t and y·d = 2⁵³·d² are multiples of 2⁵³
//      d², so S is too.
//    - |e| ≤ ulp(p)/2 ≤ 2⁵²u², so |t ∓ w| = |S + e| ≤ |S| + 2⁵², and rounding t ∓ w errs by at most
//      2⁻⁵³(|S| + 2⁵²) = 2⁻⁵³|S| + 1/2 (0 if |S + e| ≤ 2⁵³, an integer that fits). Subtracting e
//      then may round too, but a rounding never changes a sign, nor makes a nonzero multiple of
//      g² zero (no underflow in this range).
//    So if S = 0, t ∓ w = e is exact and s = 0; if S ≠ 0, then |S| ≥ 2 > 2⁻⁵³|S| + 1/2, and s has
//    the sign of S, which A (or B) = S − g²/4 shares as |S| ≥ 2g². That is the error bound: s ≠ 0
//    decides, in a handful of operations beyond Dekker's product. Only s = 0 (S = 0 exactly: x is
//    the square of a midpoint less g²/4, e.g. x = 1 + 2⁻⁵², where A = −u²/4) goes to the exact
//    path, which computes the sign of the four-term sum outright. On random doubles that never
//    happens (test/engine/sqrt.test.ts counts it).
// 6. The exact path (Shewchuk, "Adaptive Precision Floating-Point Arithmetic and Fast Robust
//    Geometric Predicates", 1997): TwoSum gives a + b = s + err exactly; Grow-Expansion adds a
//    double to a nonoverlapping expansion with one TwoSum per component, and the result is
//    nonoverlapping; the sign of a nonoverlapping expansion is that of its largest nonzero
//    component. Four terms take six TwoSums, in local variables.
//
// Gaps without frexp or log2: with c = 2⁻⁵³ + 2⁻¹⁰⁵ and y in [2ᵏ, 2ᵏ⁺¹), u = 2ᵏ⁻⁵², h = fl(y·c)
// satisfies u/2 < h < u. Below: y·c ≥ y·2⁻⁵³ ≥ u/2 with equality only for y = 2ᵏ, and there y·c =
// 2ᵏ⁻⁵³(1 + 2⁻⁵²) is itself a double; elsewhere y·2⁻⁵³ > u/2 is a double below y·c, which rounding
// cannot go under. Above: y·c ≤ (2ᵏ⁺¹ − u)·2⁻⁵³·(1 + 2⁻⁵²) < 2ᵏ⁻⁵² = u, a double. So y + h lies
// strictly between the midpoint y + u/2 and y + u and rounds to y + u, the next double (2ᵏ⁺¹
// after the last one of the binade), and u = (y + h) − y is exact. Below y: if y = 2ᵏ, then d =
// u/2 and h = d(1 + 2⁻⁵²), between d/2 and 3d/2; else d = u and u/2 < h < u. Either way y − h
// rounds to y − d, and d = y − (y − h) exactly.
//
// Only what Espruino runs: no `**`, Math.pow, Math.fround, frexp or log2, no default parameters,
// destructuring or spread, helpers declared above their callers, integer literals (and 0.5, which
// Espruino reads exactly). The hot path allocates nothing.

/** 2²⁷ + 1: Veltkamp's split constant for doubles. */
const SPLIT = 134217729;
const TWO32 = 4294967296;
const TWO52 = 4503599627370496;
const TWO60 = 1152921504606846976;
const TWO64 = TWO32 * TWO32;
const TWO_M64 = 1 / TWO64;
const TWO_M32 = 1 / TWO32;
const TWO_M30 = 4 / TWO32;
/** 2⁻⁵³ + 2⁻¹⁰⁵, the gap constant (see the top). */
const GAP = (TWO52 + 1) / TWO52 / TWO52 / 2;
const TWO300 = TWO60 * TWO60 * TWO60 * TWO60 * TWO60;
const TWO_M300 = 1 / TWO300;
const TWO600 = TWO300 * TWO300;
const TWO_M600 = 1 / TWO600;
const TWO900 = TWO600 * TWO300;
const TWO_M900 = 1 / TWO900;
/** Bound on the rounds of tests (one, and one more per move: at most two moves are ever needed). */
const MAX_MOVES = 8;

/** How many midpoint tests the exact path decided (it only runs when the fast path cannot). */
let exactCount = 0;

/** Midpoint tests the exact path has decided since the engine loaded (for tests and benchmarks). */
export function sqrtExactDecisions(): number {
  return exactCount;
}

/** The rounding error of s = a + b (Knuth's TwoSum): a + b = s + twoSumError(a, b, s) exactly. */
function twoSumError(a: number, b: number, s: number): number {
  const bv = s - a;
  return a - (s - bv) + (b - bv);
}

/**
 * The sign (1, −1 or 0) of a + b + c + d, exactly: [e1, s1] = a + b as an expansion, then
 * Shewchuk's Grow-Expansion with c and with d; the sign of the largest nonzero component.
 */
export function exactSumSign(a: number, b: number, c: number, d: number): number {
  const s1 = a + b;
  const e1 = twoSumError(a, b, s1);
  // Grow [e1, s1] by c: [h1, h2, h3].
  const q1 = c + e1;
  const h1 = twoSumError(c, e1, q1);
  const h3 = q1 + s1;
  const h2 = twoSumError(q1, s1, h3);
  // Grow [h1, h2, h3] by d: [k1, k2, k3, k4].
  const r1 = d + h1;
  const k1 = twoSumError(d, h1, r1);
  const r2 = r1 + h2;
  const k2 = twoSumError(r1, h2, r2);
  const k4 = r2 + h3;
  const k3 = twoSumError(r2, h3, k4);
  const top = k4 !== 0 ? k4 : k3 !== 0 ? k3 : k2 !== 0 ? k2 : k1;
  return top > 0 ? 1 : top < 0 ? -1 : 0;
}

/**
 * √x within ~1 ulp for x in [2⁻⁹⁰⁰, 2⁹⁰⁰], from nothing but exact scalings and Newton steps:
 * x = z·4ⁿ with z in [1, 4), √x = 2ⁿ·√z; (1 + z)/2 is at most 25% above √z (AM–GM: never
 * below), and Newton's relative error goes 0.25 → 0.025 → 3·10⁻⁴ → 5·10⁻⁸ → 10⁻¹⁵ → ~1 ulp.
 * Only used when the approximation fails the guard.
 */
function coarseRoot(x: number): number {
  let z = x;
  let g = 1;
  while (z >= TWO64) {
    z = z * TWO_M64;
    g = g * TWO32;
  }
  while (z < TWO_M64) {
    z = z * TWO64;
    g = g * TWO_M32;
  }
  while (z >= 4) {
    z = z / 4;
    g = g * 2;
  }
  while (z < 1) {
    z = z * 4;
    g = g / 2;
  }
  let v = (1 + z) / 2;
  for (let i = 0; i < 6; i++) v = 0.5 * (v + z / v);
  return g * v;
}

/**
 * A correctly rounded square root (Object.is-equal to IEEE's, for every double) from `approx`,
 * an approximate one. It is only ever called on x in [2⁻⁹⁰⁰, 2⁹⁰⁰], and takes the fast start when
 * within a relative 2⁻²⁸ of √x there (some 10⁷ ulps; Espruino's exp(log(x)·0.5) is within 256);
 * anything else (NaN, 0, ∞, garbage) is caught and costs a slower start, never a wrong root.
 */
export function correctlyRoundedSqrt(approx: (x: number) => number): (x: number) => number {
  return function (x: number): number {
    if (!(x > 0)) return x === 0 ? x : NaN;
    if (x === Infinity) return x;
    let scale = 1;
    if (x < TWO_M900) {
      x = x * TWO600;
      scale = TWO_M300;
    } else if (x > TWO900) {
      x = x * TWO_M600;
      scale = TWO300;
    }
    const y0 = approx(x);
    let y = 0.5 * (y0 + x / y0);
    const moved = y > y0 ? y - y0 : y0 - y;
    if (!(moved <= y0 * TWO_M30)) y = coarseRoot(x);
    for (let i = 0; i < MAX_MOVES; i++) {
      // y² = p + e exactly (Dekker, Veltkamp's split).
      const c = SPLIT * y;
      const hi = c - (c - y);
      const lo = y - hi;
      const p = y * y;
      const e = hi * hi - p + 2 * hi * lo + lo * lo;
      // x − y², exactly t − e (t exact: Sterbenz).
      const t = x - p;
      // The neighbours of y: up = y + u, dn = y − d.
      const h = y * GAP;
      const up = y + h;
      const u = up - y;
      // Too small iff x − y² − y·u − u²/4 > 0. A nonzero s has the sign of x − y² − y·u (and
      // so of the whole), s = 0 means x − y² − y·u = 0 (see the top): decided exactly.
      let w = y * u;
      let s = t - w - e;
      let wrong = s > 0;
      if (s === 0) {
        exactCount++;
        wrong = exactSumSign(t, -e, -w, -(u * u) / 4) > 0;
      }
      if (wrong) {
        y = up;
        continue;
      }
      const dn = y - h;
      const d = y - dn;
      // Too big iff x − y² + y·d − d²/4 < 0 (s as above).
      w = y * d;
      s = t + w - e;
      wrong = s < 0;
      if (s === 0) {
        exactCount++;
        wrong = exactSumSign(t, -e, w, -(d * d) / 4) < 0;
      }
      if (!wrong) return y * scale;
      y = dn;
    }
    // Unreachable: y starts within 1.1 ulps of √x, and each move is towards the right double.
    return y * scale;
  };
}

// ---------------------------------------------------------------- the engine's square root

let installed: ((x: number) => number) | null = null;

/**
 * The square root the engine uses, looked up at each call: Math.sqrt, which is correctly rounded
 * on V8, QuickJS and Kaluma, unless a runtime whose Math.sqrt is not (Espruino's is
 * exp(log(x)·0.5)) installed a correct one at boot (firmware/espruino.ts).
 */
export function engineSqrt(): (x: number) => number {
  return installed || Math.sqrt;
}

/** Makes `sqrt` the engine's square root from now on (null: Math.sqrt again). */
export function installSqrt(sqrt: ((x: number) => number) | null): void {
  installed = sqrt;
}
