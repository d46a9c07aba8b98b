// shared/linear.ts unrolls its loops by feature count (locals w0…w7, labelled-break ladders) for
// speed. These properties hold it to plain reference loops — one inner loop over the features, the
// prediction added in the order b, w0·x0, w1·x1, … — bit for bit, for every feature count 1–8,
// including NaN, ±Infinity, ±0, subnormals and values near the float32 limits.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { batchGradient, meanSquaredError, sgdPerSample } from '../../shared/linear.ts';

function refPrediction(x: Float32Array, f: number, i: number, w: ArrayLike<number>, b: number): number {
  let pred = b;
  for (let j = 0; j < f; j++) pred += w[j] * x[i * f + j];
  return pred;
}

function refGradient(x: Float32Array, y: Float32Array, f: number, idx: Uint32Array, from: number, to: number, p: Float32Array, g: Float32Array): void {
  const sums = new Float64Array(f);
  let gb = 0;
  for (let k = from; k < to; k++) {
    const i = idx[k];
    const r = refPrediction(x, f, i, p, p[f]) - y[i];
    for (let j = 0; j < f; j++) sums[j] += r * x[i * f + j];
    gb += r;
  }
  const scale = 2 / (to - from);
  for (let j = 0; j < f; j++) g[j] = Math.fround(sums[j] * scale);
  g[f] = Math.fround(gb * scale);
}

function refLoss(x: Float32Array, y: Float32Array, f: number, idx: Uint32Array, from: number, to: number, p: Float32Array): number {
  let sum = 0;
  for (let k = from; k < to; k++) {
    const r = refPrediction(x, f, idx[k], p, p[f]) - y[idx[k]];
    sum += r * r;
  }
  return Math.fround(sum / (to - from));
}

function refSgd(x: Float32Array, y: Float32Array, f: number, idx: Uint32Array, from: number, to: number, p: Float32Array, lr: number): number {
  let k = from;
  while (k < to) {
    const i = idx[k++];
    const r = refPrediction(x, f, i, p, p[f]) - y[i];
    let finite = true;
    for (let j = 0; j <= f; j++) {
      const xj = j < f ? x[i * f + j] : 1;
      p[j] = Math.fround(p[j] - lr * Math.fround(2 * r * xj));
      if (!Number.isFinite(p[j])) finite = false;
    }
    if (!finite) break;
  }
  return k - from;
}

const bits = (a: Float32Array): number[] => Array.from(new Uint32Array(a.slice().buffer));

const special = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.1754944e-38, 1, -1);
/** Mostly ordinary values of mixed magnitude (so that rounding order shows), sometimes special ones. */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => Math.fround(m * 2 ** e)) },
  { weight: 3, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.oneof(special, fc.float()) },
);

const problem = fc.record({
  f: fc.integer({ min: 1, max: 8 }),
  n: fc.integer({ min: 1, max: 24 }),
  values: fc.array(value, { minLength: 240, maxLength: 240 }),
  params: fc.array(value, { minLength: 9, maxLength: 9 }),
  lr: fc.oneof(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.constantFrom(0, 2, 1e30)),
  shift: fc.nat(),
});

function build(pr: { f: number; n: number; values: number[]; params: number[]; shift: number }) {
  const { f, n, values, shift } = pr;
  const x = new Float32Array(n * f);
  const y = new Float32Array(n);
  for (let i = 0; i < n * f; i++) x[i] = values[i % values.length];
  for (let i = 0; i < n; i++) y[i] = values[(n * f + i) % values.length];
  // A visiting order that is not the data order, and a slice that does not start at 0.
  const idx = Uint32Array.from({ length: n }, (_, k) => (k * 7 + shift) % n);
  const from = n > 1 ? shift % 2 : 0;
  return { x, y, idx, from, p: Float32Array.from(pr.params.slice(0, f + 1)) };
}

describe('linear.ts equals plain reference loops, bit for bit', () => {
  it('batchGradient', () => {
    fc.assert(
      fc.property(problem, (pr) => {
        const { x, y, idx, from, p } = build(pr);
        const a = new Float32Array(pr.f + 1);
        const b = new Float32Array(pr.f + 1);
        batchGradient(x, y, pr.f, idx, from, pr.n, p, a);
        refGradient(x, y, pr.f, idx, from, pr.n, p, b);
        expect(bits(a)).toEqual(bits(b));
      }),
      { numRuns: 1500 },
    );
  });

  it('meanSquaredError', () => {
    fc.assert(
      fc.property(problem, (pr) => {
        const { x, y, idx, from, p } = build(pr);
        expect(Object.is(meanSquaredError(x, y, pr.f, idx, from, pr.n, p), refLoss(x, y, pr.f, idx, from, pr.n, p))).toBe(true);
      }),
      { numRuns: 1500 },
    );
  });

  it('sgdPerSample: same parameters and the same stopping sample', () => {
    fc.assert(
      fc.property(problem, (pr) => {
        const { x, y, idx, from, p } = build(pr);
        const a = p.slice();
        const b = p.slice();
        expect(sgdPerSample(x, y, pr.f, idx, from, pr.n, a, pr.lr)).toBe(refSgd(x, y, pr.f, idx, from, pr.n, b, pr.lr));
        expect(bits(a)).toEqual(bits(b));
      }),
      { numRuns: 1500 },
    );
  });
});
