// The fast kernels (shared/kernels/fast.ts, generated per run) against the reference kernels
// (shared/kernels/reference.ts: linear.ts, transforms.ts and each optimizer's update), bit for bit:
// one table of option sets per optimizer (option-sets.ts) through every shape of run, then the
// kernels one by one on data with NaN, ±Infinity, ±0, subnormals and values near the float32 limits.
import { parse } from 'acorn';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { fastKernels, kernelSource } from '../../shared/kernels/fast.ts';
import { referenceApply, referenceKernels } from '../../shared/kernels/reference.ts';
import type { Kernels, TrainingState } from '../../shared/kernels/types.ts';
import { getOptimizer } from '../../shared/optim/index.ts';
import { Random } from '../../shared/random.ts';
import { textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';
import { initTransforms } from '../../shared/transforms.ts';
import { resolveWalk, Walker, WALK_FUNCTIONS } from '../../shared/walks.ts';
import { optionCases } from './option-sets.ts';

/** 30 samples of f features: mixed magnitudes, y roughly linear in x. */
function data(f: number, seed: number): Float32Array {
  const r = new Random(seed);
  const out: number[] = [];
  for (let i = 0; i < 30; i++) {
    let y = 0.5;
    for (let j = 0; j < f; j++) {
      const x = (r.next() * 4 - 2) * (j % 2 ? 10 : 1);
      out.push(x);
      y += (j % 3 === 0 ? 2 : -0.5) * x;
    }
    out.push(y + r.gauss() * 0.1);
  }
  return new Float32Array(out);
}

function records(packed: Float32Array, f: number, cfg: TrainConfig, kernels: (st: TrainingState) => Kernels): string[] {
  const lines: string[] = [];
  new Trainer(datasetFromPacked(packed, f), cfg, textRecords((l) => lines.push(l)), 'desktop', kernels).run();
  return lines;
}

describe('every option set through every shape of run: fast records equal reference records', () => {
  for (const c of optionCases()) {
    it(c.name, () => {
      let shape = 0;
      for (const f of [1, 2, 3, 8]) {
        const packed = data(f, f * 31 + 1);
        for (const bias of [true, false]) {
          for (const standardize of [false, true]) {
            for (const batch of [1, 4, 0]) {
              // The remaining switches rotate through the shapes, so that each meets every combination above.
              const k = shape++;
              const cfg = resolveConfig(
                {
                  optimizer: c.optimizer,
                  lr: c.optimizer === 'adadelta' ? 1 : 0.01,
                  ...c.options,
                  bias,
                  standardize,
                  batch,
                  epochs: 4,
                  valSplit: k % 2 ? 0.25 : 0,
                  shuffle: (k >> 1) % 2 === 1,
                  curriculum: k % 5 === 0,
                  curriculumEpochs: k % 10 === 0 ? 3 : 0,
                  noiseEta: k % 3 === 0 ? 0.05 : 0,
                  patience: k % 7 === 0 ? 1 : 0,
                  seed: k,
                },
                f,
              );
              const ref = records(packed, f, cfg, referenceKernels);
              const fast = records(packed, f, cfg, fastKernels);
              expect(fast, `${f} features, bias ${bias}, standardize ${standardize}, batch ${batch}, shape ${k}`).toEqual(ref);
            }
          }
        }
      }
    });
  }
});

// ---------------------------------------------------------------- kernel by kernel, special values

const special = fc.constantFrom(0, -0, NaN, Infinity, -Infinity, 3.4e38, -3.4e38, 1e-45, -1e-45, 1.1754944e-38, 1, -1);
/** Mostly ordinary values of mixed magnitude (so that rounding order shows), sometimes special ones. */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(fc.double({ min: -1, max: 1, noNaN: true }), fc.integer({ min: -30, max: 30 })).map(([m, e]) => Math.fround(m * 2 ** e)) },
  { weight: 3, arbitrary: fc.float({ min: -100, max: 100, noNaN: true }) },
  { weight: 1, arbitrary: fc.oneof(special, fc.float()) },
);
const cases = optionCases();

const problem = fc.record({
  option: fc.integer({ min: 0, max: cases.length - 1 }),
  f: fc.integer({ min: 1, max: 8 }),
  n: fc.integer({ min: 2, max: 20 }),
  bias: fc.boolean(),
  standardize: fc.boolean(),
  noise: fc.boolean(),
  batch: fc.integer({ min: 1, max: 5 }),
  values: fc.array(value, { minLength: 200, maxLength: 200 }),
  params: fc.array(value, { minLength: 9, maxLength: 9 }),
  scales: fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), { minLength: 16, maxLength: 16 }),
  lr: fc.oneof(fc.double({ min: 1e-6, max: 1, noNaN: true }), fc.constantFrom(2, 1e30)),
  cuts: fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 6 }),
  shift: fc.nat(),
});

