import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resolveConfig, type TrainConfig } from '../../shared/config.ts';
import { Random } from '../../shared/random.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { Trainer } from '../../shared/trainer.ts';
import { textRecords } from '../../shared/records.ts';
import { scheduledLr } from '../../shared/schedule.ts';
import { SEED, train } from './helpers.ts';

/** y = 3·x1 − 2·x2 + 5 on a grid, plus a far outlier-free spread: easy to fit exactly. */
function plane(n: number, noise = 0, seed = 7): number[] {
  const r = new Random(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = r.next() * 10 - 5;
    const b = r.next() * 100 + 50;
    out.push(a, b, 3 * a - 2 * b + 5 + noise * r.gauss());
  }
  return out;
}

describe('records', () => {
  it('epoch 0 holds the starting parameters and every loss is the MSE at the printed parameters', () => {
    const { epochs } = train(SEED, 1, { optimizer: 'momentum', lr: 0.01, epochs: 20, initW: [1], initB: 0.5 });
    expect(epochs[0]).toMatchObject({ epoch: 0, w: [1], b: 0.5 });
    for (const e of epochs) {
      const mse = [1, 2, 3].reduce((s, x) => s + (e.w[0] * x + e.b - 2 * x) ** 2, 0) / 3;
      expect(e.loss).toBeCloseTo(Math.fround(mse), 6);
    }
  });

  it('adds val_loss only with a validation split, and splits reproducibly by seed', () => {
    expect(train(SEED, 1, { epochs: 2 }).epochs[0].val_loss).toBeUndefined();
    const data = plane(40);
    const a = train(data, 2, { epochs: 3, valSplit: 0.25, seed: 3, standardize: true });
    const b = train(data, 2, { epochs: 3, valSplit: 0.25, seed: 3, standardize: true });
    const c = train(data, 2, { epochs: 3, valSplit: 0.25, seed: 4, standardize: true });
    expect(a.records[0]).toMatchObject({ type: 'start', samples: 40, train: 30, val: 10 });
    expect(a.epochs[1].val_loss).toBeTypeOf('number');
    expect(a.records).toEqual(b.records);
    expect(c.epochs[1].val_loss).not.toBe(a.epochs[1].val_loss);
  });
});

describe('modes', () => {
  it('mini-batches keep the last shorter batch: 3 samples in batches of 2 make 2 steps an epoch', () => {
    // With lr tiny, the change in w after one epoch is lr times the sum of the two batch gradients.
    const { epochs } = train(SEED, 1, { lr: 1e-4, batch: 2, epochs: 1, bias: false, initW: [1] });
    const g1 = (2 / 2) * ((1 - 2) * 1 + (2 - 4) * 2); // samples 1, 2 at w = 1
    const w1 = Math.fround(1 - 1e-4 * g1);
    const g2 = 2 * (w1 * 3 - 6) * 3; // sample 3 alone
    expect(epochs[1].w[0]).toBeCloseTo(w1 - 1e-4 * g2, 6);
  });

  it('shuffling changes the visiting order per seed and repeats exactly for one seed', () => {
    const data = plane(30, 1);
    const cfg: Partial<TrainConfig> = { optimizer: 'sgd', lr: 1e-6, batch: 1, shuffle: true, epochs: 5 };
    const a = train(data, 2, { ...cfg, seed: 11 });
    const b = train(data, 2, { ...cfg, seed: 11 });
    const c = train(data, 2, { ...cfg, seed: 12 });
    const d = train(data, 2, { ...cfg, shuffle: false });
    expect(a.records).toEqual(b.records);
    expect(a.epochs[5].w).not.toEqual(c.epochs[5].w);
    expect(a.epochs[5].w).not.toEqual(d.epochs[5].w);
  });
});

