// The generated datasets (shared/parallel/generate.ts): seeded, noiseless, dense or sparse, and
// fitted by the desktop engine (`host run`'s Trainer).
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../shared/config.ts';
import { datasetFromPacked } from '../../shared/dataset.ts';
import { generateDataset, TRUTH } from '../../shared/parallel/generate.ts';
import { parseRecord, type DoneRecord } from '../../shared/protocol.ts';
import { textRecords } from '../../shared/records.ts';
import { Trainer } from '../../shared/trainer.ts';

const F = 8;

function rows(packed: Float32Array): Float32Array[] {
  const out: Float32Array[] = [];
  for (let i = 0; i < packed.length; i += F + 1) out.push(packed.subarray(i, i + F + 1));
  return out;
}

describe('generateDataset', () => {
  it('is deterministic in its seed', () => {
    for (const kind of ['dense', 'sparse'] as const) {
      const a = generateDataset(kind, 300, 42);
      const b = generateDataset(kind, 300, 42);
      const c = generateDataset(kind, 300, 43);
      expect(Buffer.from(a.packed.buffer).equals(Buffer.from(b.packed.buffer))).toBe(true);
      expect(Buffer.from(a.packed.buffer).equals(Buffer.from(c.packed.buffer))).toBe(false);
      expect(a.features).toBe(F);
      expect(a.packed.length).toBe(300 * (F + 1));
      expect(a.truth).toEqual({ w: [...TRUTH.w], b: TRUTH.b });
    }
  });

  it('dense: every feature non-zero, ±(0.25 … 1)', () => {
    for (const r of rows(generateDataset('dense', 500, 1).packed)) {
      for (let j = 0; j < F; j++) {
        expect(Math.abs(r[j])).toBeGreaterThanOrEqual(0.25);
        expect(Math.abs(r[j])).toBeLessThanOrEqual(1);
      }
    }
  });

  it('sparse: 1 or 2 non-zero features per sample, both counts and every feature present', () => {
    const count = [0, 0, 0];
    const perFeature = new Array<number>(F).fill(0);
    for (const r of rows(generateDataset('sparse', 2000, 1).packed)) {
      let nz = 0;
      for (let j = 0; j < F; j++) {
        if (r[j] === 0) continue;
        nz++;
        perFeature[j]++;
        expect(Math.abs(r[j])).toBeGreaterThanOrEqual(0.25);
        expect(Math.abs(r[j])).toBeLessThanOrEqual(1);
      }
      expect(nz === 1 || nz === 2).toBe(true);
      count[nz]++;
    }
    // Each count about half of the samples; each feature in about 1.5/8 of them.
    expect(count[1]).toBeGreaterThan(800);
    expect(count[2]).toBeGreaterThan(800);
    for (const c of perFeature) expect(c).toBeGreaterThan(250);
  });

  it("y is the truth's prediction (double, then float32)", () => {
    for (const kind of ['dense', 'sparse'] as const) {
      const { packed, truth } = generateDataset(kind, 500, 9);
      for (const r of rows(packed)) {
        // Exactly: the prediction in linear.ts's order, rounded once to float32.
        let pred = truth.w[0] * r[0];
        pred = truth.b + pred;
        for (let j = 1; j < F; j++) pred += truth.w[j] * r[j];
        expect(r[F]).toBe(Math.fround(pred));
        // And in any order: within float32 rounding of b + w·x.
        let plain = truth.b;
        for (let j = 0; j < F; j++) plain += truth.w[j] * r[j];
        expect(Math.abs(r[F] - plain)).toBeLessThanOrEqual(1e-6 * (1 + Math.abs(plain)));
      }
    }
  });

  it("is fitted by host run's engine (per-sample SGD)", () => {
    for (const kind of ['dense', 'sparse'] as const) {
      const g = generateDataset(kind, 400, 3);
      const ds = datasetFromPacked(g.packed, g.features);
      let done: DoneRecord | null = null;
      const cfg = resolveConfig({ lr: kind === 'dense' ? 0.02 : 0.05, batch: 1, epochs: 40, shuffle: true }, F);
      new Trainer(ds, cfg, textRecords((line) => {
        const r = parseRecord(line);
        if (r?.type === 'done') done = r;
      })).run();
      const d = done as unknown as DoneRecord;
      expect(d.reason).toBe('epochs');
      for (let j = 0; j < F; j++) expect(Math.abs(d.w[j] - g.truth.w[j])).toBeLessThan(1e-3);
      expect(Math.abs(d.b - g.truth.b)).toBeLessThan(1e-3);
      expect(d.loss).toBeLessThan(1e-8);
    }
  });
});