type Problem = typeof problem extends fc.Arbitrary<infer T> ? T : never;

/** A training state as the trainer builds one, over the problem's data. */
function state(pr: Problem): TrainingState {
  const c = cases[pr.option];
  const f = pr.f;
  const cfg = resolveConfig({ optimizer: c.optimizer, ...c.options, bias: pr.bias, standardize: pr.standardize, noiseEta: pr.noise ? 0.1 : 0, seed: pr.shift }, f);
  const x = new Float32Array(pr.n * f);
  const y = new Float32Array(pr.n);
  for (let i = 0; i < x.length; i++) x[i] = pr.values[i % 200];
  for (let i = 0; i < pr.n; i++) y[i] = pr.values[(x.length + i * 3) % 200];
  const theta = Float32Array.from(pr.params.slice(0, f + 1));
  if (!pr.bias) theta[f] = 0;
  const mean = new Float64Array(f);
  const scale = new Float64Array(f).fill(1);
  if (pr.standardize) {
    for (let j = 0; j < f; j++) {
      mean[j] = pr.bias ? pr.scales[j + 8] - 50 : 0;
      scale[j] = pr.scales[j];
    }
  }
  const optimizer = getOptimizer(cfg.optimizer);
  return {
    x,
    y,
    f,
    bias: pr.bias,
    np: pr.bias ? f + 1 : f,
    theta,
    params: theta,
    mean,
    scale,
    acc: new Float64Array(f + 1),
    grad: new Float64Array(f + 1),
    batchSize: pr.batch,
    inBatch: 0,
    optimizer,
    opt: optimizer.init(f + 1, cfg),
    cfg,
    transforms: initTransforms(cfg, optimizer, new Random(pr.shift)),
  };
}

/** Everything a kernel may change, as comparable values (Object.is semantics: NaN equals NaN, −0 is not 0). */
function snapshot(st: TrainingState, extra: number[]): unknown[] {
  const out: unknown[] = [Array.from(st.theta), Array.from(st.acc), st.inBatch, extra];
  for (const [k, v] of Object.entries(st.opt)) out.push([k, ArrayBuffer.isView(v) ? Array.from(v as Float32Array) : v]);
  if (st.transforms.noise) out.push(st.transforms.noise.nsteps);
  return out;
}

function sameBits(a: unknown[], b: unknown[]): boolean {
  const flat = (v: unknown): unknown[] => (Array.isArray(v) ? v.flatMap(flat) : [v]);
  const fa = flat(a);
  const fb = flat(b);
  return fa.length === fb.length && fa.every((v, i) => Object.is(v, fb[i]));
}

/** Runs the same calls on both kernel sets; returns the two snapshots. */
function both(pr: Problem, calls: (k: Kernels, st: TrainingState, out: number[]) => void): [unknown[], unknown[]] {
  const a = state(pr);
  const b = state(pr);
  const outA: number[] = [];
  const outB: number[] = [];
  calls(referenceKernels(a), a, outA);
  calls(fastKernels(b), b, outB);
  return [snapshot(a, outA), snapshot(b, outB)];
}

const idxOf = (pr: Problem): Uint32Array => Uint32Array.from({ length: pr.n }, (_, k) => (k * 7 + pr.shift) % pr.n);