describe('strategies', () => {
  it('early stopping restores the best parameters and says so', () => {
    // On noisy data the validation loss flattens out: improvements under min-delta stop the run.
    const { epochs, done } = train(plane(60, 5), 2, { optimizer: 'adam', lr: 0.5, epochs: 2000, valSplit: 0.3, patience: 5, minDelta: 0.01, standardize: true });
    expect(done.reason).toBe('early_stop');
    expect(done.best_epoch).toBeTypeOf('number');
    const best = epochs[done.best_epoch!];
    expect(done.w).toEqual(best.w);
    expect(done.b).toBe(best.b);
    expect(done.epoch).toBe(done.best_epoch! + 5);
    for (const e of epochs.slice(done.best_epoch! + 1)) expect(e.val_loss!).toBeGreaterThan(best.val_loss! - 0.01);
    expect(epochs).toHaveLength(done.epoch + 1);
  });

  it('standardization trains in z-scores but reports w and b in the data’s own units', () => {
    // Unstandardized, x2 ≈ 100 makes plain GD crawl (or diverge); standardized it converges quickly.
    const data = plane(50);
    const { done } = train(data, 2, { optimizer: 'sgd', lr: 0.1, epochs: 300, standardize: true, initW: [0] });
    expect(done.w[0]).toBeCloseTo(3, 3);
    expect(done.w[1]).toBeCloseTo(-2, 3);
    expect(done.b).toBeCloseTo(5, 1);
    expect(done.loss!).toBeLessThan(1e-3);
  });

  it('gradient noise is seeded and anneals: same seed same run, and training still converges', () => {
    const cfg: Partial<TrainConfig> = { optimizer: 'sgd', lr: 0.02, epochs: 400, noiseEta: 0.3, seed: 5, bias: false };
    const a = train(SEED, 1, cfg);
    const b = train(SEED, 1, cfg);
    const quiet = train(SEED, 1, { ...cfg, noiseEta: 0 });
    expect(a.records).toEqual(b.records);
    expect(a.epochs[3].w).not.toEqual(quiet.epochs[3].w);
    expect(Math.abs(a.done.w[0] - 2)).toBeLessThan(0.05);
  });

  it('curriculum visits easy (small |x|) samples first and grows the pool', () => {
    // Per-sample SGD over one epoch with only the easiest third: only x = 1 has been seen.
    const { epochs } = train([3, 6, 1, 2, 2, 4], 1, { lr: 0.01, batch: 1, epochs: 3, curriculum: true, curriculumEpochs: 3, bias: false, initW: [1] });
    expect(epochs[1].w[0]).toBeCloseTo(1 - 0.01 * 2 * (1 - 2) * 1, 6);
  });

  it('stops a run whose loss explodes, within one epoch of it, and suggests a smaller lr', () => {
    const { epochs, done } = train(SEED, 1, { optimizer: 'sgd', lr: 1, epochs: 100, bias: false });
    expect(done.reason).toBe('diverged');
    // Epoch 1 multiplies the loss by 69: the run ends there, not epochs later.
    expect(done.epoch).toBe(1);
    expect(epochs.length).toBe(done.epoch + 1);
    expect(done.message).toMatch(/the loss jumped from 4\.6666665 to 324\.\d+ in epoch 1: the learning rate 1 is too high for this data; try --lr 0\.1/);
    expect(epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
  });

  it('catches NaN inside an epoch (per-sample steps) without printing it', () => {
    const { epochs, done } = train([1e15, 1, 2e15, 2], 1, { optimizer: 'sgd', lr: 10, batch: 1, epochs: 5, bias: false });
    expect(done.reason).toBe('diverged');
    expect(epochs.every((e) => Number.isFinite(e.loss))).toBe(true);
    expect(done.w.every((w) => Number.isFinite(w))).toBe(true);
  });
});

describe('schedules', () => {
  const c = (p: Partial<TrainConfig>) => resolveConfig({ lr: 0.1, epochs: 100, ...p });
  it('follows the closed forms per epoch', () => {
    // Rates epoch by epoch, each from the one before (torch's chainable form).
    const rates = (cfg: TrainConfig, epochs: number): number[] => {
      const out: number[] = [];
      let lr = NaN;
      for (let t = 0; t < epochs; t++) out.push((lr = scheduledLr(cfg, t, lr)));
      return out;
    };
    expect(rates(c({}), 51)[50]).toBe(0.1);
    expect(rates(c({ schedule: 'step', stepSize: 10, gamma: 0.5 }), 26)[25]).toBeCloseTo(0.025);
    expect(rates(c({ schedule: 'step', stepSize: 10, gamma: 0.5 }), 26).slice(8, 12)).toEqual([0.1, 0.1, 0.05, 0.05]);
    // A running product, as torch multiplies (not 0.1·0.95²).
    expect(rates(c({ schedule: 'exponential' }), 3)[2]).toBe(0.1 * 0.95 * 0.95);
    expect(rates(c({ schedule: 'inverse', decay: 0.5 }), 5)[4]).toBeCloseTo(0.1 / 3);
    expect(rates(c({ schedule: 'cosine', etaMin: 0.01 }), 1)[0]).toBeCloseTo(0.1);
    expect(rates(c({ schedule: 'cosine', etaMin: 0.01 }), 51)[50]).toBeCloseTo(0.055);
    expect(rates(c({ schedule: 'cosine', etaMin: 0.01 }), 101)[100]).toBeCloseTo(0.01);
  });
  it('is what the epoch records report', () => {
    const { epochs } = train(SEED, 1, { lr: 0.01, schedule: 'step', stepSize: 2, gamma: 0.5, epochs: 5 });
    expect(epochs.map((e) => e.lr)).toEqual([0.01, 0.01, 0.01, 0.005, 0.005, 0.0025]);
  });
});

describe('properties', () => {
  it('shuffling is a permutation, reproducible per seed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 1, max: 300 }), (seed, n) => {
        const a = Uint32Array.from({ length: n }, (_, i) => i);
        const b = a.slice();
        new Random(seed).shuffle(a, n);
        new Random(seed).shuffle(b, n);
        expect(a).toEqual(b);
        expect(Array.from(a).sort((p, q) => p - q)).toEqual(Array.from({ length: n }, (_, i) => i));
      }),
    );
  });

  const value = fc.float({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
  const dataset = fc.integer({ min: 1, max: 4 }).chain((features) =>
    fc.record({ features: fc.constant(features), rows: fc.array(fc.array(value, { minLength: features + 1, maxLength: features + 1 }), { minLength: 1, maxLength: 40 }) }),
  );
  const settings = fc.record({
    optimizer: fc.constantFrom('sgd', 'momentum', 'nesterov', 'adagrad', 'adadelta', 'rmsprop', 'adam', 'adamw' as const),
    lr: fc.double({ min: 1e-6, max: 10, noNaN: true }),
    batch: fc.integer({ min: 0, max: 8 }),
    epochs: fc.integer({ min: 1, max: 15 }),
    bias: fc.boolean(),
    shuffle: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1000 }),
    valSplit: fc.constantFrom(0, 0.2, 0.5),
    patience: fc.integer({ min: 0, max: 3 }),
    standardize: fc.boolean(),
    curriculum: fc.boolean(),
    noiseEta: fc.constantFrom(0, 0.01, 1),
    centered: fc.boolean(),
    amsgrad: fc.boolean(),
  });

  it('no finite, in-range dataset and settings crash training; every run ends with a valid done record', () => {
    fc.assert(
      fc.property(dataset, settings, ({ features, rows }, s) => {
        const packed = rows.flat();
        const cfg = { ...s, valSplit: rows.length > 1 ? s.valSplit : 0 } as Partial<TrainConfig>;
        const { records, epochs, done } = train(packed, features, cfg);
        expect(records[0].type).toBe('start');
        expect(done.type).toBe('done');
        expect(epochs.length).toBeGreaterThan(0);
        for (const e of epochs) expect(Number.isFinite(e.loss)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('training in time slices of any size prints exactly the records of one run', () => {
    fc.assert(
      fc.property(dataset, settings, fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }), ({ features, rows }, s, budgets) => {
        const packed = new Float32Array(rows.flat());
        const cfg = resolveConfig({ ...s, valSplit: rows.length > 1 ? s.valSplit : 0 } as Partial<TrainConfig>, features);
        const whole: string[] = [];
        new Trainer(datasetFromPacked(packed, features), cfg, textRecords((l) => whole.push(l))).run();
        const sliced: string[] = [];
        const t = new Trainer(datasetFromPacked(packed, features), cfg, textRecords((l) => sliced.push(l)));
        for (let k = 0; t.work(budgets[k % budgets.length]); k++);
        expect(sliced).toEqual(whole);
      }),
      { numRuns: 300 },
    );
  });

  it('noiseless linear data converges', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 1, maxLength: 3 }),
        fc.double({ min: -5, max: 5, noNaN: true }),
        fc.integer({ min: 0, max: 1000 }),
        (w, b, seed) => {
          const r = new Random(seed);
          const packed: number[] = [];
          for (let i = 0; i < 30; i++) {
            const x = w.map(() => r.next() * 4 - 2);
            packed.push(...x, x.reduce((s, xi, j) => s + xi * w[j], b));
          }
          const { done } = train(packed, w.length, { optimizer: 'momentum', lr: 0.05, epochs: 600, initW: [0], standardize: true });
          const scale = 1 + w.reduce((s, v) => s + v * v, b * b);
          expect(done.loss!).toBeLessThan(1e-6 * scale);
          w.forEach((wj, j) => expect(Math.abs(done.w[j] - wj)).toBeLessThan(1e-2));
        },
      ),
      { numRuns: 50 },
    );
  });
});