describe('each kernel equals its reference on special values, bit for bit', () => {
  it('train: per sample and in batches, cut into pieces, indexed and direct', () => {
    fc.assert(
      fc.property(problem, (pr) => {
        for (const idx of [null, idxOf(pr)]) {
          const [ref, fast] = both(pr, (k) => {
            for (let from = 0, c = 0; from < pr.n; c++) {
              const to = Math.min(pr.n, from + pr.cuts[c % pr.cuts.length]);
              k.train(idx, from, to, pr.n, pr.lr);
              from = to;
            }
          });
          expect(sameBits(fast, ref), JSON.stringify({ ref, fast })).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });

  it('loss, and the fused loss with gradient sums, then a step', () => {
    fc.assert(
      fc.property(problem, (pr) => {
        const fusable = { ...pr, standardize: false };
        for (const idx of [null, idxOf(pr)]) {
          const [ref, fast] = both(fusable, (k, _st, out) => {
            let loss = 0;
            let fused = 0;
            for (let from = 0, c = 0; from < pr.n; c++) {
              const to = Math.min(pr.n, from + pr.cuts[c % pr.cuts.length]);
              loss = k.loss(idx, from, to, loss);
              fused = k.lossAndSums(idx, from, to, fused);
              from = to;
            }
            out.push(loss, fused);
            k.step(pr.n, pr.lr);
            k.step(pr.n, pr.lr);
          });
          expect(sameBits(fast, ref), JSON.stringify({ ref, fast })).toBe(true);
        }
      }),
      { numRuns: 1500 },
    );
  });
});

describe('in pure double (no float32 rounding anywhere), the kernels still equal the reference', () => {
  // Float32 rounding hides most differences in the order of operations (a double that differs in its
  // last bit rarely rounds to another float32). With Math.fround made the identity and every array in
  // double, any formula that the generator and the reference write differently shows.
  it('train, loss, fused sums and steps, for every option set', () => {
    const fround = Math.fround;
    const toDouble = (st: TrainingState): TrainingState => {
      const opt = st.opt as Record<string, unknown>;
      for (const k of Object.keys(opt)) if (opt[k] instanceof Float32Array) opt[k] = Float64Array.from(opt[k] as Float32Array);
      const theta = Float64Array.from(st.theta) as unknown as Float32Array;
      return { ...st, theta, params: theta };
    };
    try {
      Math.fround = (v: number) => v;
      fc.assert(
        fc.property(problem, (pr) => {
          const run = (make: (st: TrainingState) => Kernels, p: Problem): unknown[] => {
            const st = toDouble(state(p));
            const k = make(st);
            const out: number[] = [];
            k.train(idxOf(p), 0, p.n, p.n, pr.lr);
            if (!p.standardize) {
              out.push(k.loss(null, 0, p.n, 0), k.lossAndSums(idxOf(p), 0, p.n, 0));
              k.step(p.n, pr.lr);
            }
            return snapshot(st, out);
          };
          const ref = run(referenceKernels, pr);
          const fast = run(fastKernels, pr);
          expect(sameBits(fast, ref), JSON.stringify({ ref, fast })).toBe(true);
        }),
        { numRuns: 1500 },
      );
    } finally {
      Math.fround = fround;
    }
  });
});

describe('walks take the same steps with either kernel', () => {
  for (const c of optionCases()) {
    it(c.name, () => {
      for (const fn of Object.keys(WALK_FUNCTIONS)) {
        const cfg = resolveWalk({ fn, optimizer: c.optimizer, ...c.options, steps: 40 });
        const run = (apply: typeof referenceApply | undefined): string[] => {
          const lines: string[] = [];
          new Walker(cfg, textRecords((l) => lines.push(l)), 'desktop', apply ? (st) => apply(st, c.optimizer) : undefined).run();
          return lines;
        };
        expect(run(undefined), fn).toEqual(run(referenceApply));
      }
    });
  }
});

describe('the generated text', () => {
  it('is ES5 without labels, for every optimizer and shape (JerryScript and Espruino parse it)', () => {
    for (let option = 0; option < cases.length; option++) {
      for (const f of [1, 3]) {
        for (const flags of [0, 1, 2, 3, 4, 5, 6, 7]) {
          const pr = { option, f, n: 4, bias: !!(flags & 1), standardize: !!(flags & 2), noise: !!(flags & 4), batch: 1 + (flags & 1) * 3, values: new Array(200).fill(1), params: new Array(9).fill(0.5), scales: new Array(16).fill(2), lr: 0.1, cuts: [1], shift: 0 };
          const st = state(pr);
          for (const kernel of ['train', 'loss', 'lossAndSums', 'step'] as const) {
            const src = kernelSource(st, kernel, flags % 2 === 0);
            expect(() => parse('(function (S, idx, from, to, poolEnd, lr, sum, n) {' + src + '})', { ecmaVersion: 5 }), src).not.toThrow();
            expect(src).not.toMatch(/\b\w+:\s*(for|while|\{)/);
          }
        }
      }
    }
  });

  it('per-sample SGD reads no property and calls nothing but Math.fround inside its loop', () => {
    const pr = { option: 0, f: 1, n: 4, bias: true, standardize: false, noise: false, batch: 1, values: new Array(200).fill(1), params: new Array(9).fill(0.5), scales: new Array(16).fill(2), lr: 0.1, cuts: [1], shift: 0 };
    const src = kernelSource(state(pr), 'train', false);
    const loop = src.slice(src.indexOf('for (;'), src.lastIndexOf('}'));
    expect(loop).not.toMatch(/\.\w/);
    expect(loop.match(/\w+\(/g)?.filter((c) => c !== 'fr(')).toEqual([]);
  });
});
